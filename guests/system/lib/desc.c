/*
 * Descriptor tables and exception handling: the GDT (see layout.h), a TSS with a ring-0 stack for
 * interrupts from ring 3, an IDT whose every gate leads to do_exception(), the TRY catcher, and
 * guest_start(), which sets all that up and runs main().
 */
#include "guest.h"

u64 gdt[GDT_ENTRIES] __attribute__((aligned(16)));
struct tss tss __attribute__((aligned(128)));
u8 ring0_stack[STACK_BYTES] __attribute__((aligned(16)));
u8 ist_stack1[STACK_BYTES] __attribute__((aligned(16)));
u8 ist_stack2[STACK_BYTES] __attribute__((aligned(16)));
static u8 user_stack[STACK_BYTES] __attribute__((aligned(16)));
ulong user_stack_top_ptr;

#ifdef __x86_64__
#define GATE_WORDS 2
#else
#define GATE_WORDS 1
#endif
static u64 idt[256 * GATE_WORDS] __attribute__((aligned(16)));
static handler_t handlers[256];
extern const ulong isr_table[256];

volatile struct fault last_fault;
volatile ulong fixup_ip, try_start, try_end;

u64 make_desc(u32 base, u32 limit, int type, int s, int dpl, int present, int flags)
{
	return (u64)(limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)(type & 15) << 40)
		| ((u64)(s & 1) << 44) | ((u64)(dpl & 3) << 45) | ((u64)(present & 1) << 47)
		| ((u64)((limit >> 16) & 15) << 48) | ((u64)(flags & 15) << 52) | ((u64)(base >> 24) << 56);
}

void set_gdt(u16 sel, u64 desc)
{
	gdt[sel >> 3] = desc;
}

ulong isr_address(int vector)
{
	return isr_table[vector];
}

void set_gate(int vector, ulong target, u16 sel, int type, int dpl, int ist)
{
	u64 lo = (target & 0xffff) | ((u64)sel << 16) | ((u64)(ist & 7) << 32) | ((u64)(type & 0x1f) << 40)
		| ((u64)(dpl & 3) << 45) | (1ull << 47) | ((u64)((target >> 16) & 0xffff) << 48);
	idt[vector * GATE_WORDS] = lo;
#ifdef __x86_64__
	idt[vector * 2 + 1] = (u64)target >> 32;
#endif
}

void set_gate_present(int vector, int present)
{
	if (present)
		idt[vector * GATE_WORDS] |= 1ull << 47;
	else
		idt[vector * GATE_WORDS] &= ~(1ull << 47);
}

void set_handler(int vector, handler_t h)
{
	handlers[vector] = h;
}

struct __attribute__((packed)) table_ptr {
	u16 limit;
	ulong base;
};

void load_idt(void *base, u16 limit)
{
	struct table_ptr p = { limit, (ulong)base };
	asm volatile("lidt %0" : : "m"(p));
}

static void load_gdt(void)
{
	struct table_ptr p = { sizeof(gdt) - 1, (ulong)gdt };
	asm volatile("lgdt %0" : : "m"(p));
}

static const char *exception_name(int v)
{
	static const char *names[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO",
		"#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM" };
	return v < 20 ? names[v] : "interrupt";
}

extern const char user_return_point[];

void do_exception(struct ex_regs *r)
{
	int v = (int)r->vector;
	if (v == UD && r->rip == (ulong)user_return_point)
		resume_kernel(r->rax);
	if (handlers[v]) {
		handlers[v](r);
		return;
	}
	if (fixup_ip) {
		last_fault.vector = v;
		last_fault.error_code = r->error_code;
		last_fault.rip = r->rip;
		last_fault.cs = r->cs;
		last_fault.cr2 = read_cr2();
		last_fault.rsp = r->rsp;
		last_fault.frame = (ulong)&r->rip;
		last_fault.count++;
		try_end = fixup_ip;
		r->rip = fixup_ip;
		r->rflags &= ~FLAG_TF; /* a TRY that set TF ends here */
		fixup_ip = 0;
		return;
	}
	printf("FAIL: unexpected %s (vector %d) error %lx at %lx:%lx cr2 %lx\n", exception_name(v), v,
		r->error_code, r->cs, r->rip, read_cr2());
	exit(3);
}


static void setup_gdt(void)
{
	/* G and D/B (flags 0xC) make 4 GiB 32-bit segments; L (flags 0xA: G, L) makes 64-bit code. */
	set_gdt(KERNEL_CS32, make_desc(0, 0xfffff, 0xb, 1, 0, 1, 0xc));
#ifdef __x86_64__
	set_gdt(KERNEL_CS, make_desc(0, 0xfffff, 0xb, 1, 0, 1, 0xa));
#else
	set_gdt(KERNEL_CS, make_desc(0, 0xfffff, 0xb, 1, 0, 1, 0xc));
#endif
	set_gdt(KERNEL_DS, make_desc(0, 0xfffff, 0x3, 1, 0, 1, 0xc));
	set_gdt(USER_CS32, make_desc(0, 0xfffff, 0xb, 1, 3, 1, 0xc));
	set_gdt(USER_DS, make_desc(0, 0xfffff, 0x3, 1, 3, 1, 0xc));
	set_gdt(USER_CS64, make_desc(0, 0xfffff, 0xb, 1, 3, 1, 0xa));
	/* The TSS: type 9 (available 32/64-bit TSS), byte granular. */
	ulong base = (ulong)&tss;
	set_gdt(TSS_SEL, make_desc((u32)base, sizeof(tss) - 1, 0x9, 0, 0, 1, 0));
#ifdef __x86_64__
	gdt[(TSS_SEL >> 3) + 1] = base >> 32;
#endif
	load_gdt();
#ifdef __x86_64__
	/* Reload CS with a far return, then the data segments. */
	asm volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:" : : "i"(KERNEL_CS) : "rax", "memory");
#else
	asm volatile("ljmp %0, $1f; 1:" : : "i"(KERNEL_CS) : "memory");
#endif
	asm volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; mov %0, %%fs; mov %0, %%gs" : : "r"(KERNEL_DS));
}

static void setup_tss(void)
{
	memset(&tss, 0, sizeof(tss));
#ifdef __x86_64__
	tss.rsp[0] = (ulong)ring0_stack + STACK_BYTES;
	tss.ist[0] = (ulong)ist_stack1 + STACK_BYTES;
	tss.ist[1] = (ulong)ist_stack2 + STACK_BYTES;
#else
	tss.esp0 = (ulong)ring0_stack + STACK_BYTES;
	tss.ss0 = KERNEL_DS;
#endif
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: ring 3 I/O faults */
	asm volatile("ltr %0" : : "r"((u16)TSS_SEL));
}

static void setup_idt(void)
{
	for (int v = 0; v < 256; v++) {
		int dpl = (v == BP || v == OF) ? 3 : 0;
		set_gate(v, isr_table[v], KERNEL_CS, 0xe, dpl, 0);
	}
	load_idt(idt, sizeof(idt) - 1);
}

void guest_start(void)
{
	user_stack_top_ptr = (ulong)user_stack + STACK_BYTES;
	setup_gdt();
	setup_tss();
	setup_idt();
	if (mb_magic != MB_BOOT_MAGIC)
		printf("note: entered without the multiboot magic (eax = %x)\n", mb_magic);
	main();
	printf("SUMMARY: %d failure(s)\n", failures());
	exit(failures() ? 1 : 0);
}
