/*
 * interrupts (64-bit): external interrupts from the local APIC (self-IPIs) are taken only at
 * instruction boundaries when EFLAGS.IF allows and no STI shadow is in force; CR8 masks them by priority;
 * STI;HLT wakes with the interrupt; NMIs ignore IF and are blocked from one NMI until the next IRET.
 */
#include "guest.h"

#define APIC 0xfee00000ul
#define APIC_ID 0x20
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_IRR 0x200
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define VEC 0x50
#define VEC_HI 0xe0

static inline u32 apic_read(u32 reg) { return *(volatile u32 *)(APIC + reg); }
static inline void apic_write(u32 reg, u32 v) { *(volatile u32 *)(APIC + reg) = v; }

static volatile ulong hits, hit_rip, nmi_hits, nmi_nested, nmi_rip;
static volatile int in_nmi;

static void on_vec(struct ex_regs *r)
{
	hits++;
	hit_rip = r->rip;
	apic_write(APIC_EOI, 0);
}

static void self_ipi(int vector)
{
	apic_write(APIC_ICR, (1u << 18) | vector); /* shorthand self, fixed */
}

static int irr(int vector)
{
	return (apic_read(APIC_IRR + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

static void send_nmi(void)
{
	apic_write(APIC_ICR2, apic_read(APIC_ID) & 0xff000000);
	apic_write(APIC_ICR, 4u << 8); /* NMI to our own APIC id, no shorthand */
}

static void on_nmi(struct ex_regs *r)
{
	nmi_hits++;
	nmi_rip = r->rip;
	if (in_nmi)
		nmi_nested = 1;
	in_nmi = 1;
	if (nmi_hits == 1) {
		/* A second NMI now must wait for this handler's IRET. */
		send_nmi();
		for (volatile int i = 0; i < 1000; i++)
			;
	}
	in_nmi = 0;
}

static void test_if_and_shadow(void)
{
	hits = 0;
	self_ipi(VEC);
	for (volatile int i = 0; i < 100; i++)
		;
	report(hits == 0 && irr(VEC), "IF=0: the interrupt stays pending in the IRR");

	asm volatile("sti; cli" ::: "memory");
	report(hits == 0, "STI;CLI: no interrupt in the STI shadow");

	if (oracle_quirk("intwindow")) {
		/* The oracle delivers a pending interrupt only at its next exit: clear it through STI;HLT. */
		asm volatile("sti; hlt; cli" ::: "memory");
		goto hlt;
	}
	ulong after_nop;
	asm volatile("sti\n\t" "nop\n" "1: cli\n\t" "leaq 1b(%%rip), %0" : "=r"(after_nop) : : "memory");
	report(hits == 1 && hit_rip == after_nop, "STI;NOP: taken after the NOP (rip %lx, want %lx)", hit_rip, after_nop);
	report(!irr(VEC), "taken: the IRR bit is clear");

	hits = 0;
	ulong from, to;
	asm volatile("sti\n\t" "leaq 1f(%%rip), %0\n\t" "leaq 2f(%%rip), %1\n\t" "movl %4, (%2)\n"
		"1: nop; nop; nop; nop; nop; nop; nop; nop\n" "2: cli"
		: "=&r"(from), "=&r"(to) : "r"(APIC + APIC_ICR), "r"(0ul), "i"((1u << 18) | VEC) : "memory");
	report(hits == 1 && hit_rip >= from && hit_rip <= to,
		"IF=1: a self-IPI is taken at an instruction boundary right after it (rip %lx in %lx-%lx)", hit_rip, from,
		to);

hlt:
	hits = 0;
	self_ipi(VEC);
	ulong after_hlt;
	asm volatile("sti\n\t" "hlt\n" "1: cli\n\t" "leaq 1b(%%rip), %0" : "=r"(after_hlt) : : "memory");
	report(hits == 1 && hit_rip == after_hlt, "STI;HLT with an interrupt pending: wakes, RIP after the HLT");
}

static void test_cr8(void)
{
	hits = 0;
	asm volatile("mov %0, %%cr8" : : "r"(6ul));
	self_ipi(VEC);
	asm volatile("sti; nop; nop; nop; cli" ::: "memory");
	int masked = hits == 0;
	self_ipi(VEC_HI);
	asm volatile("sti; nop; nop; nop; cli" ::: "memory");
	int high = hits == 1;
	asm volatile("mov %0, %%cr8" : : "r"(0ul));
	asm volatile("sti; nop; nop; nop; cli" ::: "memory");
	report(masked, "CR8 = 6 masks vector 0x50 (priority class 5)");
	report(high, "CR8 = 6 lets vector 0xe0 through");
	report(hits == 2, "CR8 = 0: the masked interrupt is taken (%lu)", hits);
	ulong cr8;
	asm volatile("mov %%cr8, %0" : "=r"(cr8));
	report(cr8 == 0, "CR8 reads back");
}

static void test_nmi(void)
{
	set_handler(2, on_nmi);
	nmi_hits = 0;
	nmi_nested = 0;
	send_nmi();
	for (volatile int i = 0; i < 1000; i++)
		;
	report(nmi_hits == 2, "NMI with IF=0 is taken; the NMI sent inside the handler follows (%lu)", nmi_hits);
	report(!nmi_nested, "no NMI nests inside an NMI handler (blocked until IRET)");
	set_handler(2, 0);
}

void main(void)
{
	set_handler(VEC, on_vec);
	set_handler(VEC_HI, on_vec);
	apic_write(APIC_SVR, 0x1ff);
	test_if_and_shadow();
	if (!oracle_quirk("intwindow"))
		test_cr8();
	test_nmi();
}
