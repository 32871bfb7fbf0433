/*
 * The system guests' little runtime: COM1 output, PASS/FAIL reporting, the isa-debug-exit port,
 * descriptor tables, exception catching, ring-3 calls and page-table helpers.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "layout.h"

typedef unsigned long ulong;
typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;

/* ---- console and results (lib.c) ---- */
void putchar_com1(char c);
void puts_com1(const char *s);
int printf(const char *fmt, ...);
int vprintf(const char *fmt, va_list ap);
/* Prints "PASS: ..." or "FAIL: ..." and counts failures; returns ok. */
int report(int ok, const char *fmt, ...);
/* Prints "SKIP: ...". */
void report_skip(const char *fmt, ...);
int failures(void);
/* Ends the VM through the isa-debug-exit port: lkvm exits with (code << 1) | 1. */
void __attribute__((noreturn)) exit(int code);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* The value of "key=<number>" in the multiboot command line, or dflt. */
ulong cmdline_number(const char *key, ulong dflt);
const char *cmdline(void);
/*
 * True if the command line has "quirk=NAME" (or a comma-separated list with NAME): check-kvm.sh passes the
 * things the host KVM used as an oracle cannot run, so that those checks are skipped there.
 */
int oracle_quirk(const char *name);

/* ---- the test program ---- */
void main(void);

/* ---- descriptors and exceptions (desc.c) ---- */
struct ex_regs {
#ifdef __x86_64__
	ulong r15, r14, r13, r12, r11, r10, r9, r8;
	ulong rdi, rsi, rbp, rbx, rdx, rcx, rax;
#else
	ulong es, ds;
	ulong rdi, rsi, rbp, esp_unused, rbx, rdx, rcx, rax;
#endif
	ulong vector, error_code;
	ulong rip, cs, rflags;
	ulong rsp, ss; /* always there in 64-bit mode; in 32-bit mode only after a privilege change */
};

/* What the last caught exception was (see TRY). vector is -1 when nothing was caught. */
struct fault {
	int vector;
	ulong error_code;
	ulong rip;
	ulong cs;
	ulong cr2;
	ulong rsp;  /* the frame's saved RSP (64-bit, or 32-bit from ring 3) */
	ulong frame; /* address of the saved RIP on the handler's stack */
	int count;
};
extern volatile struct fault last_fault;
extern volatile ulong fixup_ip, try_start;
extern u64 gdt[GDT_ENTRIES];
extern ulong user_stack_top_ptr;
extern u32 mb_magic, mb_info;

typedef void (*handler_t)(struct ex_regs *r);
void set_handler(int vector, handler_t h);
/* Sets an IDT gate: type 0xE (interrupt) or 0xF (trap), with dpl and, in 64-bit mode, ist. */
void set_gate(int vector, ulong target, u16 sel, int type, int dpl, int ist);
void set_gate_present(int vector, int present);
/* The address of the stub that calls the C handler for a vector. */
ulong isr_address(int vector);
void load_idt(void *base, u16 limit);

/* A code or data descriptor: type is the 4-bit type, flags are G/DB/L/AVL (descriptor bits 55:52). */
u64 make_desc(u32 base, u32 limit, int type, int s, int dpl, int present, int flags);
void set_gdt(u16 sel, u64 desc);

#ifdef __x86_64__
struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));
#else
struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2;
	u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap_base;
} __attribute__((packed));
#endif
extern struct tss tss;
/* A stack for interrupts from ring 3 (TSS RSP0/ESP0) and two spare ones for IST or inner rings. */
extern u8 ring0_stack[STACK_BYTES], ist_stack1[STACK_BYTES], ist_stack2[STACK_BYTES];

/*
 * TRY(insn, outputs, inputs, clobbers...): runs the asm text insn with the exception catcher armed. After
 * it, last_fault.vector is the vector caught or -1, and try_start is the address of insn's first byte.
 */
#ifdef __x86_64__
#define ASM_MOVP "movq"
#else
#define ASM_MOVP "movl"
#endif
#define TRY_BEGIN ASM_MOVP " $1110f, try_start\n\t" ASM_MOVP " $1111f, fixup_ip\n\t" "1110:\n\t"
#define TRY_END "\n\t1111:\n\t" ASM_MOVP " $0, fixup_ip\n\t"
#define TRY(insn, ...) \
	do { \
		last_fault.vector = -1; \
		asm volatile("" : : : "memory"); \
		asm volatile(TRY_BEGIN insn TRY_END __VA_ARGS__); \
		asm volatile("" : : : "memory"); \
	} while (0)
