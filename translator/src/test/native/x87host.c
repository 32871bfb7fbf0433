/*
 * The host oracle for X87HostTest: runs x87 instructions natively and prints nothing but their bit-exact
 * effect. Compiled by the test with gcc into target/ (never committed as a binary).
 *
 * usage: x87host CASES OUT
 *        x87host --valid OUT
 *
 * The second form writes which escape encodings the processor executes: for each opcode D8-DF, the 64
 * register forms (ModRM C0-FF) and the 8 memory forms (ModRM.reg with [rbx]), one byte each, 1 if it
 * raised #UD (SIGILL), else 0.
 *
 * CASES holds a list of forms (instruction encodings) and cases; each case is executed natively inside a
 * snippet built from its form:
 *
 *   fxrstor64 [rsi]            ; the case's x87 state (FCW, FSW, abridged tags, ST0-ST7)
 *   push qword [rsi+0x1F0]     ; the case's RFLAGS (arithmetic flags only)
 *   popfq
 *   mov rax, [rsi+0x1E8]
 *   <the instruction>          ; its memory operand, if any, is [rbx]
 *   pushfq
 *   pop qword [rdi+0x1F0]
 *   mov [rdi+0x1F8], rax
 *   fxsave64 [rdi]             ; no wait: a pending unmasked exception is saved, not raised
 *   fnclex                     ; so that nothing raises #MF later
 *   ret
 *
 * The Java side runs the same bytes (ending in HLT instead of RET) in jkvm and compares the records.
 * Bytes 464-511 of an FXSAVE area are never written by the processor, so they carry RFLAGS and RAX.
 *
 * File formats (little endian):
 *   CASES: u32 nforms, nforms x {u8 len, u8 insn[15]}, u32 ncases, ncases x case (320 bytes):
 *          u32 form, u32 pad, u64 rflags, u64 rax, u8 pad[8], u8 mem[128], u8 fx[160] (FXSAVE bytes 0-159)
 *   OUT:   ncases x result (320 bytes): u64 rflags, u64 rax, u8 mem[128], u8 fx[160], u64 insn_addr,
 *          u64 mem_addr, u8 pad[16]
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SNIPPET 64
#define CASE_SIZE 320
#define RESULT_SIZE 320
#define MEM 128

static const uint8_t PRE[] = {
    0x48, 0x0F, 0xAE, 0x0E,                   /* fxrstor64 [rsi] */
    0xFF, 0xB6, 0xF0, 0x01, 0x00, 0x00,       /* push qword [rsi+0x1F0] */
    0x9D,                                     /* popfq */
    0x48, 0x8B, 0x86, 0xE8, 0x01, 0x00, 0x00, /* mov rax, [rsi+0x1E8] */
};
static const uint8_t POST[] = {
    0x9C,                                     /* pushfq */
    0x8F, 0x87, 0xF0, 0x01, 0x00, 0x00,       /* pop qword [rdi+0x1F0] */
    0x48, 0x89, 0x87, 0xF8, 0x01, 0x00, 0x00, /* mov [rdi+0x1F8], rax */
    0x48, 0x0F, 0xAE, 0x07,                   /* fxsave64 [rdi] */
    0xDB, 0xE2,                               /* fnclex */
    0xC3,                                     /* ret */
};

static uint8_t fxin[512] __attribute__((aligned(64)));
static uint8_t fxout[512] __attribute__((aligned(64)));
static uint8_t mem[MEM] __attribute__((aligned(64)));

static void run(void *fn) {
  /* Step over the red zone: the call pushes a return address below RSP. */
  __asm__ volatile(
      "sub $256, %%rsp\n\t"
      "call *%[fn]\n\t"
      "add $256, %%rsp\n\t"
      :
      : [fn] "r"(fn), "S"(fxin), "D"(fxout), "b"(mem)
      : "rax", "memory", "cc");
}

static uint8_t *readAll(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*len + 1);
  if (fread(b, 1, *len, f) != *len) {
    perror(path);
    exit(2);
  }
  fclose(f);
  return b;
}

static sigjmp_buf jump;
static volatile sig_atomic_t caught;

