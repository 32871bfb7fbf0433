/*
 * The host-CPU oracle of jkvm's differential tester (translator/src/test/java/org/jkvm/translator/difftest).
 *
 * Reads cases from stdin, runs each one natively on this x86-64 host, and writes the final state to
 * stdout. A case is a few instruction bytes and a complete user-mode state: the 16 general registers,
 * RFLAGS, an FXSAVE image (x87/MMX, XMM0-15, MXCSR) and the contents of a data buffer mapped at a fixed
 * address, so that memory operands point at the same addresses here and in jkvm. The bytes are copied to
 * a fixed code page and followed by a jump back into the runner; a fault is caught by a signal handler,
 * which records the state the kernel saved (the vector is the kernel's trap number) and resumes the
 * runner. One process runs any number of cases.
 *
 * The Java side compiles this file at test time with the addresses as -D options (DiffLayout.java), so
 * both sides share one definition of the layout. Record formats: see NativeRunner.java.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef CODE_VA
#error "compile with -DCODE_VA=... -DDATA_VA=... -DDATA_SIZE=... -DGS_BASE=... -DCOMPAT_VA=..."
#endif

#define MAGIC_CASE 0x54464944u /* "DIFT" */
#define MAGIC_SYNC 0x434e5953u /* "SYNC" */
#define MAGIC_QUIT 0x54495551u /* "QUIT" */
#define MAGIC_RESULT 0x52464944u /* "DIFR" */
#define MAX_CODE 256
#define MAX_PATCH 4096
#define CODE_SIZE 4096
/*
 * A case that has not ended after this much CPU time is stopped (a generated loop must not hang the
 * tester): ITIMER_PROF then fires every CASE_TIMEOUT_US until the runner disarms it, so a tick that lands
 * outside the case's code (before the jump into it) only delays the stop.
 */
#define CASE_TIMEOUT_US 500000

/* Case header, as the Java side writes it. */
struct case_in {
  uint32_t magic;
  uint32_t mode; /* 64 or 32 (compatibility mode) */
  uint32_t code_len;
  uint32_t npatch;
  uint64_t data_seed;
  uint64_t gpr[16];
  uint64_t rflags;
} __attribute__((packed));

struct patch {
  uint32_t off;
  uint32_t len;
  uint8_t bytes[16];
} __attribute__((packed));

/* Result header. */
struct case_out {
  uint32_t magic;
  uint32_t kind; /* 0: ran to the end, 1: fault, 2: timed out */
  uint32_t signo;
  uint32_t trapno;
  uint64_t err;
  uint64_t cr2;
  uint64_t rip;
  uint64_t rflags;
  uint64_t gpr[16];
  uint16_t seg[4]; /* ES, CS, SS, DS */
  uint32_t nchanged;
  uint32_t pad;
} __attribute__((packed));

/* ---- state shared with the assembly below (symbols referenced RIP-relative) ---- */
uint64_t g_in_gpr[16];
uint64_t g_in_rflags;
uint64_t g_out_gpr[16];
uint64_t g_out_rflags;
uint16_t g_out_seg[4];
uint64_t g_saved_rsp;
uint64_t g_entry;
uint8_t g_in_fx[512] __attribute__((aligned(64)));
uint8_t g_out_fx[512] __attribute__((aligned(64)));
uint8_t g_clean_fx[512] __attribute__((aligned(64)));

void run_case(void);
void back_label(void);
void back_label32(void);
void fault_resume(void);

/*
 * run_case: saves the runner's callee-saved registers and stack, loads the case's x87/SSE state, RFLAGS
 * and general registers (RSP last) and jumps to the code. The code ends with a jump to back_label, which
 * stores every general register and RFLAGS without disturbing them, then restores the runner.
 */
