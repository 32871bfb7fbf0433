/*
 * garbage (64-bit): a guest that wrecks its own system structures, for robustness: the VMM must end with
 * a guest exception, a triple fault or a clean stop, never an internal error or a hang. seed=N picks the
 * pseudo-random bytes and what gets wrecked (seed % 6):
 *   0: the IDT, then an exception;        1: the GDT, then segment loads, a far return and an IRET;
 *   2: page-table entries, then memory accesses;   3: a page of random code run at ring 0;
 *   4: all of the above;                  5: random control registers, EFER and other MSRs.
 * Random code may do anything, including writing the exit port.
 */
#include "guest.h"

static u64 state;

static u64 rnd(void)
{
	/* xorshift64* */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545F4914F6CDD1Dull;
}

static void fill(void *p, size_t n)
{
	u8 *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (u8)rnd();
}

static u8 idt_copy[4096] __attribute__((aligned(16)));

static void wreck_idt(void)
{
	fill(idt_copy, sizeof(idt_copy));
	load_idt(idt_copy, sizeof(idt_copy) - 1);
}

static void wreck_gdt(void)
{
	for (int i = 1; i < GDT_ENTRIES; i++)
		if (rnd() & 1)
			gdt[i] = rnd();
	u16 sel = (u16)rnd();
	asm volatile("mov %0, %%ds; mov %0, %%es" : : "r"(sel));
	asm volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:" : : "r"((u64)(u16)rnd()) : "rax", "memory");
	asm volatile("movq %%rsp, %%rax; pushq %0; pushq %%rax; pushfq; pushq %1; leaq 1f(%%rip), %%rax; pushq %%rax;"
		" iretq; 1:" : : "r"((u64)(u16)rnd()), "r"((u64)(u16)rnd()) : "rax", "memory");
}

static void wreck_page_tables(void)
{
	for (int i = 0; i < 64; i++) {
		u64 v = rnd();
		switch (rnd() % 4) {
		case 0: pml4[rnd() % 512] = v; break;
		case 1: pdpt[rnd() % 4] = v; break;
		case 2: pd[rnd() % 2048] = v; break;
		default: pt0[rnd() % 512] = v; break;
		}
	}
	write_cr3(read_cr3());
	for (int i = 0; i < 64; i++)
		(void)*(volatile u8 *)(ulong)(rnd() & 0x3ffffffful);
}

static void wreck_registers(void)
{
	static const u32 msrs[] = { 0xC0000080, 0xC0000081, 0xC0000082, 0xC0000084, 0xC0000100, 0xC0000101,
		0xC0000102, 0x174, 0x175, 0x176, 0x1B, 0x277, 0x10, 0x6E0 };
	for (int i = 0; i < 32; i++) {
		u64 v = rnd();
		switch (rnd() % 5) {
		case 0: TRY("mov %0, %%cr0", : : "r"(v) : "memory"); break;
		case 1: TRY("mov %0, %%cr4", : : "r"(v) : "memory"); break;
		case 2: TRY("mov %0, %%cr3", : : "r"(v & 0x3ffff000ul) : "memory"); break;
		case 3: TRY("mov %0, %%cr8", : : "r"(v & 15) : "memory"); break;
		default: {
			u32 msr = msrs[rnd() % (sizeof(msrs) / sizeof(msrs[0]))];
			TRY("wrmsr", : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
			break;
		}
		}
	}
	asm volatile("ud2");
}

static u8 code[4096] __attribute__((aligned(4096)));

static void run_random_code(void)
{
	fill(code, sizeof(code));
	asm volatile("jmp *%0" : : "r"(code + (rnd() % 64)));
}

void main(void)
{
	ulong seed = cmdline_number("seed", 1);
	state = seed * 0x9E3779B97F4A7C15ull + 1;
	printf("garbage: seed %lu\n", seed);
	switch (seed % 6) {
	case 0:
		wreck_idt();
		asm volatile("ud2");
		break;
	case 1:
		wreck_gdt();
		break;
	case 2:
		wreck_page_tables();
		break;
	case 3:
		run_random_code();
		break;
	case 5:
		wreck_registers();
		break;
	default:
		wreck_idt();
		wreck_gdt();
		wreck_page_tables();
		run_random_code();
		break;
	}
	/* Survived: do it again with fresh randomness, then random code for good measure. */
	wreck_page_tables();
	run_random_code();
}