static void onSignal(int sig) {
  caught = sig;
  siglongjmp(jump, 1);
}

/** fninit; <escape> <modrm>; fnclex; ret, for every escape encoding, with #UD caught. */
static int valid(const char *path) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  FILE *out = fopen(path, "wb");
  if (!out) {
    perror(path);
    return 2;
  }
  for (int op = 0xD8; op <= 0xDF; op++) {
    for (int k = 0; k < 72; k++) {
      int modrm = k < 64 ? 0xC0 + k : ((k - 64) << 3) | 3;
      uint8_t snippet[] = {0xDB, 0xE3, (uint8_t)op, (uint8_t)modrm, 0xDB, 0xE2, 0xC3};
      memcpy(code, snippet, sizeof snippet);
      memset(mem, 0, sizeof mem);
      caught = 0;
      if (sigsetjmp(jump, 1) == 0) {
        __asm__ volatile(
            "sub $256, %%rsp\n\t"
            "call *%[fn]\n\t"
            "add $256, %%rsp\n\t"
            :
            : [fn] "r"(code), "b"(fxout)
            : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
      }
      if (caught != 0 && caught != SIGILL) {
        fprintf(stderr, "%02x %02x: signal %d\n", op, modrm, (int)caught);
        return 2;
      }
      fputc(caught == SIGILL ? 1 : 0, out);
    }
  }
  fclose(out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--valid") == 0) {
    return valid(argv[2]);
  }
  if (argc != 3) {
    fprintf(stderr, "usage: x87host CASES OUT\n");
    return 2;
  }
  size_t len;
  uint8_t *in = readAll(argv[1], &len);
  uint32_t nforms;
  memcpy(&nforms, in, 4);
  size_t at = 4;
  uint8_t *code = mmap(NULL, (size_t)nforms * SNIPPET + 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  for (uint32_t k = 0; k < nforms; k++) {
    uint8_t n = in[at];
    uint8_t *s = code + (size_t)k * SNIPPET;
    memcpy(s, PRE, sizeof PRE);
    memcpy(s + sizeof PRE, in + at + 1, n);
    memcpy(s + sizeof PRE + n, POST, sizeof POST);
    at += 16;
  }
  uint32_t ncases;
  memcpy(&ncases, in + at, 4);
  at += 4;
  if (at + (size_t)ncases * CASE_SIZE > len) {
    fprintf(stderr, "truncated case file\n");
    return 2;
  }
  FILE *out = fopen(argv[2], "wb");
  if (!out) {
    perror(argv[2]);
    return 2;
  }
  uint8_t rec[RESULT_SIZE];
  for (uint32_t k = 0; k < ncases; k++) {
    const uint8_t *cs = in + at + (size_t)k * CASE_SIZE;
    uint32_t form;
    memcpy(&form, cs, 4);
    if (form >= nforms) {
      fprintf(stderr, "bad form %u\n", form);
      return 2;
    }
    memset(fxin, 0, sizeof fxin);
    memset(fxout, 0, sizeof fxout);
    memcpy(fxin, cs + 160, 160);
    memcpy(fxin + 0x1F0, cs + 8, 8);  /* rflags */
    memcpy(fxin + 0x1E8, cs + 16, 8); /* rax */
    memset(mem, 0, sizeof mem);
    memcpy(mem, cs + 32, MEM);
    uint8_t *s = code + (size_t)form * SNIPPET;
    run(s);
    memset(rec, 0, sizeof rec);
    memcpy(rec, fxout + 0x1F0, 8);
    memcpy(rec + 8, fxout + 0x1F8, 8);
    memcpy(rec + 16, mem, MEM);
    memcpy(rec + 144, fxout, 160);
    uint64_t insnAddr = (uint64_t)(uintptr_t)(s + sizeof PRE);
    uint64_t memAddr = (uint64_t)(uintptr_t)mem;
    memcpy(rec + 304, &insnAddr, 8);
    memcpy(rec + 312, &memAddr, 8);
    fwrite(rec, 1, RESULT_SIZE, out);
  }
  fclose(out);
  return 0;
}