__asm__(
    ".text\n"
    ".globl run_case\n"
    "run_case:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  mov %rsp, g_saved_rsp(%rip)\n"
    "  fxrstor64 g_in_fx(%rip)\n"
    "  pushq g_in_rflags(%rip)\n"
    "  popfq\n"
    "  mov g_in_gpr+0(%rip), %rax\n"
    "  mov g_in_gpr+8(%rip), %rcx\n"
    "  mov g_in_gpr+16(%rip), %rdx\n"
    "  mov g_in_gpr+24(%rip), %rbx\n"
    "  mov g_in_gpr+40(%rip), %rbp\n"
    "  mov g_in_gpr+48(%rip), %rsi\n"
    "  mov g_in_gpr+56(%rip), %rdi\n"
    "  mov g_in_gpr+64(%rip), %r8\n"
    "  mov g_in_gpr+72(%rip), %r9\n"
    "  mov g_in_gpr+80(%rip), %r10\n"
    "  mov g_in_gpr+88(%rip), %r11\n"
    "  mov g_in_gpr+96(%rip), %r12\n"
    "  mov g_in_gpr+104(%rip), %r13\n"
    "  mov g_in_gpr+112(%rip), %r14\n"
    "  mov g_in_gpr+120(%rip), %r15\n"
    "  mov g_in_gpr+32(%rip), %rsp\n"
    "  jmp *g_entry(%rip)\n"
    /* 32-bit code comes back here through a far jump to 0x33:back_label32 (a trampoline below 4 GiB). */
    ".globl back_label\n"
    "back_label:\n"
    "  mov %rax, g_out_gpr+0(%rip)\n"
    "  mov %rcx, g_out_gpr+8(%rip)\n"
    "  mov %rdx, g_out_gpr+16(%rip)\n"
    "  mov %rbx, g_out_gpr+24(%rip)\n"
    "  mov %rsp, g_out_gpr+32(%rip)\n"
    "  mov %rbp, g_out_gpr+40(%rip)\n"
    "  mov %rsi, g_out_gpr+48(%rip)\n"
    "  mov %rdi, g_out_gpr+56(%rip)\n"
    "  mov %r8, g_out_gpr+64(%rip)\n"
    "  mov %r9, g_out_gpr+72(%rip)\n"
    "  mov %r10, g_out_gpr+80(%rip)\n"
    "  mov %r11, g_out_gpr+88(%rip)\n"
    "  mov %r12, g_out_gpr+96(%rip)\n"
    "  mov %r13, g_out_gpr+104(%rip)\n"
    "  mov %r14, g_out_gpr+112(%rip)\n"
    "  mov %r15, g_out_gpr+120(%rip)\n"
    "  mov g_saved_rsp(%rip), %rsp\n"
    "  pushfq\n"
    "  popq g_out_rflags(%rip)\n"
    "  movw %es, g_out_seg+0(%rip)\n"
    "  movw %cs, g_out_seg+2(%rip)\n"
    "  movw %ss, g_out_seg+4(%rip)\n"
    "  movw %ds, g_out_seg+6(%rip)\n"
    "  fxsave64 g_out_fx(%rip)\n"
    ".globl fault_resume\n"
    "fault_resume:\n"
    "  mov g_saved_rsp(%rip), %rsp\n"
    "  pushq $0x202\n"
    "  popfq\n"
    "  xor %eax, %eax\n"
    "  mov %eax, %ds\n"
    "  mov %eax, %es\n"
    "  mov $0x2b, %eax\n"
    "  mov %eax, %ss\n"
    "  fxrstor64 g_clean_fx(%rip)\n"
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "  ret\n");

static struct case_out g_out;
static uint8_t *const code = (uint8_t *)(uintptr_t)CODE_VA;
static uint8_t *const data = (uint8_t *)(uintptr_t)DATA_VA;
static uint8_t g_initial[DATA_SIZE] __attribute__((aligned(64)));

static void die(const char *what) {
  perror(what);
  exit(2);
}

/* The fill of the data buffer: SplitMix64 from the case's seed, the same on the Java side. */
static void fill_data(uint64_t seed) {
  uint64_t *p = (uint64_t *)g_initial;
  for (size_t i = 0; i < DATA_SIZE / 8; i++) {
    seed += 0x9E3779B97F4A7C15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    p[i] = z ^ (z >> 31);
  }
}

static const int greg_index[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                   REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

/*
 * A fault in the case's code: record what the kernel saved (the trap number is the exception vector,
 * err its error code, cr2 the #PF address) and return to fault_resume on the runner's stack with a clean
 * FPU state, through sigreturn.
 */
/*
 * The kernel enters a signal handler with the interrupted code's EFLAGS.AC. A case may run with AC set
 * (and CR0.AM is set under Linux), so the handlers clear it before touching memory at any alignment.
 */
#define CLEAR_AC() __asm__ volatile("pushfq\n andq $~0x40000, (%%rsp)\n popfq" ::: "memory", "cc")

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  CLEAR_AC();
  (void)si;
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  g_out.kind = 1;
  g_out.signo = (uint32_t)sig;
  g_out.trapno = (uint32_t)g[REG_TRAPNO];
  g_out.err = (uint64_t)g[REG_ERR];
  g_out.cr2 = (uint64_t)g[REG_CR2];
  g_out.rip = (uint64_t)g[REG_RIP];
  g_out.rflags = (uint64_t)g[REG_EFL];
  for (int r = 0; r < 16; r++) {
    g_out.gpr[r] = (uint64_t)g[greg_index[r]];
  }
  uint16_t es, ds;
  __asm__ volatile("movw %%es, %0\n movw %%ds, %1" : "=m"(es), "=m"(ds));
  uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];
  g_out.seg[0] = es;
  g_out.seg[1] = (uint16_t)csgsfs;
  g_out.seg[2] = (uint16_t)(csgsfs >> 48);
  g_out.seg[3] = ds;
  memcpy(g_out_fx, uc->uc_mcontext.fpregs, 512);
  memcpy(uc->uc_mcontext.fpregs, g_clean_fx, 512);
  g[REG_RIP] = (greg_t)(uintptr_t)fault_resume;
  g[REG_RSP] = (greg_t)g_saved_rsp;
  g[REG_EFL] = 0x202;
  /* Back to 64-bit code (the fault may have been in compatibility mode): CS 0x33, SS 0x2b. */
  g[REG_CSGSFS] = (greg_t)((csgsfs & 0x0000FFFFFFFF0000ull) | 0x33ull | (0x2bull << 48));
}