/* Set by the catcher: the address just after the TRY'd text (a one-instruction trap's return address). */
extern volatile ulong try_end;

/* Calls fn(arg) at CPL 3 and returns its result (isr.S). */
ulong run_user(ulong (*fn)(ulong), ulong arg);
void __attribute__((noreturn)) resume_kernel(ulong result);

/* Makes the compiler forget what it knows about memory (page-table bits the CPU writes, for instance). */
#define barrier() asm volatile("" : : : "memory")

/* ---- registers ---- */
static inline ulong read_cr0(void) { ulong v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline ulong read_cr2(void) { ulong v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline ulong read_cr3(void) { ulong v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline ulong read_cr4(void) { ulong v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(ulong v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(ulong v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(ulong v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline u64 rdmsr(u32 msr) {
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v) {
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d) {
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void invlpg(ulong va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline ulong read_flags(void) { ulong f; asm volatile("pushf; pop %0" : "=r"(f)); return f; }
static inline u16 read_cs(void) { u16 v; asm volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline u16 read_ss(void) { u16 v; asm volatile("mov %%ss, %0" : "=r"(v)); return v; }
static inline u16 read_ds(void) { u16 v; asm volatile("mov %%ds, %0" : "=r"(v)); return v; }
static inline u16 read_es(void) { u16 v; asm volatile("mov %%es, %0" : "=r"(v)); return v; }
static inline u16 read_tr(void) { u16 v; asm volatile("str %0" : "=r"(v)); return v; }

#define MSR_EFER 0xC0000080
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_SFMASK 0xC0000084
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)
#define CR0_WP (1ul << 16)
#define CR0_PG (1ul << 31)
#define CR4_PSE (1ul << 4)
#define CR4_PAE (1ul << 5)
#define CR4_PGE (1ul << 7)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)
#define FLAG_CF (1ul << 0)
#define FLAG_TF (1ul << 8)
#define FLAG_IF (1ul << 9)
#define FLAG_DF (1ul << 10)
#define FLAG_NT (1ul << 14)
#define FLAG_RF (1ul << 16)
#define FLAG_AC (1ul << 18)

/* Exception vectors. */
#define DE 0
#define DB 1
#define BP 3
#define OF 4
#define UD 6
#define DF 8
#define TS 10
#define NP 11
#define SS 12
#define GP 13
#define PF 14

/* True if CPUID says GenuineIntel (some corners differ on AMD). */
int cpu_is_intel(void);
/* MAXPHYADDR from CPUID 0x80000008. */
int cpu_phys_bits(void);

/* ---- memory probes (lib.c) ---- */
/* #PF error code bits. */
#define PF_P 1
#define PF_W 2
#define PF_U 4
#define PF_RSVD 8
#define PF_I 16
/* One 32-bit read, write (of 0x5a5a5a5a) or instruction fetch at va with the exception catcher armed:
 * the vector caught, or -1. A fetch jumps to va, where the caller has put an indirect jump back through
 * the (R/E)CX it is given. */
int probe_read(ulong va);
int probe_write(ulong va);
int probe_fetch(ulong va);
/* Whether the last fault was a #PF with this error code and CR2 (vector is what a probe returned). */
int is_pf(int vector, ulong err, ulong cr2);

/* ---- paging (vm.c, x86_64 guests) ---- */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull
#ifdef __x86_64__
extern u64 pml4[512], pdpt[512], pd[4 * 512], pt0[512];
/* A zeroed 4 KiB page from the guest's pool (identity mapped). */
void *alloc_page(void);
/* The entry at level (1 = PTE .. 4 = PML4E) for va, creating tables (P|W|U) on the way if create. */
u64 *page_entry(ulong va, int level, int create);
/* Maps the 4 KiB page va to pa with flags (PTE_P etc.) and flushes it. */
void map_page(ulong va, ulong pa, u64 flags);
/* Sets or clears U on every entry of the identity map (the guest image and its data). */
void identity_user(int user);
#endif

#endif
