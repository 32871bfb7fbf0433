/*
 * farcall64 (64-bit): far transfers in IA-32e mode. Indirect far CALL/JMP/RET at the same privilege and
 * into compatibility mode, 64-bit call gates from ring 3 to ring 0 (the stack switch through TSS.RSP0 with
 * a null SS, the frame, RETF back to the outer ring and the data segments it nulls), conforming code, and
 * the privilege checks with their #GP/#NP error codes; IRETQ to ring 3 and its checks.
 */
#include "guest.h"

#define GATE_SEL 0x48       /* 64-bit call gate, DPL 3, to KERNEL_CS:gate_target (two slots) */
#define GATE0_SEL 0x58      /* the same with DPL 0 */
#define GATE_NP_SEL 0x68    /* not present */
#define GATE_DATA_SEL 0x78  /* to a data segment */
#define GATE_NPCS_SEL 0x88  /* to a not-present code segment */
#define GATE_BADHI_SEL 0x98 /* upper half has a non-zero type */
#define GATE_CS32_SEL 0xa8  /* to a 32-bit code segment */
#define GATE_USER_SEL 0xb8  /* DPL 3 gate to ring-3 code */
#define CS_NP_SEL 0xc8      /* a 64-bit code segment, not present */
#define CONF_SEL 0xd0       /* a conforming 64-bit code segment, DPL 0 */

volatile ulong g_rsp, g_ret_rip, g_ret_cs, g_ret_rsp, g_ret_ss, g_count;
volatile u16 g_cs, g_ss;

/* The ring-0 end of the gates: records where it is and what was pushed, loads a DPL-0 DS, returns. */
asm(".text\n"
    ".globl gate_target, compat_target, conforming_target\n"
    "gate_target:\n"
    "	movw %cs, g_cs\n"
    "	movw %ss, g_ss\n"
    "	movq %rsp, g_rsp\n"
    "	movq 0(%rsp), %rax\n"
    "	movq %rax, g_ret_rip\n"
    "	movq 8(%rsp), %rax\n"
    "	movq %rax, g_ret_cs\n"
    "	movq 16(%rsp), %rax\n"
    "	movq %rax, g_ret_rsp\n"
    "	movq 24(%rsp), %rax\n"
    "	movq %rax, g_ret_ss\n"
    "	incq g_count\n"
    "	movw $0x18, %ax\n"
    "	movw %ax, %ds\n"
    "	lretq\n"
    ".code32\n"
    /* Compatibility mode at ring 0: EAX = CS as seen there; back with a 32-bit far return. */
    "compat_target:\n"
    "	xorl %eax, %eax\n"
    "	movw %cs, %ax\n"
    "	lret\n"
    ".code64\n"
    /* A conforming DPL-0 segment entered by far JMP: report CS, jump back to *%rbx (m16:64). */
    "conforming_target:\n"
    "	xorl %eax, %eax\n"
    "	movw %cs, %ax\n"
    "	rex64 ljmp *(%rbx)\n");

extern const char gate_target[], compat_target[], conforming_target[];

struct __attribute__((packed)) far64 {
	u64 off;
	u16 sel;
};
struct __attribute__((packed)) far32 {
	u32 off;
	u16 sel;
};

static void set_gate64(u16 sel, u16 target_sel, ulong target, int dpl, int present)
{
	u64 lo = (target & 0xffff) | ((u64)target_sel << 16) | (0xcull << 40) | ((u64)(dpl & 3) << 45)
		| ((u64)(present & 1) << 47) | ((u64)((target >> 16) & 0xffff) << 48);
	gdt[sel >> 3] = lo;
	gdt[(sel >> 3) + 1] = target >> 32;
}

/* rex64 lcall *ptr with the catcher armed; returns the vector or -1. */
static int far_call(u16 sel, ulong off)
{
	struct far64 p = { off, sel };
	TRY("rex64 lcall *(%0)", : : "r"(&p) : "rax", "memory");
	return last_fault.vector;
}

