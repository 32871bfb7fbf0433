/*
 * farcall32 (32-bit protected mode): privilege changes the 32-bit way. Interrupts from ring 3 through
 * TSS.SS0:ESP0, IRET within and across rings, 32-bit call gates copying parameters to ring 0 and leading
 * to ring 1 through TSS.SS1:ESP1, the #TS/#SS checks of the new stack, RETF n to the outer ring, conforming
 * code, data segments nulled on the way out, INTO and BOUND, LAR/LSL/VERR/VERW, and SYSENTER/SYSEXIT.
 */
#include "guest.h"

#define RING1_CS 0x48
#define RING1_DS 0x50
#define GATE_R0 0x58    /* DPL 3, to KERNEL_CS:gate_target, 2 parameters */
#define GATE_R1 0x60    /* DPL 3, to RING1_CS:ring1_target */
#define SS_NP 0x68      /* a DPL-1 data segment, not present */
#define CONF_CS 0x70    /* conforming DPL-0 code */
#define XO_CS 0x78      /* execute-only code */
#define GATE_DPL0 0x80  /* DPL 0 gate */

volatile u32 g_esp, g_frame[6], g_count;
volatile u16 g_cs, g_ss;
static u8 ring1_stack[4096] __attribute__((aligned(16)));

asm(".text\n"
    ".globl gate_target, ring1_target, conf_target\n"
    /* Ring 0 through a gate with two parameters: record the frame, load DS = KERNEL_DS, RETF 8. */
    "gate_target:\n"
    "	movw %cs, g_cs\n"
    "	movw %ss, g_ss\n"
    "	movl %esp, g_esp\n"
    "	movw $0x18, %ax\n"
    "	movw %ax, %ds\n"
    "	movl 0(%esp), %eax; movl %eax, g_frame\n"
    "	movl 4(%esp), %eax; movl %eax, g_frame+4\n"
    "	movl 8(%esp), %eax; movl %eax, g_frame+8\n"
    "	movl 12(%esp), %eax; movl %eax, g_frame+12\n"
    "	movl 16(%esp), %eax; movl %eax, g_frame+16\n"
    "	movl 20(%esp), %eax; movl %eax, g_frame+20\n"
    "	incl g_count\n"
    "	lret $8\n"
    /* Ring 1: report CS and SS in EAX, return to ring 3. */
    "ring1_target:\n"
    "	movw %ss, %ax\n"
    "	shll $16, %eax\n"
    "	movw %cs, %ax\n"
    "	lret\n"
    "conf_target:\n"
    "	xorl %eax, %eax\n"
    "	movw %cs, %ax\n"
    "	lret\n");
extern const char gate_target[], ring1_target[], conf_target[];

static void set_gate32(u16 sel, u16 cs, ulong off, int dpl, int params)
{
	gdt[sel >> 3] = (off & 0xffff) | ((u64)cs << 16) | ((u64)(params & 31) << 32) | (0xcull << 40)
		| ((u64)dpl << 45) | (1ull << 47) | ((u64)(off >> 16) << 48);
}


static volatile u32 h_frame[5], h_esp;
static volatile u16 h_ss;

static void record(struct ex_regs *r)
{
	h_ss = read_ss();
	h_esp = (ulong)&r->rip;
	h_frame[0] = r->rip;
	h_frame[1] = r->cs;
	h_frame[2] = r->rflags;
	h_frame[3] = r->rsp;
	h_frame[4] = r->ss;
	r->rip += 2;
}

static ulong user_div0(ulong unused)
{
	ulong esp;
	asm volatile("movl %%esp, %0; divl %%ecx" : "=&r"(esp) : "a"(1), "d"(0), "c"(0) : "memory");
	return esp;
}

