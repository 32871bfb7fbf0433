/*
 * syscall (64-bit): the fast system calls. SYSCALL/SYSRET with STAR, LSTAR, CSTAR and SFMASK (RCX and R11,
 * the selectors, the flag mask, returns to 64-bit and to compatibility mode, #UD without EFER.SCE, #GP
 * at ring 3 and, as on Intel, for a non-canonical RCX); SYSENTER/SYSEXIT in 64-bit mode (Intel only);
 * SWAPGS and the FS/GS base MSRs.
 */
#include "guest.h"

#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define SFMASK_BITS (FLAG_TF | FLAG_DF | FLAG_IF | FLAG_AC | FLAG_NT)

/* What the kernel-side entry points saw. */
volatile ulong k_rcx, k_r11, k_flags, k_rsp, k_rax, k_count;
volatile u16 k_cs, k_ss;
static u8 sysenter_stack[4096] __attribute__((aligned(16)));

/*
 * syscall_entry (LSTAR): records the state and returns with SYSRETQ, or (RAX = 1) returns to the
 * compatibility-mode stub with SYSRETL. cstar_entry (CSTAR, SYSCALL from compatibility mode) records and
 * goes straight back to the kernel (resume_kernel). sysenter_entry records and returns with SYSEXITQ to
 * RDX:RCX, or (RAX = 2) with the 32-bit SYSEXIT to the compatibility-mode stub.
 */
asm(".text\n"
    ".globl syscall_entry, cstar_entry, sysenter_entry, compat_stub, compat_stub_syscall\n"
    "syscall_entry:\n"
    "	movq %rcx, k_rcx\n"
    "	movq %r11, k_r11\n"
    "	movq %rsp, k_rsp\n"
    "	movq %rax, k_rax\n"
    "	movw %cs, k_cs\n"
    "	movw %ss, k_ss\n"
    "	pushfq\n"
    "	popq k_flags\n"
    "	incq k_count\n"
    "	cmpq $1, %rax\n"
    "	je 1f\n"
    "	sysretq\n"
    "1:	movl $compat_stub, %ecx\n"
    "	movl $2, %r11d\n"
    "	sysretl\n"
    "cstar_entry:\n"
    "	movq %rcx, k_rcx\n"
    "	movw %cs, k_cs\n"
    "	incq k_count\n"
    "	movq %rax, %rdi\n"
    "	movw $0x18, %ax\n"
    "	movw %ax, %ss\n"
    "	jmp resume_kernel\n"
    "sysenter_entry:\n"
    "	movq %rsp, k_rsp\n"
    "	movw %cs, k_cs\n"
    "	movw %ss, k_ss\n"
    "	pushfq\n"
    "	popq k_flags\n"
    "	incq k_count\n"
    "	cmpq $2, %rax\n"
    "	je 1f\n"
    "	sysexitq\n"
    "1:	movl $compat_stub, %edx\n"
    "	movl %ecx, %ecx\n"
    "	sysexitl\n"
    ".code32\n"
    /* At ring 3 in compatibility mode: report CS in EAX and come back with SYSCALL. */
    "compat_stub:\n"
    "	xorl %eax, %eax\n"
    "	movw %cs, %ax\n"
    "compat_stub_syscall:\n"
    "	syscall\n"
    "	ud2\n"
    ".code64\n");

extern const char syscall_entry[], cstar_entry[], sysenter_entry[], compat_stub_syscall[];

/* At ring 3: SYSCALL with CF and DF set; returns the RCX it expects the kernel to see. */
static volatile ulong u_flags_before, u_flags_after;
static volatile u16 u_cs_after, u_ss_after;

static ulong user_syscall(ulong unused)
{
	ulong expect;
	asm volatile("stc; std\n\t"
		"pushfq; popq u_flags_before\n\t"
		"leaq 1f(%%rip), %0\n\t"
		"syscall\n"
		"1:	pushfq; popq u_flags_after\n\t"
		"movw %%cs, u_cs_after\n\t"
		"movw %%ss, u_ss_after\n\t"
		"cld"
		: "=&r"(expect) : "a"(0ul) : "rcx", "r11", "memory", "cc");
	return expect;
}