static int far_jmp(u16 sel, ulong off)
{
	struct far64 p = { off, sel };
	TRY("rex64 ljmp *(%0)", : : "r"(&p) : "rax", "memory");
	return last_fault.vector;
}

static int gp(int v, ulong err) { return v == GP && last_fault.error_code == err; }
static int np(int v, ulong err) { return v == NP && last_fault.error_code == err; }

static void test_same_privilege(void)
{
	struct far64 p = { (ulong)gate_target, KERNEL_CS };
	g_count = 0;
	ulong rsp;
	asm volatile("movq %%rsp, %0; rex64 lcall *(%1)" : "=&r"(rsp) : "r"(&p) : "rax", "memory");
	report(g_count == 1 && g_cs == KERNEL_CS && g_rsp == rsp - 16 && g_ret_cs == KERNEL_CS,
		"far CALL m16:64 at ring 0 pushes CS:RIP as two quadwords (rsp %lx -> %lx)", rsp, g_rsp);
	asm volatile("mov %0, %%ds" : : "r"((u16)KERNEL_DS));

	struct far32 c = { (u32)(ulong)compat_target, KERNEL_CS32 };
	ulong cs;
	asm volatile("lcall *(%1)" : "=a"(cs) : "r"(&c) : "memory");
	report((cs & 0xffff) == KERNEL_CS32, "far CALL m16:32 into a 32-bit code segment: compatibility mode");

	TRY(".byte 0x9a; .long 0; .word 0x10", : : : "memory");
	report(last_fault.vector == UD, "direct far CALL (9A) in 64-bit mode: #UD");
	TRY(".byte 0xea; .long 0; .word 0x10", : : : "memory");
	report(last_fault.vector == UD, "direct far JMP (EA) in 64-bit mode: #UD");

	report(gp(far_jmp(USER_CS64, 0), USER_CS64 & ~3), "far JMP to ring-3 code from ring 0: #GP(selector)");
	report(gp(far_call(KERNEL_DS, 0), KERNEL_DS), "far CALL to a data segment: #GP(selector)");
	report(gp(far_jmp(0, 0), 0), "far JMP to the null selector: #GP(0)");
	report(np(far_jmp(CS_NP_SEL, 0), CS_NP_SEL), "far JMP to a not-present code segment: #NP(selector)");
	report(gp(far_jmp(GDT_ENTRIES * 8, 0), GDT_ENTRIES * 8), "far JMP beyond the GDT limit: #GP(selector)");
	if (!oracle_quirk("farjmp"))
		report(gp(far_jmp(KERNEL_CS, 0x0000800000000000ul), 0), "far JMP to a non-canonical offset: #GP(0)");
}

/* Ring 3: a far call through the gate; returns RSP before the call; DS after the return in u_ds. */
static volatile u16 u_ds, u_cs;

static ulong user_gate_call(ulong sel)
{
	struct far64 p = { 0x1234, (u16)sel };
	ulong rsp;
	asm volatile("mov %3, %%ds\n\t" "movq %%rsp, %0\n\t" "rex64 lcall *(%2)\n\t" "movw %%ds, %1"
		: "=&r"(rsp), "=m"(u_ds) : "r"(&p), "r"((u16)USER_DS) : "rax", "memory");
	return rsp;
}

static ulong user_far_call(ulong sel)
{
	return far_call((u16)sel, 0) == GP ? last_fault.error_code : last_fault.vector == NP ? 0x10000 | last_fault.error_code : 0xdead;
}

static ulong user_far_jmp(ulong sel)
{
	return far_jmp((u16)sel, 0) == GP ? last_fault.error_code : last_fault.vector == NP ? 0x10000 | last_fault.error_code : 0xdead;
}

static ulong user_conforming(ulong unused)
{
	struct far64 back = { 0, USER_CS64 }, there = { (ulong)conforming_target, CONF_SEL | 3 };
	ulong cs;
	asm volatile("leaq 1f(%%rip), %%rcx\n\t" "movq %%rcx, (%1)\n\t" "rex64 ljmp *(%2)\n" "1:"
		: "=a"(cs) : "b"(&back), "d"(&there) : "rcx", "memory");
	asm volatile("movw %%cs, %0" : "=m"(u_cs));
	return cs;
}