static void test_interrupts(void)
{
	set_handler(DE, record);
	ulong esp = run_user(user_div0, 0);
	set_handler(DE, 0);
	ulong top = (ulong)ring0_stack + STACK_BYTES;
	report(h_esp == top - 20 && h_ss == KERNEL_DS, "#DE at ring 3: 5-dword frame on TSS.SS0:ESP0 (esp %x ss %x)",
		h_esp, h_ss);
	report(h_frame[1] == USER_CS32 && h_frame[3] == esp && h_frame[4] == USER_DS,
		"the frame holds CS, ESP and SS of ring 3");

	/* IRET at the same privilege pops EIP, CS, EFLAGS only. */
	ulong before, after;
	asm volatile("movl %%esp, %0\n\t" "pushfl; pushl %2; pushl $1f; iret\n" "1: movl %%esp, %1"
		: "=&r"(before), "=&r"(after) : "i"(KERNEL_CS) : "memory");
	report(after == before, "IRET within ring 0 pops 3 dwords (esp %lx -> %lx)", before, after);

	TRY("pushl $0x7fffffff; popl %%eax; addl $1, %%eax; into", : : : "eax", "memory");
	report(last_fault.vector == OF && last_fault.rip == try_end, "INTO with OF=1: #OF, a trap");
	TRY("xorl %%eax, %%eax; into", : : : "eax", "memory");
	report(last_fault.vector == -1, "INTO with OF=0: nothing");
	static u32 bounds[2] = { 10, 20 };
	TRY("movl $21, %%eax; boundl %%eax, (%0)", : : "r"(bounds) : "eax", "memory");
	report(last_fault.vector == 5 && last_fault.rip == try_start + 5, "BOUND out of range: #BR, a fault");
	TRY("movl $20, %%eax; boundl %%eax, (%0)", : : "r"(bounds) : "eax", "memory");
	report(last_fault.vector == -1, "BOUND in range: nothing");
	set_gate_present(5, 0);
	TRY("movl $21, %%eax; boundl %%eax, (%0)", : : "r"(bounds) : "eax", "memory");
	set_gate_present(5, 1);
	report(last_fault.vector == NP && last_fault.error_code == 5 * 8 + 3,
		"#BR through a not-present gate: #NP(vector*8+IDT+EXT), not #DF (err %lx)", last_fault.error_code);
}

static volatile u16 u_ds;

static ulong user_gate(ulong unused)
{
	ulong esp;
	asm volatile("movl %%esp, %0\n\t" "pushl $0x2222; pushl $0x1111\n\t" "lcall %2, $0\n\t"
		"movw %%ds, %%cx; movw %3, %%dx; movw %%dx, %%ds; movw %%dx, %%es; movw %%cx, u_ds"
		: "=&r"(esp) : "i"(0), "i"(GATE_R0 | 3), "i"(USER_DS) : "eax", "ecx", "edx", "memory");
	return esp;
}

static ulong user_ring1(ulong unused)
{
	ulong v;
	TRY("lcall %1, $0", : "=a"(v) : "i"(GATE_R1 | 3) : "memory");
	if (last_fault.vector == TS)
		return 0x10000 | last_fault.error_code;
	if (last_fault.vector == SS)
		return 0x20000 | last_fault.error_code;
	if (last_fault.vector >= 0)
		return 0xff000000 | last_fault.vector;
	return v;
}

static ulong user_call(ulong sel)
{
	struct __attribute__((packed)) { u32 off; u16 sel; } p = { (ulong)conf_target, (u16)sel };
	ulong v;
	TRY("lcall *(%1)", : "=a"(v) : "r"(&p) : "memory");
	if (last_fault.vector == GP)
		return 0x10000 | last_fault.error_code;
	if (last_fault.vector >= 0)
		return 0xff000000 | last_fault.vector;
	return v;
}

static ulong call_ring0(ulong sel)
{
	return user_call(sel);
}