static void test_syscall(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
	TRY("syscall", : : : "rcx", "r11", "memory");
	report(last_fault.vector == UD && last_fault.rip == try_start, "SYSCALL with EFER.SCE=0: #UD");
	if (!oracle_quirk("sysret")) {
		TRY("sysretq", : : : "memory");
		report(last_fault.vector == UD, "SYSRET with EFER.SCE=0: #UD");
	}

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((u64)USER_CS32 << 48) | ((u64)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (ulong)syscall_entry);
	wrmsr(MSR_CSTAR, (ulong)cstar_entry);
	wrmsr(MSR_SFMASK, SFMASK_BITS);
	k_count = 0;
	ulong expect = run_user(user_syscall, 0);
	report(k_count == 1, "SYSCALL from ring 3 enters at LSTAR");
	report(k_rcx == expect, "RCX = the address after SYSCALL (%lx, want %lx)", k_rcx, expect);
	report(k_r11 == (u_flags_before & ~FLAG_RF), "R11 = RFLAGS (%lx, want %lx)", k_r11, u_flags_before);
	report(k_cs == KERNEL_CS && k_ss == KERNEL_DS, "CS = STAR[47:32], SS = +8 (cs %x ss %x)", k_cs, k_ss);
	report((k_flags & SFMASK_BITS) == 0 && (k_flags & FLAG_CF), "RFLAGS &= ~SFMASK (flags %lx)", k_flags);
	report(u_cs_after == USER_CS64 && u_ss_after == USER_DS,
		"SYSRETQ: CS = STAR[63:48]+16 | 3, SS = STAR[63:48]+8 | 3 (cs %x ss %x)", u_cs_after, u_ss_after);
	report(u_flags_after == u_flags_before, "SYSRETQ: RFLAGS = R11 (%lx)", u_flags_after);
}

static ulong user_to_compat(ulong unused)
{
	/* RAX = 1: the kernel returns with SYSRETL to compat_stub, which comes back through CSTAR. */
	asm volatile("syscall" : : "a"(1ul) : "rcx", "r11", "memory");
	return 0xdead;
}

static ulong user_sysret(ulong unused)
{
	TRY("sysretq", : : : "memory");
	return last_fault.vector == GP && last_fault.error_code == 0;
}

static volatile u16 compat_ud_cs;

/* Intel: SYSCALL is #UD in compatibility mode; the #UD comes back to the kernel with the stub's CS. */
static void compat_ud(struct ex_regs *r)
{
	if (r->rip != (ulong)compat_stub_syscall) {
		printf("FAIL: unexpected #UD at %lx:%lx\n", r->cs, r->rip);
		exit(3);
	}
	compat_ud_cs = r->cs;
	resume_kernel(r->rax);
}

static void test_sysret_compat(void)
{
	k_count = 0;
	set_handler(UD, compat_ud);
	ulong cs = run_user(user_to_compat, 0);
	set_handler(UD, 0);
	report((cs & 0xffff) == USER_CS32, "SYSRETL returns to compatibility mode, CS = STAR[63:48] | 3 (%lx)", cs);
	if (cpu_is_intel()) {
		report(k_count == 1 && compat_ud_cs == USER_CS32,
			"SYSCALL in compatibility mode: #UD (Intel)");
	} else {
		report(k_count == 2 && k_rcx == (ulong)compat_stub_syscall + 2 && k_cs == KERNEL_CS,
			"SYSCALL from compatibility mode enters at CSTAR, RCX = its return address (AMD)");
	}
	report(run_user(user_sysret, 0), "SYSRET at ring 3: #GP(0)");

	if (!cpu_is_intel()) {
		report_skip("SYSRET to a non-canonical RCX (Intel faults at ring 0, AMD at ring 3)");
		return;
	}
	ulong bad = 0x0000800000000000ul;
	TRY("mov %0, %%rcx; sysretq", : : "r"(bad) : "rcx", "memory");
	report(last_fault.vector == GP && last_fault.error_code == 0 && (last_fault.cs & 3) == 0
		&& last_fault.rip == try_start + 3,
		"SYSRET with a non-canonical RCX: #GP(0) at ring 0 (Intel)");
}

