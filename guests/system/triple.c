/*
 * triple (64-bit): a triple fault ends the VM as KVM's SHUTDOWN exit. The command line picks the way:
 *   how=0 (default): an empty IDT, then UD2: #UD cannot be delivered (#GP), nor can that (#DF), nor #DF.
 *   how=1: RSP on an unmapped page and a #PF: the #PF frame faults (#DF), whose frame faults too.
 * The guest prints its PASS line first; reaching the line after the fault is a FAIL.
 */
#include "guest.h"

void main(void)
{
	ulong how = cmdline_number("how", 0);
	report(1, "about to triple fault (way %lu)", how);
	if (how == 1) {
		ulong bad = 0x40000000000ul;
		asm volatile("mov %0, %%rsp; movb (%0), %%al" : : "r"(bad) : "rax", "memory");
	} else {
		load_idt(0, 0);
		asm volatile("ud2");
	}
	report(0, "still running after the triple fault");
}