static void test_call_gates(void)
{
	set_gate32(GATE_R0, KERNEL_CS, (ulong)gate_target, 3, 2);
	set_gate32(GATE_R1, RING1_CS, (ulong)ring1_target, 3, 0);
	set_gate32(GATE_DPL0, KERNEL_CS, (ulong)gate_target, 0, 2);
	g_count = 0;
	ulong esp = run_user(user_gate, 0);
	ulong top = (ulong)ring0_stack + STACK_BYTES;
	report(g_count == 1 && g_cs == KERNEL_CS && g_ss == KERNEL_DS && g_esp == top - 24,
		"32-bit call gate from ring 3: ring 0 on TSS.SS0:ESP0 (cs %x ss %x esp %x)", g_cs, g_ss, g_esp);
	report(g_frame[1] == USER_CS32 && g_frame[2] == 0x1111 && g_frame[3] == 0x2222
		&& g_frame[4] == esp - 8 && g_frame[5] == USER_DS,
		"frame: EIP, CS, the 2 copied parameters, ESP, SS (%x %x %x %x %x)", g_frame[1], g_frame[2], g_frame[3],
		g_frame[4], g_frame[5]);
	report(u_ds == 0, "RETF to ring 3 nulls a DS holding a DPL-0 segment");

	tss.ss1 = RING1_DS | 1;
	tss.esp1 = (ulong)ring1_stack + sizeof(ring1_stack);
	ulong v = run_user(user_ring1, 0);
	report(v == (((ulong)(RING1_DS | 1) << 16) | (RING1_CS | 1)), "call gate to ring 1: CS and SS of ring 1 (%lx)", v);
	tss.ss1 = 0;
	report(run_user(user_ring1, 0) == 0x10000, "TSS.SS1 null: #TS(0) (%lx)", run_user(user_ring1, 0));
	tss.ss1 = KERNEL_DS;
	report(run_user(user_ring1, 0) == (0x10000 | KERNEL_DS), "TSS.SS1 with RPL and DPL 0: #TS(SS1)");
	tss.ss1 = RING1_CS | 1;
	report(run_user(user_ring1, 0) == (0x10000 | RING1_CS), "TSS.SS1 a code segment: #TS(SS1)");
	tss.ss1 = SS_NP | 1;
	report(run_user(user_ring1, 0) == (0x20000 | SS_NP), "TSS.SS1 not present: #SS(SS1)");
	tss.ss1 = RING1_DS | 1;

	report(run_user(user_call, GATE_DPL0 | 3) == (0x10000 | GATE_DPL0), "call gate with DPL 0 from ring 3: #GP(gate)");
	report(run_user(user_call, KERNEL_CS) == (0x10000 | KERNEL_CS), "direct far CALL to ring 0 from ring 3: #GP(CS)");
	report(run_user(user_call, CONF_CS | 3) == (CONF_CS | 3), "far CALL to conforming DPL-0 code stays at CPL 3");
	report(call_ring0(TSS_SEL) == (0x10000 | TSS_SEL), "far CALL to a busy TSS: #GP(TSS)");
}

/* LAR/LSL into *out with ZF as the result; VERR/VERW's ZF. */
static int lar(ulong sel, ulong *out)
{
	u8 z;
	asm volatile("larl %2, %0; setz %1" : "+r"(*out), "=q"(z) : "r"(sel) : "cc");
	return z;
}

static int lsl(ulong sel, ulong *out)
{
	u8 z;
	asm volatile("lsll %2, %0; setz %1" : "+r"(*out), "=q"(z) : "r"(sel) : "cc");
	return z;
}

static int verr(u16 sel)
{
	u8 z;
	asm volatile("verr %1; setz %0" : "=q"(z) : "r"(sel) : "cc");
	return z;
}

static int verw(u16 sel)
{
	u8 z;
	asm volatile("verw %1; setz %0" : "=q"(z) : "r"(sel) : "cc");
	return z;
}

static ulong user_lar(ulong sel)
{
	ulong ar = 0;
	return lar(sel, &ar);
}

