/*
 * tlb (64-bit): what flushes cached translations. INVLPG drops one page (global or not, 4 KiB or a whole
 * 2 MiB page), MOV CR3 drops everything but global pages, toggling CR4.PGE drops everything. The checks
 * that a translation is still cached after a page-table change (a stale read) rely on what hardware
 * keeps: the SDM allows a TLB to forget any time, so they are reported as such.
 */
#include "guest.h"

#define VA 0x8000000000ul

static u32 *p1, *p2;

static u32 rd(ulong va) { return *(volatile u32 *)va; }

static void test_invlpg_and_cr3(void)
{
	ulong va = VA + 0x1000;
	map_page(va, (ulong)p1, PTE_P | PTE_W);
	report(rd(va) == 0x11111111, "mapped to page 1");
	*page_entry(va, 1, 0) = (ulong)p2 | PTE_P | PTE_W;
	u32 stale = rd(va);
	printf("info: after a PTE change without a flush the read gives %s\n",
		stale == 0x11111111 ? "the old page (cached)" : "the new page");
	invlpg(va);
	report(rd(va) == 0x22222222, "INVLPG: the new PTE is used");

	*page_entry(va, 1, 0) = (ulong)p1 | PTE_P | PTE_W;
	write_cr3(read_cr3());
	report(rd(va) == 0x11111111, "MOV CR3 flushes a non-global translation");

	/* Permissions too: a read-only PTE made writable, after INVLPG, may be written. */
	*page_entry(va, 1, 0) = (ulong)p1 | PTE_P;
	invlpg(va);
	TRY("movl $0, (%0)", : : "r"(va) : "memory");
	report(last_fault.vector == PF, "read-only after INVLPG");
	*page_entry(va, 1, 0) = (ulong)p1 | PTE_P | PTE_W;
	invlpg(va);
	TRY("movl $0x11111111, (%0)", : : "r"(va) : "memory");
	report(last_fault.vector == -1, "writable after INVLPG");

	/* A page that was not present is not cached: making it present needs no flush to be seen. */
	ulong va2 = VA + 0x2000;
	TRY("movl (%0), %%eax", : : "r"(va2) : "rax", "memory");
	int faulted = last_fault.vector == PF;
	*page_entry(va2, 1, 1) = (ulong)p2 | PTE_P | PTE_W;
	report(faulted && rd(va2) == 0x22222222, "a not-present translation is not cached");
}

static void test_global(void)
{
	ulong va = VA + 0x3000;
	write_cr4(read_cr4() | CR4_PGE);
	map_page(va, (ulong)p1, PTE_P | PTE_W | PTE_G);
	report(rd(va) == 0x11111111, "global page mapped to page 1");
	*page_entry(va, 1, 0) = (ulong)p2 | PTE_P | PTE_W | PTE_G;
	write_cr3(read_cr3());
	if (!oracle_quirk("global"))
		report(rd(va) == 0x11111111, "a global translation survives MOV CR3 (still the old page)");
	invlpg(va);
	report(rd(va) == 0x22222222, "INVLPG flushes a global translation");

	*page_entry(va, 1, 0) = (ulong)p1 | PTE_P | PTE_W | PTE_G;
	write_cr4(read_cr4() & ~CR4_PGE);
	report(rd(va) == 0x11111111, "clearing CR4.PGE flushes global translations");

	/* G without CR4.PGE is ignored: MOV CR3 flushes it. */
	(void)rd(va);
	*page_entry(va, 1, 0) = (ulong)p2 | PTE_P | PTE_W | PTE_G;
	write_cr3(read_cr3());
	report(rd(va) == 0x22222222, "with CR4.PGE=0 a G page is flushed by MOV CR3");

	write_cr4(read_cr4() | CR4_PGE);
	*page_entry(va, 1, 0) = (ulong)p1 | PTE_P | PTE_W | PTE_G;
	invlpg(va);
	(void)rd(va);
	*page_entry(va, 1, 0) = (ulong)p2 | PTE_P | PTE_W | PTE_G;
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	report(rd(va) == 0x22222222, "toggling CR4.PGE flushes global translations");
	write_cr4(read_cr4() & ~CR4_PGE);
}

static void test_large(void)
{
	/* A 2 MiB page; INVLPG of an address in its middle drops the whole page. */
	ulong va = VA + (1ul << 30);
	u64 *pde = page_entry(va, 2, 1);
	ulong off1 = (ulong)p1 & 0x1fffff, off2 = (ulong)p2 & 0x1fffff;
	ulong base = (ulong)p1 & ~0x1ffffful;
	*pde = base | PTE_P | PTE_W | PTE_PS;
	invlpg(va);
	report(rd(va + off1) == 0x11111111 && rd(va + off2) == 0x22222222, "2 MiB page");
	/* Point it 4 KiB further: p1's offset now shows whatever follows p1, i.e. p2 if they are adjacent. */
	*pde = (base + 0x200000) | PTE_P | PTE_W | PTE_PS;
	invlpg(va + 0x123456);
	u32 now = rd(va + off1);
	report(now == *(volatile u32 *)(base + 0x200000 + off1), "INVLPG inside a 2 MiB page flushes all of it");
	*pde = 0;
	invlpg(va);
}

static void test_pcid(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 17)) {
		report_skip("CR4.PCIDE: PCID is advertised");
		return;
	}
	TRY("mov %0, %%cr4", : : "r"(read_cr4() | (1ul << 17)) : "memory");
	report(last_fault.vector == GP && last_fault.error_code == 0, "CR4.PCIDE without CPUID.PCID: #GP(0)");
	cpuid(7, 0, &a, &b, &c, &d);
	if (!(b & (1u << 10)) && !oracle_quirk("invpcid")) {
		u64 desc[2] = { 0, 0 };
		TRY("invpcid %0, %%rax", : : "m"(desc), "a"(0ul) : "memory");
		report(last_fault.vector == UD, "INVPCID without CPUID.INVPCID: #UD");
	}
}

void main(void)
{
	p1 = alloc_page();
	p2 = alloc_page();
	for (int i = 0; i < 1024; i++) {
		p1[i] = 0x11111111;
		p2[i] = 0x22222222;
	}
	test_invlpg_and_cr3();
	test_global();
	test_large();
	test_pcid();
}
