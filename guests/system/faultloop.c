/*
 * faultloop (64-bit): guests that fault forever. The VMM must keep delivering the exceptions (or end
 * the VM with a triple fault) and stay responsive; it never ends by itself except as said below.
 *   how=0: a #PF handler that returns to the faulting read without fixing anything: an endless stream of
 *          page faults; it prints "faults: N" every 16384 of them.
 *   how=1: the #UD gate points at a UD2: every delivery faults again and pushes another frame until the
 *          stack (one page, nothing mapped below) runs out: #PF, #DF, triple fault.
 *   how=2: the #PF handler's own page is not present: delivering #PF faults on the handler's first fetch,
 *          over and over, until the stack (the same one page) runs out: triple fault.
 */
#include "guest.h"

#define VA 0x8000000000ul

static volatile u64 nfaults;

static void count_pf(struct ex_regs *r)
{
	nfaults++;
	if ((nfaults & 16383) == 0)
		printf("faults: %lu\n", (ulong)nfaults);
}

asm(".globl ud_loop\n" "ud_loop: ud2\n");
extern const char ud_loop[];

void main(void)
{
	ulong how = cmdline_number("how", 0);
	printf("faultloop: way %lu\n", how);
	if (how == 0) {
		set_handler(PF, count_pf);
		(void)*(volatile u32 *)VA;
		report(0, "a read of an unmapped page completed");
		return;
	}
	report(1, "about to fault until the stack runs out");
	/* One page of stack at VA + 0x3000, nothing mapped below it. */
	ulong stack_top = VA + 0x4000;
	map_page(VA + 0x3000, (ulong)alloc_page(), PTE_P | PTE_W);
	if (how == 1) {
		set_gate(UD, (ulong)ud_loop, KERNEL_CS, 0xe, 0, 0);
		asm volatile("mov %0, %%rsp; ud2" : : "r"(stack_top) : "memory");
	} else {
		/* The #PF stub's page mapped at VA, but not present. */
		map_page(VA, isr_address(PF) & ~0xffful, 0);
		set_gate(PF, VA + (isr_address(PF) & 0xfff), KERNEL_CS, 0xe, 0, 0);
		asm volatile("mov %0, %%rsp; movl (%1), %%eax" : : "r"(stack_top), "r"(VA + 0x10000) : "rax", "memory");
	}
	report(0, "still running after faulting to the end of the stack");
}
