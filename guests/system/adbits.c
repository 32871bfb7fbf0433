/*
 * adbits (64-bit): accessed and dirty bits written back to the page tables as hardware does: A on every
 * level a successful walk uses, D only on the leaf and only for writes, none for a write that faults.
 */
#include "guest.h"

#define VA 0x8000000000ul

static u8 *page_a, *code_page;

static u64 *entry(ulong va, int level) { return page_entry(va, level, 0); }

static void clear_ad(ulong va)
{
	for (int l = 1; l <= 4; l++)
		*entry(va, l) &= ~(PTE_A | PTE_D);
	write_cr3(read_cr3());
}

static void test_4k(void)
{
	ulong va = VA + 0x5000;
	map_page(va, (ulong)page_a, PTE_P | PTE_W);
	clear_ad(va);
	report(!(*entry(va, 1) & (PTE_A | PTE_D)), "a fresh PTE has A = D = 0");
	(void)*(volatile u32 *)va;
	report((*entry(va, 1) & (PTE_A | PTE_D)) == PTE_A, "a read sets A in the PTE, not D");
	int all = 1;
	for (int l = 2; l <= 4; l++)
		all &= (*entry(va, l) & PTE_A) != 0;
	report(all, "a read sets A in the PDE, PDPTE and PML4E");
	*(volatile u32 *)va = 1;
	report((*entry(va, 1) & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "a write sets D in the PTE");
	int none = 1;
	for (int l = 2; l <= 4; l++)
		none &= !(*entry(va, l) & PTE_D);
	report(none, "D is not set in non-leaf entries");

	clear_ad(va);
	*(volatile u32 *)va = 2;
	report((*entry(va, 1) & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "a first write sets A and D together");

	/* Clear D alone (A stays) and flush: the next write must set D again. */
	*entry(va, 1) &= ~PTE_D;
	invlpg(va);
	(void)*(volatile u32 *)va;
	report(!(*entry(va, 1) & PTE_D), "a read after D was cleared leaves D clear");
	*(volatile u32 *)va = 3;
	report((*entry(va, 1) & PTE_D) != 0, "the write after it sets D again");
}

static void test_faulting_write(void)
{
	ulong va = VA + 0x6000;
	map_page(va, (ulong)page_a, PTE_P);
	clear_ad(va);
	TRY("movl $1, (%0)", : : "r"(va) : "memory");
	report(last_fault.vector == PF && !(*entry(va, 1) & PTE_D), "a write that faults does not set D");

	write_cr0(read_cr0() & ~CR0_WP);
	*(volatile u32 *)va = 4;
	write_cr0(read_cr0() | CR0_WP);
	report((*entry(va, 1) & PTE_D) != 0, "a supervisor write to a read-only page with CR0.WP=0 sets D");
}

static void test_large(void)
{
	ulong va = VA + (1ul << 30);
	u64 *pde = page_entry(va, 2, 1);
	*pde = (ulong)0 | PTE_P | PTE_W | PTE_PS;
	invlpg(va);
	static volatile u32 cell;
	ulong alias = va + (ulong)&cell;
	(void)*(volatile u32 *)alias;
	report((*pde & (PTE_A | PTE_D)) == PTE_A, "a read through a 2 MiB page sets A in the PDE");
	*(volatile u32 *)alias = 5;
	report((*pde & PTE_D) != 0 && cell == 5, "a write through a 2 MiB page sets D in the PDE");
	*pde = 0;
	invlpg(va);
}

static void test_fetch(void)
{
	ulong va = VA + 0x7000;
	code_page[0] = 0xff; /* jmp *%rcx */
	code_page[1] = 0xe1;
	map_page(va, (ulong)code_page, PTE_P | PTE_W);
	clear_ad(va);
	asm volatile("lea 1f(%%rip), %%rcx\n\t" "jmp *%0\n" "1:" : : "r"(va) : "rcx", "memory");
	report((*entry(va, 1) & (PTE_A | PTE_D)) == PTE_A, "an instruction fetch sets A, not D");
}

static void test_user(void)
{
	ulong va = VA + 0x8000;
	map_page(va, (ulong)page_a, PTE_P | PTE_W | PTE_U);
	clear_ad(va);
	extern ulong user_store(ulong);
	run_user(user_store, va);
	report((*entry(va, 1) & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "a ring-3 write sets A and D");
}

ulong user_store(ulong va)
{
	*(volatile u32 *)va = 6;
	return 0;
}

void main(void)
{
	page_a = alloc_page();
	code_page = alloc_page();
	test_4k();
	test_faulting_write();
	test_large();
	test_fetch();
	test_user();
}
