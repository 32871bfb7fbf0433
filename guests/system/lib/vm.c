/* Page-table helpers for the x86_64 guests: a page pool, walking and creating entries, user bits. */
#include "guest.h"

#ifdef __x86_64__
#define POOL_PAGES 64
static u8 pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static int pool_used;

void *alloc_page(void)
{
	if (pool_used == POOL_PAGES) {
		printf("FAIL: page pool exhausted\n");
		exit(3);
	}
	void *p = pool[pool_used++];
	memset(p, 0, 4096);
	return p;
}

u64 *page_entry(ulong va, int level, int create)
{
	u64 *table = (u64 *)(read_cr3() & PTE_ADDR);
	for (int l = 4; l > level; l--) {
		u64 *e = &table[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return 0;
			*e = (ulong)alloc_page() | PTE_P | PTE_W | PTE_U;
		}
		if (*e & PTE_PS)
			return 0; /* a large page is in the way */
		table = (u64 *)(*e & PTE_ADDR);
	}
	return &table[(va >> (12 + 9 * (level - 1))) & 511];
}

void map_page(ulong va, ulong pa, u64 flags)
{
	u64 *e = page_entry(va, 1, 1);
	*e = (pa & PTE_ADDR) | flags;
	invlpg(va);
}

void identity_user(int user)
{
	for (int i = 0; i < 4; i++)
		pdpt[i] = user ? pdpt[i] | PTE_U : pdpt[i] & ~PTE_U;
	for (int i = 0; i < 2048; i++)
		pd[i] = user ? pd[i] | PTE_U : pd[i] & ~PTE_U;
	for (int i = 1; i < 512; i++)
		pt0[i] = user ? pt0[i] | PTE_U : pt0[i] & ~PTE_U;
	pml4[0] = user ? pml4[0] | PTE_U : pml4[0] & ~PTE_U;
	write_cr3(read_cr3());
}
#endif