/* Whether an interrupted RIP is in the case's code or the compatibility-mode trampolines. */
static int in_case_code(uint64_t rip) {
  return (rip >= CODE_VA && rip < CODE_VA + CODE_SIZE) || (rip >= COMPAT_VA && rip < COMPAT_VA + 4096);
}

/*
 * SIGPROF: the case has run for CASE_TIMEOUT_US of CPU time. If it is still in the case's code, it is
 * stopped the way a fault stops it, as a timeout; anywhere else (the runner's own entry or exit path) the
 * tick is ignored and the next one decides.
 */
static void on_timeout(int sig, siginfo_t *si, void *ucv) {
  CLEAR_AC();
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  if (!in_case_code((uint64_t)g[REG_RIP])) {
    return;
  }
  on_fault(sig, si, ucv);
  g_out.kind = 2;
}

static void arm_timeout(int on) {
  struct itimerval it;
  memset(&it, 0, sizeof it);
  if (on) {
    it.it_value.tv_usec = CASE_TIMEOUT_US;
    it.it_interval.tv_usec = CASE_TIMEOUT_US;
  }
  if (setitimer(ITIMER_PROF, &it, NULL) != 0) {
    die("setitimer");
  }
}

static void read_fully(void *buf, size_t n) {
  if (n != 0 && fread(buf, 1, n, stdin) != n) {
    fprintf(stderr, "difftest runner: short read\n");
    exit(3);
  }
}

static void setup(void) {
  if (mmap(code, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
           -1, 0) != code) {
    die("mmap code");
  }
  if (mmap(data, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
      data) {
    die("mmap data");
  }
  uint8_t *compat = (uint8_t *)(uintptr_t)COMPAT_VA;
  if (mmap(compat, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
           -1, 0) != compat) {
    die("mmap compat trampoline");
  }
  /*
   * Trampolines for 32-bit cases at COMPAT_VA: +0 is 64-bit code that loads DS and ES with USER_DS (a
   * 32-bit process's data selectors; null ones fault in compatibility mode) from the word at +56 and
   * far-jumps to 0x23:CODE_VA through the pointer at +48; +32 is the 64-bit landing point after the case's
   * far jump back, which jumps on to back_label (fault_resume puts DS and ES back to null).
   */
  static const uint8_t to32[] = {
      0x8E, 0x1C, 0x25, 0, 0, 0, 0, /* mov ds, [abs32] */
      0x8E, 0x04, 0x25, 0, 0, 0, 0, /* mov es, [abs32] */
      0xFF, 0x2C, 0x25, 0, 0, 0, 0, /* ljmp *abs32 (REX-less: m16:32) */
  };
  memcpy(compat, to32, sizeof to32);
  uint32_t selp = (uint32_t)(COMPAT_VA + 56);
  memcpy(compat + 3, &selp, 4);
  memcpy(compat + 10, &selp, 4);
  uint32_t ptr = (uint32_t)(COMPAT_VA + 48);
  memcpy(compat + 17, &ptr, 4);
  uint32_t off = (uint32_t)CODE_VA;
  uint16_t sel = 0x23;
  memcpy(compat + 48, &off, 4);
  memcpy(compat + 52, &sel, 2);
  uint16_t user_ds = 0x2b;
  memcpy(compat + 56, &user_ds, 2);
  static const uint8_t jmp_abs[] = {0xFF, 0x25, 0, 0, 0, 0};
  memcpy(compat + 32, jmp_abs, sizeof jmp_abs);
  uint64_t back = (uint64_t)(uintptr_t)back_label;
  memcpy(compat + 38, &back, 8);

  static uint8_t altstack[1 << 16] __attribute__((aligned(16)));
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) {
    die("sigaltstack");
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    if (sigaction(sigs[i], &sa, NULL) != 0) {
      die("sigaction");
    }
  }
  sa.sa_sigaction = on_timeout;
  if (sigaction(SIGPROF, &sa, NULL) != 0) {
    die("sigaction SIGPROF");
  }
  if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)GS_BASE) != 0) {
    die("arch_prctl");
  }
  /* The clean FPU state the runner returns to: FNINIT plus the default MXCSR. */
  __asm__ volatile("fninit\n fxsave64 %0" : "=m"(g_clean_fx));
  uint32_t mxcsr = 0x1F80;
  memcpy(g_clean_fx + 24, &mxcsr, 4);
}