static void test_call_gates(void)
{
	set_gate64(GATE_SEL, KERNEL_CS, (ulong)gate_target, 3, 1);
	set_gate64(GATE0_SEL, KERNEL_CS, (ulong)gate_target, 0, 1);
	set_gate64(GATE_NP_SEL, KERNEL_CS, (ulong)gate_target, 3, 0);
	set_gate64(GATE_DATA_SEL, KERNEL_DS, (ulong)gate_target, 3, 1);
	set_gate64(GATE_NPCS_SEL, CS_NP_SEL, (ulong)gate_target, 3, 1);
	set_gate64(GATE_BADHI_SEL, KERNEL_CS, (ulong)gate_target, 3, 1);
	gdt[(GATE_BADHI_SEL >> 3) + 1] |= 0xcull << 40;
	set_gate64(GATE_CS32_SEL, KERNEL_CS32, (ulong)gate_target, 3, 1);
	set_gate64(GATE_USER_SEL, USER_CS64, (ulong)gate_target, 3, 1);

	g_count = 0;
	ulong user_rsp = run_user(user_gate_call, GATE_SEL | 3);
	ulong top = (ulong)ring0_stack + STACK_BYTES;
	report(g_count == 1 && g_cs == KERNEL_CS && g_ss == 0,
		"call gate from ring 3: CS = the gate's selector at ring 0, SS = null (cs %x ss %x)", g_cs, g_ss);
	report(g_rsp == top - 32, "the stack switched to TSS.RSP0 (rsp %lx, rsp0 %lx)", g_rsp, top);
	report(g_ret_cs == USER_CS64 && g_ret_ss == USER_DS && g_ret_rsp == user_rsp,
		"frame: RIP, CS, RSP, SS of ring 3 (cs %lx ss %lx rsp %lx)", g_ret_cs, g_ret_ss, g_ret_rsp);
	report(u_ds == 0, "RETF to ring 3 nulls a DS holding a DPL-0 segment (ds %x)", u_ds);

	/* The same gate at ring 0: no stack switch, the frame is CS:RIP only. */
	g_count = 0;
	ulong rsp;
	struct far64 p = { 0, GATE_SEL };
	asm volatile("movq %%rsp, %0; rex64 lcall *(%1)" : "=&r"(rsp) : "r"(&p) : "rax", "memory");
	asm volatile("mov %0, %%ds" : : "r"((u16)KERNEL_DS));
	report(g_count == 1 && g_rsp == rsp - 16 && g_ret_cs == KERNEL_CS,
		"call gate at ring 0 to ring 0: CS:RIP pushed on the same stack");

	report(run_user(user_far_call, GATE0_SEL | 3) == GATE0_SEL, "call gate with DPL 0 from ring 3: #GP(gate)");
	report(run_user(user_far_call, GATE_NP_SEL | 3) == (0x10000 | GATE_NP_SEL), "not-present call gate: #NP(gate)");
	report(run_user(user_far_call, GATE_DATA_SEL | 3) == KERNEL_DS, "call gate to a data segment: #GP(target)");
	report(run_user(user_far_call, GATE_NPCS_SEL | 3) == (0x10000 | CS_NP_SEL),
		"call gate to a not-present code segment: #NP(target)");
	report(run_user(user_far_call, GATE_BADHI_SEL | 3) == GATE_BADHI_SEL,
		"64-bit call gate with a non-zero type in its upper half: #GP(gate)");
	report(run_user(user_far_call, GATE_CS32_SEL | 3) == KERNEL_CS32,
		"64-bit call gate to a 32-bit code segment: #GP(target)");
	report(run_user(user_far_jmp, GATE_SEL | 3) == KERNEL_CS,
		"far JMP through a call gate to a more privileged segment: #GP(target)");
	report(gp(far_call(GATE_USER_SEL, 0), USER_CS64 & ~3),
		"call gate at ring 0 to ring-3 code (DPL > CPL): #GP(target)");

	report(run_user(user_conforming, 0) == (CONF_SEL | 3) && u_cs == USER_CS64,
		"far JMP from ring 3 to conforming DPL-0 code keeps CPL 3 (CS.RPL = 3) and back");
}

