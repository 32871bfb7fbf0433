/*
 * paging32 (32-bit protected mode): the two legacy paging modes. 32-bit paging with 4 KiB and 4 MiB
 * (CR4.PSE) pages: #PF error codes, CR2, A/D bits, CR0.WP, a reserved bit in a 4 MiB PDE. PAE paging:
 * the PDPTEs loaded by MOV CR3 (#GP for reserved bits), 2 MiB pages, execute-disable with EFER.NXE.
 */
#include "guest.h"

#define VA 0x80000000ul

static u32 pd32[1024] __attribute__((aligned(4096)));
static u32 pt32[1024] __attribute__((aligned(4096)));
static u32 pt_test[1024] __attribute__((aligned(4096)));
static u64 pdpt_pae[4] __attribute__((aligned(32)));
static u64 pd_pae[4][512] __attribute__((aligned(4096)));
static u64 pt_pae[512] __attribute__((aligned(4096)));
static u8 page_a[4096] __attribute__((aligned(4096)));
static u8 code_page[4096] __attribute__((aligned(4096)));
static volatile u32 marker = 0xfeedf00d;

static ulong user_read(ulong va) { return probe_read(va) == PF ? last_fault.error_code : 0xff; }

static void paging_off(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
}

static void test_32bit_paging(void)
{
	/* Identity: the first 4 MiB in 4 KiB pages (page 0 absent), the rest of the first GiB in 4 MiB pages. */
	for (int i = 1; i < 1024; i++)
		pt32[i] = (i << 12) | PTE_P | PTE_W | PTE_U;
	pd32[0] = (ulong)pt32 | PTE_P | PTE_W | PTE_U;
	for (int i = 1; i < 256; i++)
		pd32[i] = (i << 22) | PTE_P | PTE_W | PTE_U | PTE_PS;
	pd32[VA >> 22] = (ulong)pt_test | PTE_P | PTE_W | PTE_U;
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((ulong)pd32);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
	report(marker == 0xfeedf00d, "32-bit paging on: the identity map works");

	report(is_pf(probe_read(VA + 0x10), 0, VA + 0x10), "not-present PTE: #PF(0), CR2");
	report(is_pf(probe_read(0x90000000 + 4), 0, 0x90000000 + 4), "not-present PDE: #PF(0)");
	pt_test[1] = (ulong)page_a | PTE_P;
	invlpg(VA + 0x1000);
	report(probe_read(VA + 0x1000) == -1, "read-only page: reads work");
	report(is_pf(probe_write(VA + 0x1000), PF_P | PF_W, VA + 0x1000), "read-only page, CR0.WP=1: #PF(P|W)");
	report(run_user(user_read, VA + 0x1000) == (PF_P | PF_U), "ring-3 read of a supervisor page: #PF(P|U)");

	pt_test[2] = (ulong)page_a | PTE_P | PTE_W;
	invlpg(VA + 0x2000);
	(void)*(volatile u32 *)(VA + 0x2000);
	barrier();
	report((pt_test[2] & (PTE_A | PTE_D)) == PTE_A && (pd32[VA >> 22] & PTE_A), "a read sets A in the PTE and PDE (%x %x)", pt_test[2], pd32[VA >> 22]);
	*(volatile u32 *)(VA + 0x2000) = 1;
	barrier();
	report((pt_test[2] & PTE_D) != 0, "a write sets D");

	/* A 4 MiB page at VA + 4 MiB mapping physical 0. */
	ulong big = VA + (4ul << 20);
	pd32[big >> 22] = PTE_P | PTE_W | PTE_PS;
	invlpg(big);
	report(*(volatile u32 *)(big + (ulong)&marker) == 0xfeedf00d, "4 MiB page (CR4.PSE)");
	*(volatile u32 *)(big + (ulong)&marker) = 0xfeedf00d;
	barrier();
	report((pd32[big >> 22] & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "A and D in the 4 MiB PDE");
	pd32[big >> 22] = (1u << 21) | PTE_P | PTE_W | PTE_PS;
	invlpg(big);
	report(is_pf(probe_read(big), PF_P | PF_RSVD, big), "4 MiB PDE with bit 21 set: #PF(P|RSVD)");
	pd32[big >> 22] = 0;
	invlpg(big);
	paging_off();
}

static void test_pae(void)
{
	/* Identity: 1 GiB of 2 MiB pages, the first 2 MiB in 4 KiB pages with page 0 absent. */
	for (int i = 1; i < 512; i++)
		pt_pae[i] = (i << 12) | PTE_P | PTE_W | PTE_U;
	for (int d = 0; d < 4; d++)
		for (int i = 0; i < 512; i++)
			pd_pae[d][i] = d == 0 ? (((u64)i << 21) | PTE_P | PTE_W | PTE_U | PTE_PS) : 0;
	pd_pae[0][0] = (ulong)pt_pae | PTE_P | PTE_W | PTE_U;
	for (int d = 0; d < 4; d++)
		pdpt_pae[d] = (ulong)pd_pae[d] | PTE_P;
	write_cr4(read_cr4() | CR4_PAE);
	write_cr3((ulong)pdpt_pae);
	write_cr0(read_cr0() | CR0_PG);
	report(marker == 0xfeedf00d, "PAE paging on: the identity map works");
	barrier();
	report(!(pdpt_pae[0] & PTE_A), "no accessed bit is written to a PDPTE (bit 5 is reserved there)");

	/* VA = 2 GiB: PDPTE 2. */
	pd_pae[2][0] = PTE_P | PTE_W | PTE_PS; /* a 2 MiB page mapping physical 0 */
	invlpg(VA);
	report(*(volatile u32 *)(VA + (ulong)&marker) == 0xfeedf00d, "PAE 2 MiB page");
	pd_pae[2][0] |= 1u << 13;
	invlpg(VA);
	report(is_pf(probe_read(VA), PF_P | PF_RSVD, VA), "PAE 2 MiB PDE with bit 13 set: #PF(P|RSVD)");
	pd_pae[2][0] = 0;
	invlpg(VA);
	report(is_pf(probe_read(VA + 8), 0, VA + 8), "PAE not-present PDE: #PF(0)");

	u32 a, b, c, d;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (d & (1u << 20)) {
		code_page[0] = 0xff; /* jmp *%ecx */
		code_page[1] = 0xe1;
		pd_pae[2][1] = (ulong)pt_test | PTE_P | PTE_W; /* reuse pt_test as a PAE page table */
		u64 *pt = (u64 *)pt_test;
		for (int i = 0; i < 512; i++)
			pt[i] = 0;
		ulong x = VA + (2ul << 20);
		pt[0] = (ulong)code_page | PTE_P;
		invlpg(x);
		report(probe_fetch(x) == -1, "PAE: fetch from an executable page");
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		pt[0] |= PTE_NX;
		invlpg(x);
		report(is_pf(probe_fetch(x), PF_P | PF_I, x), "PAE with EFER.NXE: fetch from an XD page: #PF(P|I)");
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
		invlpg(x);
		report(is_pf(probe_read(x), PF_P | PF_RSVD, x), "PAE without EFER.NXE: the XD bit is reserved: #PF(P|RSVD)");
		pt[0] = 0;
		invlpg(x);
	}

	/* The PDPTEs are loaded by MOV CR3: a reserved bit in a present one is #GP(0) right there. */
	pdpt_pae[3] |= 1u << 1;
	TRY("mov %0, %%cr3", : : "r"((ulong)pdpt_pae) : "memory");
	report(last_fault.vector == GP && last_fault.error_code == 0, "MOV CR3 with a reserved bit in a PDPTE: #GP(0)");
	pdpt_pae[3] &= ~(1ull << 1);
	write_cr3((ulong)pdpt_pae);
	paging_off();
	write_cr4(read_cr4() & ~CR4_PAE);
}

void main(void)
{
	test_32bit_paging();
	test_pae();
}
