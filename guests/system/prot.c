/*
 * prot (64-bit): execute-disable, SMEP and SMAP. XD at any level of the walk, SMEP faulting supervisor
 * fetches from user pages, SMAP faulting supervisor data accesses to user pages unless EFLAGS.AC is set
 * (STAC/CLAC or POPF), and STAC/CLAC being ring-0 only.
 */
#include "guest.h"

#define VA 0x8000000000ul

static u8 *data_page, *code_page;

static u32 leaf7_ebx(void)
{
	u32 a, b, c, d;
	cpuid(7, 0, &a, &b, &c, &d);
	return b;
}

static void test_nx(void)
{
	u32 a, b, c, d;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (!(d & (1u << 20))) {
		report_skip("NX not advertised");
		return;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	ulong va = VA + 0x1000;
	map_page(va, (ulong)code_page, PTE_P | PTE_NX);
	report(is_pf(probe_fetch(va), PF_P | PF_I, va), "XD in the PTE: fetch #PF(P|I)");
	map_page(va, (ulong)code_page, PTE_P);
	report(probe_fetch(va) == -1, "XD clear: fetch works");
	u64 *pde = page_entry(va, 2, 0);
	*pde |= PTE_NX;
	invlpg(va);
	report(is_pf(probe_fetch(va), PF_P | PF_I, va), "XD in the PDE covers the PTEs below it");
	*pde &= ~PTE_NX;
	u64 *pml4e = page_entry(va, 4, 0);
	*pml4e |= PTE_NX;
	invlpg(va);
	report(is_pf(probe_fetch(va), PF_P | PF_I, va), "XD in the PML4E covers everything below it");
	*pml4e &= ~PTE_NX;
	invlpg(va);
	report(probe_fetch(va) == -1, "fetch works again");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
}

static void test_smep(void)
{
	if (!(leaf7_ebx() & (1u << 7))) {
		TRY("mov %0, %%cr4", : : "r"(read_cr4() | CR4_SMEP) : "memory");
		report(last_fault.vector == GP, "CR4.SMEP without CPUID.SMEP: #GP(0)");
		return;
	}
	identity_user(0);
	ulong uva = VA + 0x2000, sva = VA + 0x3000;
	map_page(uva, (ulong)code_page, PTE_P | PTE_U);
	map_page(sva, (ulong)code_page, PTE_P);
	report(probe_fetch(uva) == -1, "CR4.SMEP=0: supervisor fetch from a user page works");
	write_cr4(read_cr4() | CR4_SMEP);
	report(is_pf(probe_fetch(uva), PF_P | PF_I, uva), "CR4.SMEP=1: supervisor fetch from a user page: #PF(P|I)");
	report(probe_fetch(sva) == -1, "CR4.SMEP=1: supervisor fetch from a supervisor page works");
	report(probe_read(uva) == -1, "CR4.SMEP=1: supervisor reads of a user page are still allowed");
	write_cr4(read_cr4() & ~CR4_SMEP);
	report(probe_fetch(uva) == -1, "CR4.SMEP=0 again: the fetch works");
	identity_user(1);
}

/* STAC/CLAC, or POPF where the oracle cannot run them (quirk "stac"). */
static void set_ac(int on)
{
	if (oracle_quirk("stac")) {
		if (on)
			asm volatile("pushf; orl $0x40000, (%%rsp); popf" ::: "memory");
		else
			asm volatile("pushf; andl $~0x40000, (%%rsp); popf" ::: "memory");
	} else if (on) {
		asm volatile("stac" ::: "memory");
	} else {
		asm volatile("clac" ::: "memory");
	}
}

static ulong user_stac(ulong unused)
{
	TRY("stac", : : : "memory");
	int stac = last_fault.vector;
	TRY("clac", : : : "memory");
	return stac == UD && last_fault.vector == UD;
}

static void test_smap(void)
{
	if (!(leaf7_ebx() & (1u << 20))) {
		TRY("mov %0, %%cr4", : : "r"(read_cr4() | CR4_SMAP) : "memory");
		report(last_fault.vector == GP, "CR4.SMAP without CPUID.SMAP: #GP(0)");
		TRY("stac", : : : "memory");
		report(last_fault.vector == UD, "STAC without CPUID.SMAP: #UD");
		return;
	}
	ulong uva = VA + 0x4000, sva = VA + 0x5000;
	map_page(uva, (ulong)data_page, PTE_P | PTE_W | PTE_U);
	map_page(sva, (ulong)data_page, PTE_P | PTE_W);
	report(run_user(user_stac, 0), "STAC and CLAC at ring 3: #UD");

	identity_user(0);
	write_cr4(read_cr4() | CR4_SMAP);
	set_ac(0);
	report(is_pf(probe_read(uva), PF_P, uva), "SMAP, AC=0: supervisor read of a user page: #PF(P)");
	report(is_pf(probe_write(uva), PF_P | PF_W, uva), "SMAP, AC=0: supervisor write to a user page: #PF(P|W)");
	report(probe_read(sva) == -1, "SMAP: supervisor pages are not affected");
	set_ac(1);
	report(probe_read(uva) == -1 && probe_write(uva) == -1, "SMAP, AC=1 (STAC): user pages are accessible");
	set_ac(0);
	report(is_pf(probe_read(uva), PF_P, uva), "CLAC: #PF again");
	asm volatile("pushf; orl $0x40000, (%%rsp); popf" ::: "memory");
	report(probe_read(uva) == -1, "AC=1 set by POPF works like STAC");
	set_ac(0);
	write_cr4(read_cr4() & ~CR4_SMAP);
	report(probe_read(uva) == -1, "CR4.SMAP=0: the read works");
	identity_user(1);
	/*
	 * (SMAP at ring 3 is not checked here: with the whole identity map user-accessible, the frame the
	 * processor pushes on the way back to ring 0 would itself be an implicit supervisor access to a user
	 * page, and fault.)
	 */
}

static void test_wp_user_pages(void)
{
	ulong va = VA + 0x6000;
	map_page(va, (ulong)data_page, PTE_P | PTE_U);
	report(is_pf(probe_write(va), PF_P | PF_W, va), "CR0.WP=1: supervisor write to a read-only user page: #PF(P|W)");
}

void main(void)
{
	data_page = alloc_page();
	code_page = alloc_page();
	code_page[0] = 0xff; /* jmp *%rcx */
	code_page[1] = 0xe1;
	test_nx();
	test_smep();
	test_smap();
	test_wp_user_pages();
}
