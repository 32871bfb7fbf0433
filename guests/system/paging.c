/*
 * paging (64-bit): 4-level page faults. The #PF error code bits P, W, U, RSVD and I one by one, CR2,
 * faults at every level of the walk, CR0.WP, reserved bits in each kind of entry, and 2 MiB and 1 GiB
 * pages.
 */
#include "guest.h"

#define VA 0x8000000000ul /* PML4 entry 1: nothing else is mapped there */

static u8 *page_a, *page_b;

static ulong user_read(ulong va) { return probe_read(va) == PF ? last_fault.error_code : 0xff; }
static ulong user_write(ulong va) { return probe_write(va) == PF ? last_fault.error_code : 0xff; }
static ulong user_fetch(ulong va) { return probe_fetch(va) == PF ? last_fault.error_code : 0xff; }

static void test_not_present(void)
{
	ulong va = VA + 0x123;
	int v = probe_read(va);
	report(is_pf(v, 0, va) && last_fault.rip == try_start,
		"read of a not-present page: #PF(0), CR2 = address, a fault (err %lx cr2 %lx)", last_fault.error_code,
		last_fault.cr2);
	v = probe_write(va + 8);
	report(is_pf(v, PF_W, va + 8), "write of a not-present page: #PF(W) (err %lx)", last_fault.error_code);
	report(run_user(user_read, va) == PF_U, "ring-3 read of a not-present page: #PF(U)");
	report(run_user(user_write, va) == (PF_U | PF_W), "ring-3 write of a not-present page: #PF(U|W)");

	/* Not present at each level: PML4E (entry 3), PDPTE, PDE, PTE. */
	ulong top = 0x18000000000ul;
	report(is_pf(probe_read(top), 0, top), "not-present PML4E: #PF(0)");
	map_page(VA + (1ul << 30) * 5, (ulong)page_a, PTE_P | PTE_W);
	ulong pdpte_missing = VA + (1ul << 30) * 6;
	report(is_pf(probe_read(pdpte_missing), 0, pdpte_missing), "not-present PDPTE: #PF(0)");
	ulong pde_missing = VA + (1ul << 30) * 5 + (1ul << 21) * 3;
	report(is_pf(probe_read(pde_missing), 0, pde_missing), "not-present PDE: #PF(0)");
	ulong pte_missing = VA + (1ul << 30) * 5 + 0x5000;
	report(is_pf(probe_read(pte_missing), 0, pte_missing), "not-present PTE: #PF(0)");
}

static void test_protection(void)
{
	ulong ro = VA + 0x1000, sup = VA + 0x2000, user_ro = VA + 0x3000;
	map_page(ro, (ulong)page_a, PTE_P);
	map_page(sup, (ulong)page_a, PTE_P | PTE_W);
	map_page(user_ro, (ulong)page_a, PTE_P | PTE_U);

	report(probe_read(ro) == -1, "supervisor read of a read-only page");
	report(is_pf(probe_write(ro + 4), PF_P | PF_W, ro + 4) && last_fault.rip == try_start,
		"supervisor write to a read-only page with CR0.WP=1: #PF(P|W)");
	write_cr0(read_cr0() & ~CR0_WP);
	*(volatile u32 *)page_a = 0;
	int v = probe_write(ro);
	report(v == -1 && *(volatile u32 *)page_a == 0x5a5a5a5a, "CR0.WP=0: supervisor write to a read-only page");
	write_cr0(read_cr0() | CR0_WP);
	report(is_pf(probe_write(ro), PF_P | PF_W, ro), "CR0.WP=1 again: #PF(P|W)");

	report(run_user(user_read, sup) == (PF_P | PF_U), "ring-3 read of a supervisor page: #PF(P|U)");
	report(run_user(user_write, sup) == (PF_P | PF_W | PF_U), "ring-3 write to a supervisor page: #PF(P|W|U)");
	report(run_user(user_read, user_ro) == 0xff, "ring-3 read of a read-only user page");
	report(run_user(user_write, user_ro) == (PF_P | PF_W | PF_U),
		"ring-3 write to a read-only user page: #PF(P|W|U)");

	/* U/S and R/W of every level count: a user PTE under a supervisor PDE is supervisor. */
	ulong va = VA + (1ul << 30) + 0x4000;
	map_page(va, (ulong)page_a, PTE_P | PTE_W | PTE_U);
	u64 *pde = page_entry(va, 2, 0);
	*pde &= ~PTE_U;
	invlpg(va);
	report(run_user(user_read, va) == (PF_P | PF_U), "a supervisor PDE makes its user PTEs supervisor");
	*pde = (*pde | PTE_U) & ~PTE_W;
	invlpg(va);
	report(is_pf(probe_write(va), PF_P | PF_W, va), "a read-only PDE makes its writable PTEs read-only");
	*pde |= PTE_W;
	invlpg(va);
	report(probe_write(va) == -1, "writable again");
}