/* Runs insn (which pushes a frame and returns through it) with the catcher armed, RSP restored after. */
#define TRY_FRAME(insn, ...) \
	do { \
		last_fault.vector = -1; \
		asm volatile("movq %%rsp, %%rbx\n\t" TRY_BEGIN insn TRY_END "movq %%rbx, %%rsp" __VA_ARGS__); \
	} while (0)

static void test_returns(void)
{
	TRY_FRAME("pushq %0; pushq %%rsp; pushq %1; leaq 1f(%%rip), %%rax; pushq %%rax; lretq\n" "1:",
		: : "i"(USER_DS & ~3), "i"(USER_CS64) : "rax", "rbx", "memory");
	report(last_fault.vector == GP && last_fault.error_code == (USER_DS & ~3),
		"RETF to ring 3 with an SS of RPL 0: #GP(SS) (err %lx)", last_fault.error_code);
	TRY_FRAME("pushq $3; pushq %%rsp; pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq\n" "1:",
		: : "i"(USER_CS64) : "rax", "rbx", "memory");
	report(last_fault.vector == GP && last_fault.error_code == 0, "RETF to ring 3 with a null SS: #GP(0)");
	TRY_FRAME("pushq %0; pushq %%rsp; pushfq; pushq %1; leaq 1f(%%rip), %%rax; pushq %%rax; iretq\n" "1:",
		: : "i"(USER_DS), "i"(KERNEL_CS | 3) : "rax", "rbx", "memory");
	report(last_fault.vector == GP && last_fault.error_code == KERNEL_CS, "IRETQ to CS with RPL 3, DPL 0: #GP(CS)");
	TRY_FRAME("pushq %0; pushq %%rsp; pushfq; pushq %1; leaq 1f(%%rip), %%rax; pushq %%rax; iretq\n" "1:",
		: : "i"(KERNEL_DS), "i"(CS_NP_SEL) : "rax", "rbx", "memory");
	report(last_fault.vector == NP && last_fault.error_code == CS_NP_SEL, "IRETQ to a not-present CS: #NP(CS)");
	TRY_FRAME("pushq %0; pushq %%rsp; pushfq; pushq %1; leaq 1f(%%rip), %%rax; pushq %%rax; iretq\n" "1:",
		: : "i"(USER_DS & ~3), "i"(USER_CS64) : "rax", "rbx", "memory");
	report(last_fault.vector == GP && last_fault.error_code == (USER_DS & ~3),
		"IRETQ to ring 3 with an SS of RPL 0: #GP(SS)");

	/* IRETQ at ring 0 to ring 0 pops SS:RSP too (64-bit mode always does). */
	ulong rsp_after, rsp_pushed;
	asm volatile("movq %%rsp, %%rbx\n\t" "movq %%rsp, %1\n\t" "subq $64, %%rsp\n\t"
		"pushq %2; pushq %%rbx; pushfq; pushq %3\n\t"
		"leaq 1f(%%rip), %%rax; pushq %%rax; iretq\n" "1: movq %%rsp, %0\n\t" "movq %%rbx, %%rsp"
		: "=&r"(rsp_after), "=&r"(rsp_pushed) : "i"(KERNEL_DS), "i"(KERNEL_CS) : "rax", "rbx", "memory");
	report(rsp_after == rsp_pushed, "IRETQ at ring 0 loads RSP from the frame (%lx)", rsp_after);
}

void main(void)
{
	set_gdt(CS_NP_SEL, make_desc(0, 0xfffff, 0xb, 1, 0, 0, 0xa));
	set_gdt(CONF_SEL, make_desc(0, 0xfffff, 0xf, 1, 0, 1, 0xa));
	test_same_privilege();
	if (oracle_quirk("callgate")) {
		report_skip("call gates and returns to another ring (the KVM used as oracle does not emulate them)");
		return;
	}
	test_call_gates();
	test_returns();
}