static void test_inspection(void)
{
	ulong ar = 0, lim = 0;
	int z = lar(KERNEL_CS, &ar);
	/* Bits 19:16 (the limit's top) are undefined in the SDM; AMD and KVM hosts return them. */
	report(z && (ar & 0x00f0ff00) == ((gdt[KERNEL_CS >> 3] >> 32) & 0x00f0ff00), "LAR of a code segment (%lx)", ar);
	z = lsl(USER_DS, &lim);
	report(z && lim == 0xffffffff, "LSL of a 4 GiB data segment: limit scaled by G (%lx)", lim);
	z = lsl(TSS_SEL, &lim);
	report(z && lim == sizeof(tss) - 1, "LSL of a TSS (%lx)", lim);
	report(!lsl(GATE_R0, &lim), "LSL of a call gate: ZF=0");
	report(lar(GATE_R0, &ar), "LAR of a call gate: ZF=1");
	report(!lar(0, &ar), "LAR of the null selector: ZF=0");
	report(!lsl(GDT_ENTRIES * 8, &lim), "LSL beyond the GDT limit: ZF=0");
	report(!verr(XO_CS), "VERR of execute-only code: ZF=0");
	report(verr(KERNEL_CS), "VERR of readable code: ZF=1");
	report(!verw(KERNEL_CS), "VERW of code: ZF=0");
	report(verw(USER_DS), "VERW of writable data: ZF=1");
	report(run_user(user_lar, KERNEL_DS) == 0, "LAR of a DPL-0 segment at ring 3: ZF=0");
	report(run_user(user_lar, USER_DS) == 1, "LAR of a DPL-3 segment at ring 3: ZF=1");
}

volatile u32 se_esp, se_count;
volatile u16 se_cs, se_ss, su_cs, su_ss;
static u8 sysenter_stack[1024] __attribute__((aligned(16)));

asm(".globl sysenter_entry32\n"
    "sysenter_entry32:\n"
    "	movw %cs, se_cs\n"
    "	movw %ss, se_ss\n"
    "	movl %esp, se_esp\n"
    "	incl se_count\n"
    "	sysexit\n");
extern const char sysenter_entry32[];

static ulong user_sysenter(ulong unused)
{
	asm volatile("movl %%esp, %%ecx\n\t" "movl $1f, %%edx\n\t" "sysenter\n" "1: movw %%cs, su_cs\n\t"
		"movw %%ss, su_ss" : : : "ecx", "edx", "memory");
	return 0;
}

static void test_sysenter(void)
{
	wrmsr(MSR_SYSENTER_CS, KERNEL_CS);
	wrmsr(MSR_SYSENTER_ESP, (ulong)sysenter_stack + sizeof(sysenter_stack));
	wrmsr(MSR_SYSENTER_EIP, (ulong)sysenter_entry32);
	se_count = 0;
	run_user(user_sysenter, 0);
	report(se_count == 1 && se_cs == KERNEL_CS && se_ss == KERNEL_CS + 8
		&& se_esp == (ulong)sysenter_stack + sizeof(sysenter_stack),
		"SYSENTER: CS = SYSENTER_CS, SS = +8, ESP = SYSENTER_ESP");
	report(su_cs == ((KERNEL_CS + 16) | 3) && su_ss == ((KERNEL_CS + 24) | 3),
		"SYSEXIT: CS = SYSENTER_CS+16 | 3, SS = +24 | 3 (cs %x ss %x)", su_cs, su_ss);
}

void main(void)
{
	set_gdt(RING1_CS, make_desc(0, 0xfffff, 0xb, 1, 1, 1, 0xc));
	set_gdt(RING1_DS, make_desc(0, 0xfffff, 0x3, 1, 1, 1, 0xc));
	set_gdt(SS_NP, make_desc(0, 0xfffff, 0x3, 1, 1, 0, 0xc));
	set_gdt(CONF_CS, make_desc(0, 0xfffff, 0xf, 1, 0, 1, 0xc));
	set_gdt(XO_CS, make_desc(0, 0xfffff, 0x9, 1, 0, 1, 0xc));
	set_gate32(GATE_R0, KERNEL_CS, (ulong)gate_target, 3, 2);
	test_interrupts();
	test_inspection();
	test_sysenter();
	test_call_gates();
}