static ulong user_sysenter(ulong mode)
{
	ulong ret_rsp;
	asm volatile("movq %%rsp, %%rcx\n\t"
		"leaq 1f(%%rip), %%rdx\n\t"
		"sysenter\n"
		"1:	movq %%rsp, %0\n\t"
		"movw %%cs, u_cs_after\n\t"
		"movw %%ss, u_ss_after"
		: "=r"(ret_rsp) : "a"(mode) : "rcx", "rdx", "memory");
	return ret_rsp;
}

static ulong user_sysexit(ulong unused)
{
	TRY("sysexitq", : : : "memory");
	return last_fault.vector == GP && last_fault.error_code == 0;
}

static void test_sysenter(void)
{
	if (!cpu_is_intel()) {
		report_skip("SYSENTER/SYSEXIT in 64-bit mode (Intel only; #UD on AMD)");
		return;
	}
	wrmsr(MSR_SYSENTER_CS, 0);
	TRY("sysenter", : : : "memory");
	report(last_fault.vector == GP && last_fault.error_code == 0, "SYSENTER with SYSENTER_CS = 0: #GP(0)");

	ulong esp = (ulong)sysenter_stack + sizeof(sysenter_stack);
	wrmsr(MSR_SYSENTER_CS, KERNEL_CS);
	wrmsr(MSR_SYSENTER_ESP, esp);
	wrmsr(MSR_SYSENTER_EIP, (ulong)sysenter_entry);
	k_count = 0;
	run_user(user_sysenter, 0);
	report(k_count == 1 && k_cs == KERNEL_CS && k_ss == KERNEL_CS + 8 && k_rsp == esp,
		"SYSENTER: CS = SYSENTER_CS, SS = +8, RSP = SYSENTER_ESP (cs %x ss %x)", k_cs, k_ss);
	report(!(k_flags & FLAG_IF), "SYSENTER clears IF");
	report(u_cs_after == ((KERNEL_CS + 32) | 3) && u_ss_after == ((KERNEL_CS + 40) | 3),
		"SYSEXITQ: CS = SYSENTER_CS+32 | 3, SS = +40 | 3 (cs %x ss %x)", u_cs_after, u_ss_after);
	report(run_user(user_sysexit, 0), "SYSEXIT at ring 3: #GP(0)");
}

static void test_swapgs(void)
{
	static u64 area_a[2] = { 0xaaaa, 0 }, area_b[2] = { 0xbbbb, 0 };
	wrmsr(MSR_GS_BASE, (ulong)area_a);
	wrmsr(MSR_KERNEL_GS_BASE, (ulong)area_b);
	u64 v;
	asm volatile("movq %%gs:0, %0" : "=r"(v));
	report(v == 0xaaaa, "GS_BASE: %%gs:0 reads through it");
	asm volatile("swapgs" ::: "memory");
	asm volatile("movq %%gs:0, %0" : "=r"(v));
	report(v == 0xbbbb && rdmsr(MSR_GS_BASE) == (ulong)area_b && rdmsr(MSR_KERNEL_GS_BASE) == (ulong)area_a,
		"SWAPGS exchanges GS_BASE and KERNEL_GS_BASE");
	asm volatile("swapgs" ::: "memory");
	wrmsr(MSR_FS_BASE, (ulong)area_b);
	asm volatile("movq %%fs:0, %0" : "=r"(v));
	report(v == 0xbbbb, "FS_BASE: %%fs:0 reads through it");
	TRY("wrmsr", : : "c"(MSR_FS_BASE), "a"(0), "d"(0x8000u) : "memory");
	report(last_fault.vector == GP, "WRMSR FS_BASE with a non-canonical base: #GP(0)");
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);
}

void main(void)
{
	if (oracle_quirk("syscall")) {
		report_skip("SYSCALL/SYSRET (the KVM used as oracle handles them itself)");
	} else {
		test_syscall();
		test_sysret_compat();
	}
	test_sysenter();
	test_swapgs();
}