static void test_reserved_bits(void)
{
	int m = cpu_phys_bits();
	ulong va = VA + 0x6000;
	map_page(va, (ulong)page_a, PTE_P | PTE_W | (1ul << m));
	report(is_pf(probe_read(va), PF_P | PF_RSVD, va), "PTE bit %d (MAXPHYADDR) set: #PF(P|RSVD) on read", m);
	report(is_pf(probe_write(va), PF_P | PF_W | PF_RSVD, va), "PTE reserved bit: #PF(P|W|RSVD) on write");
	report(run_user(user_read, va) == (PF_P | PF_U | PF_RSVD), "PTE reserved bit: #PF(P|U|RSVD) at ring 3");
	map_page(va, (ulong)page_a, PTE_P | PTE_W);
	report(probe_read(va) == -1, "cleared again");

	/* A 2 MiB PDE with bit 13 set (bits 20:13 are reserved in a 2 MiB page). */
	ulong big = VA + (2ul << 30);
	u64 *pde = page_entry(big, 2, 1);
	*pde = (4ul << 20) | (1ul << 13) | PTE_P | PTE_W | PTE_PS;
	invlpg(big);
	report(is_pf(probe_read(big + 0x10), PF_P | PF_RSVD, big + 0x10), "2 MiB PDE with bit 13 set: #PF(P|RSVD)");
	*pde = 0;
	invlpg(big);

	/* PS is reserved in a PML4E. */
	u64 saved = pml4[1];
	pml4[1] |= PTE_PS;
	invlpg(va);
	report(is_pf(probe_read(va), PF_P | PF_RSVD, va), "PML4E with PS set: #PF(P|RSVD)");
	pml4[1] = saved;
	invlpg(va);

	/* With EFER.NXE = 0, bit 63 (XD) is reserved. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
	map_page(va, (ulong)page_a, PTE_P | PTE_W | PTE_NX);
	report(is_pf(probe_read(va), PF_P | PF_RSVD, va), "XD set with EFER.NXE=0: #PF(P|RSVD)");
	map_page(va, (ulong)page_a, PTE_P | PTE_W);
}

static void test_fetch(void)
{
	/* page_b holds "jmp *%rcx" (ff e1). */
	page_b[0] = 0xff;
	page_b[1] = 0xe1;
	ulong x = VA + 0x7000, nx = VA + 0x8000, absent = VA + 0x9000;
	map_page(x, (ulong)page_b, PTE_P);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
	report(probe_fetch(x) == -1, "fetch from an executable page");
	report(is_pf(probe_fetch(absent), 0, absent), "fetch from a not-present page with EFER.NXE=0: #PF(0), no I bit");

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	map_page(nx, (ulong)page_b, PTE_P | PTE_NX);
	report(is_pf(probe_fetch(nx), PF_P | PF_I, nx) && last_fault.rip == nx,
		"fetch from an XD page: #PF(P|I), RIP = CR2 = the page (err %lx rip %lx)", last_fault.error_code,
		last_fault.rip);
	report(probe_read(nx) == -1, "data reads of an XD page are allowed");
	report(is_pf(probe_fetch(absent), PF_I, absent), "fetch from a not-present page with EFER.NXE=1: #PF(I)");

	ulong ux = VA + 0xa000;
	map_page(ux, (ulong)page_b, PTE_P);
	report(run_user(user_fetch, ux) == (PF_P | PF_U | PF_I), "ring-3 fetch from a supervisor page: #PF(P|U|I)");
	map_page(ux, (ulong)page_b, PTE_P | PTE_U);
	report(run_user(user_fetch, ux) == 0xff, "ring-3 fetch from a user page");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
}

static void test_cr2_and_crossing(void)
{
	ulong lo = VA + 0xb000, hi = VA + 0xc000;
	map_page(lo, (ulong)page_a, PTE_P | PTE_W);
	u64 *pte = page_entry(hi, 1, 1);
	*pte = 0;
	invlpg(hi);
	ulong at = hi - 2;
	int v = probe_read(at);
	report(v == PF && last_fault.error_code == 0 && (last_fault.cr2 == hi || last_fault.cr2 == at),
		"4-byte read across into a not-present page: #PF, CR2 in the access (cr2 %lx)", last_fault.cr2);
	report(last_fault.cr2 == hi, "CR2 is the first byte on the missing page (cr2 %lx)", last_fault.cr2);
	/*
	 * A write that faults on its second page changes nothing on the first (the instruction is restartable;
	 * the KVM used as oracle emulates such writes and commits the first part, hence the quirk).
	 */
	if (oracle_quirk("splitwrite"))
		return;
	*(volatile u16 *)(page_a + 0xffe) = 0x1234;
	v = probe_write(at);
	report(v == PF && last_fault.error_code == PF_W && *(volatile u16 *)(page_a + 0xffe) == 0x1234,
		"a page-crossing write that faults writes nothing (vector %d err %lx, first page %x)", v,
		last_fault.error_code, *(volatile u16 *)(page_a + 0xffe));
}

static void test_large_pages(void)
{
	/* A 2 MiB page and a 1 GiB page mapping physical 0: read the guest's own data through them. */
	static volatile u32 marker = 0xfeedf00d;
	ulong pa = (ulong)&marker;
	ulong va2m = VA + (3ul << 30);
	u64 *pde = page_entry(va2m, 2, 1);
	*pde = PTE_P | PTE_W | PTE_PS;
	invlpg(va2m);
	report(*(volatile u32 *)(va2m + pa) == 0xfeedf00d, "2 MiB page");
	u32 a, b, c, d;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (!(d & (1u << 26))) {
		report_skip("1 GiB pages (CPUID.80000001H:EDX.Page1GB = 0)");
		return;
	}
	ulong va1g = VA + (8ul << 30);
	u64 *pdpte = page_entry(va1g, 3, 1);
	*pdpte = PTE_P | PTE_W | PTE_PS;
	invlpg(va1g);
	report(*(volatile u32 *)(va1g + pa) == 0xfeedf00d, "1 GiB page");
	*pdpte = (1ul << 13) | PTE_P | PTE_W | PTE_PS;
	invlpg(va1g);
	report(is_pf(probe_read(va1g + pa), PF_P | PF_RSVD, va1g + pa), "1 GiB PDPTE with bit 13 set: #PF(P|RSVD)");
	*pdpte = 0;
	invlpg(va1g);
}

void main(void)
{
	page_a = alloc_page();
	page_b = alloc_page();
	test_not_present();
	test_protection();
	test_reserved_bits();
	test_fetch();
	test_cr2_and_crossing();
	test_large_pages();
}