int main(void) {
  setup();
  static char inbuf[1 << 20], outbuf[1 << 20];
  setvbuf(stdin, inbuf, _IOFBF, sizeof inbuf);
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  static struct case_in in;
  static struct patch patches[MAX_PATCH];
  static uint8_t bytes[MAX_CODE];
  static struct {
    uint32_t off;
    uint32_t pad;
    uint64_t value;
  } changed[DATA_SIZE / 8];
  for (;;) {
    read_fully(&in.magic, 4);
    if (in.magic == MAGIC_QUIT) {
      fflush(stdout);
      return 0;
    }
    if (in.magic == MAGIC_SYNC) {
      fflush(stdout);
      continue;
    }
    if (in.magic != MAGIC_CASE) {
      fprintf(stderr, "difftest runner: bad record 0x%x\n", in.magic);
      return 3;
    }
    read_fully((uint8_t *)&in + 4, sizeof in - 4);
    read_fully(g_in_fx, 512);
    if (in.code_len > MAX_CODE || in.npatch > MAX_PATCH) {
      fprintf(stderr, "difftest runner: bad case sizes\n");
      return 3;
    }
    read_fully(bytes, in.code_len);
    read_fully(patches, in.npatch * sizeof(struct patch));

    /* Code, then the way back: a 64-bit case jumps to back_label, a 32-bit one far-jumps to 0x33. */
    memset(code, 0, CODE_SIZE);
    memcpy(code, bytes, in.code_len);
    uint8_t *t = code + in.code_len;
    if (in.mode == 32) {
      static const uint8_t ljmp[] = {0xFF, 0x2D}; /* ljmp *abs32 */
      memcpy(t, ljmp, 2);
      uint32_t ptr = (uint32_t)(uintptr_t)(t + 8);
      memcpy(t + 2, &ptr, 4);
      uint32_t off = (uint32_t)(COMPAT_VA + 32);
      uint16_t sel = 0x33;
      memcpy(t + 8, &off, 4);
      memcpy(t + 12, &sel, 2);
      g_entry = COMPAT_VA;
    } else {
      t[0] = 0xFF;
      t[1] = 0x25;
      memset(t + 2, 0, 4);
      uint64_t back = (uint64_t)(uintptr_t)back_label;
      memcpy(t + 6, &back, 8);
      g_entry = CODE_VA;
    }
    fill_data(in.data_seed);
    for (uint32_t p = 0; p < in.npatch; p++) {
      if (patches[p].off + patches[p].len > DATA_SIZE || patches[p].len > 16) {
        fprintf(stderr, "difftest runner: bad patch\n");
        return 3;
      }
      memcpy(g_initial + patches[p].off, patches[p].bytes, patches[p].len);
    }
    memcpy(data, g_initial, DATA_SIZE);
    memcpy(g_in_gpr, in.gpr, sizeof in.gpr);
    g_in_rflags = in.rflags;

    memset(&g_out, 0, sizeof g_out);
    arm_timeout(1);
    run_case();
    arm_timeout(0);
    if (g_out.kind == 0) {
      memcpy(g_out.gpr, g_out_gpr, sizeof g_out_gpr);
      g_out.rflags = g_out_rflags;
      g_out.rip = CODE_VA + in.code_len;
      memcpy(g_out.seg, g_out_seg, sizeof g_out_seg);
    }
    g_out.magic = MAGIC_RESULT;
    uint32_t n = 0;
    const uint64_t *now = (const uint64_t *)data;
    const uint64_t *was = (const uint64_t *)g_initial;
    for (uint32_t i = 0; i < DATA_SIZE / 8; i++) {
      if (now[i] != was[i]) {
        changed[n].off = i * 8;
        changed[n].pad = 0;
        changed[n].value = now[i];
        n++;
      }
    }
    g_out.nchanged = n;
    fwrite(&g_out, sizeof g_out, 1, stdout);
    fwrite(g_out_fx, 512, 1, stdout);
    fwrite(changed, 16, n, stdout);
  }
}
