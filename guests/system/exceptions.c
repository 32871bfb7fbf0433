/*
 * exceptions (64-bit): delivery through the IDT in long mode. Fault vs trap return addresses, error
 * codes of #GP/#NP/#SS and of faults raised while delivering another event (the IDT and EXT bits), the
 * double-fault rules, IST stacks, the 16-byte stack alignment of 64-bit frames, the ring-3 -> ring-0 stack
 * switch through TSS.RSP0, and interrupt vs trap gates.
 */
#include "guest.h"

#define SEL_NOT_PRESENT 0x48
#define SEL_EXEC_ONLY 0x50
#define SEL_SS_NOT_PRESENT 0x58

static void test_faults_and_traps(void)
{
	TRY("divl %%ecx", : : "a"(1), "d"(0), "c"(0) : "memory");
	report(last_fault.vector == DE && last_fault.rip == try_start, "#DE is a fault: RIP of the DIV");

	TRY("ud2", : : : "memory");
	report(last_fault.vector == UD && last_fault.rip == try_start, "#UD is a fault: RIP of the UD2");

	if (oracle_quirk("int3")) {
		report_skip("INT3 (the KVM used as oracle cannot run it)");
	} else {
		TRY("int3", : : : "memory");
		report(last_fault.vector == BP && last_fault.rip == try_end && try_end == try_start + 1,
			"INT3 is a trap: RIP after the INT3");
	}

	if (!oracle_quirk("intn")) {
		TRY("int $0x40", : : : "memory");
		report(last_fault.vector == 0x40 && last_fault.rip == try_start + 2, "INT 0x40: RIP after the INT");
	}

	if (oracle_quirk("int1")) {
		report_skip("INT1 (the KVM used as oracle cannot run it)");
	} else {
		TRY(".byte 0xf1", : : : "memory");
		report(last_fault.vector == DB && last_fault.rip == try_start + 1, "INT1 (ICEBP) is a trap: RIP after it");
	}
}

static volatile int db_count;
static volatile ulong db_rips[8], db_dr6;

static void db_handler(struct ex_regs *r)
{
	if (db_count < 8)
		db_rips[db_count] = r->rip;
	db_count++;
	ulong dr6;
	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	db_dr6 = dr6;
}

/*
 * Single-step: with TF set, #DB is a trap after each instruction that started with TF = 1 (so not after
 * the POPF that sets TF, but after the POPF that clears it), with DR6.BS.
 */
static void test_single_step(void)
{
	ulong l1, l2, l3, l4, l5;
	db_count = 0;
	set_handler(DB, db_handler);
	asm volatile("pushf; orl $0x100, (%%rsp); popf\n"
		"2001: nop\n"
		"2002: pushf\n"
		"2003: andl $~0x100, (%%rsp)\n"
		"2004: popf\n"
		"2005: nop\n"
		"movq $2002b, %0; movq $2003b, %1; movq $2004b, %2; movq $2005b, %3; movq $2001b, %4"
		: "=r"(l2), "=r"(l3), "=r"(l4), "=r"(l5), "=r"(l1) : : "memory");
	set_handler(DB, 0);
	report(db_count == 4 && db_rips[0] == l2 && db_rips[1] == l3 && db_rips[2] == l4 && db_rips[3] == l5,
		"single-step traps after each instruction run with TF set (%d traps, first at %lx, nop at %lx)",
		db_count, db_rips[0], l1);
	report((db_dr6 & 0x4000) != 0, "single-step sets DR6.BS (dr6 %lx)", db_dr6);
}

static void test_error_codes(void)
{
	u16 sel = GDT_ENTRIES * 8; /* just beyond the GDT limit */
	TRY("mov %0, %%ds", : : "r"(sel) : "memory");
	report(last_fault.vector == GP && last_fault.error_code == sel && last_fault.rip == try_start,
		"MOV DS beyond the GDT limit: #GP(selector), error %lx", last_fault.error_code);

	set_gdt(SEL_EXEC_ONLY, make_desc(0, 0xfffff, 0x8, 1, 0, 1, 0xc));
	TRY("mov %0, %%ds", : : "r"((u16)SEL_EXEC_ONLY) : "memory");
	report(last_fault.vector == GP && last_fault.error_code == SEL_EXEC_ONLY,
		"MOV DS with an execute-only code segment: #GP(selector), error %lx", last_fault.error_code);

	set_gdt(SEL_NOT_PRESENT, make_desc(0, 0xfffff, 0x3, 1, 0, 0, 0xc));
	TRY("mov %0, %%es", : : "r"((u16)SEL_NOT_PRESENT) : "memory");
	report(last_fault.vector == NP && last_fault.error_code == SEL_NOT_PRESENT,
		"MOV ES with a not-present data segment: #NP(selector), error %lx", last_fault.error_code);

	set_gdt(SEL_SS_NOT_PRESENT, make_desc(0, 0xfffff, 0x3, 1, 0, 0, 0xc));
	TRY("mov %0, %%ss", : : "r"((u16)SEL_SS_NOT_PRESENT) : "memory");
	report(last_fault.vector == SS && last_fault.error_code == SEL_SS_NOT_PRESENT,
		"MOV SS with a not-present segment: #SS(selector), error %lx", last_fault.error_code);

	TRY("mov %0, %%ss", : : "r"((u16)USER_DS) : "memory");
	report(last_fault.vector == GP && last_fault.error_code == (USER_DS & ~3),
		"MOV SS with RPL/DPL 3 at CPL 0: #GP(selector), error %lx", last_fault.error_code);

	ulong noncanonical = 0x8000000000000000ul;
	TRY("movq (%0), %%rax", : : "r"(noncanonical) : "rax", "memory");
	report(last_fault.vector == GP && last_fault.error_code == 0, "non-canonical data access: #GP(0)");

	TRY("movq (%%rsp,%0,1), %%rax", : : "r"(noncanonical) : "rax", "memory");
	report(last_fault.vector == SS && last_fault.error_code == 0, "non-canonical stack access: #SS(0)");

	TRY("mov %0, %%cr4", : : "r"(read_cr4() | (1ul << 31)) : "memory");
	report(last_fault.vector == GP && last_fault.error_code == 0, "MOV CR4 with a reserved bit: #GP(0)");
}

static void test_idt_errors(void)
{
	if (!oracle_quirk("intn")) {
		set_gate_present(0x41, 0);
		TRY("int $0x41", : : : "memory");
		report(last_fault.vector == NP && last_fault.error_code == 0x41 * 8 + 2 && last_fault.rip == try_start,
			"INT to a not-present gate: #NP(vector*8+IDT), a fault; error %lx", last_fault.error_code);
		set_gate_present(0x41, 1);
	}

	/*
	 * A benign exception (the single-step #DB after the NOP that follows the POPF setting TF) whose gate is
	 * missing: #NP with IDT and EXT set, delivered serially, not a double fault (SDM Vol. 3A, Table 6-5).
	 * The host KVM used as an oracle intercepts and re-injects #DB and #UD, and then reports #DF.
	 */
	if (oracle_quirk("serial"))
		return;
	set_gate_present(DB, 0);
	TRY("pushf; orl $0x100, (%%rsp); popf; nop", : : : "memory");
	set_gate_present(DB, 1);
	report(last_fault.vector == NP && last_fault.error_code == DB * 8 + 3,
		"single-step #DB through a not-present gate: #NP(vector*8+IDT+EXT), got vector %d error %lx",
		last_fault.vector, last_fault.error_code);

	set_gate_present(UD, 0);
	TRY("ud2", : : : "memory");
	set_gate_present(UD, 1);
	report(last_fault.vector == NP && last_fault.error_code == UD * 8 + 3 && last_fault.rip == try_start,
		"#UD through a not-present gate: #NP(vector*8+IDT+EXT), got vector %d error %lx", last_fault.vector,
		last_fault.error_code);
}

static volatile ulong df_stack_ok, saved_rsp;

static void df_handler(struct ex_regs *r)
{
	last_fault.vector = (int)r->vector;
	last_fault.error_code = r->error_code;
	last_fault.rip = r->rip;
	last_fault.frame = (ulong)&r->rip;
	df_stack_ok = (ulong)&r->rip >= (ulong)ist_stack1 && (ulong)&r->rip < (ulong)ist_stack1 + STACK_BYTES;
	r->rip = fixup_ip;
	fixup_ip = 0;
	if (saved_rsp) {
		r->rsp = saved_rsp;
		saved_rsp = 0;
	}
}

static void test_double_faults(void)
{
	set_gate(DF, isr_address(DF), KERNEL_CS, 0xe, 0, 1);
	set_handler(DF, df_handler);

	/* Contributory (#GP) then contributory (#NP for the missing #GP gate): #DF(0). */
	set_gate_present(GP, 0);
	u16 sel = GDT_ENTRIES * 8;
	df_stack_ok = 0;
	TRY("mov %0, %%ds", : : "r"(sel) : "memory");
	set_gate_present(GP, 1);
	report(last_fault.vector == DF && last_fault.error_code == 0 && df_stack_ok,
		"#GP through a not-present gate: #DF(0) on its IST stack");

	/* #PF while delivering #PF (the stack is not mapped): #DF. */
	ulong bad_stack = 0x40000000000ul; /* PML4 entry 8: not mapped */
	df_stack_ok = 0;
	asm volatile("mov %%rsp, saved_rsp\n\t" TRY_BEGIN "mov %0, %%rsp\n\t" "movb (%0), %%al" TRY_END
		: : "r"(bad_stack) : "rax", "memory");
	report(last_fault.vector == DF && last_fault.error_code == 0 && df_stack_ok,
		"#PF while pushing the #PF frame: #DF(0) on its IST stack");
	set_handler(DF, 0);
}

static void test_ist_and_alignment(void)
{
	/* #UD through a gate with IST 2, raised at CPL 0: IST switches stacks even without a privilege change. */
	set_gate(UD, isr_address(UD), KERNEL_CS, 0xe, 0, 2);
	TRY("ud2", : : : "memory");
	set_gate(UD, isr_address(UD), KERNEL_CS, 0xe, 0, 0);
	ulong top = (ulong)ist_stack2 + STACK_BYTES;
	report(last_fault.vector == UD && last_fault.frame == top - 40,
		"IST 2 at CPL 0: the frame is at the top of the IST stack (RIP at %lx, top %lx)", last_fault.frame, top);

	ulong before;
	asm volatile("sub $8, %%rsp\n\t" "mov %%rsp, %0\n\t" TRY_BEGIN "ud2" TRY_END "add $8, %%rsp"
		: "=&r"(before) : : "memory");
	report(last_fault.vector == UD && last_fault.frame == (before & ~15ul) - 40 && last_fault.rsp == before,
		"64-bit delivery aligns RSP to 16 and saves the old RSP (frame %lx, rsp %lx)", last_fault.frame, before);
}

static volatile ulong handler_ss, handler_flags, handler_frame, frame_cs, frame_ss, frame_rsp, frame_rip;

static void record_handler(struct ex_regs *r)
{
	handler_ss = read_ss();
	handler_flags = read_flags();
	handler_frame = (ulong)&r->rip;
	frame_cs = r->cs;
	frame_ss = r->ss;
	frame_rsp = r->rsp;
	frame_rip = r->rip;
	r->rip += 2; /* skip the 2-byte DIV or the 1-byte HLT plus a NOP */
}

static volatile ulong user_fault_rip;

/* Raises #DE at CPL 3; returns RSP at the DIV. */
static ulong user_div0(ulong unused)
{
	ulong rsp;
	asm volatile("mov %%rsp, %0\n\t" "movq $1f, user_fault_rip\n\t" "1: divl %%ecx"
		: "=&r"(rsp) : "a"(1), "d"(0), "c"(0) : "memory");
	return rsp;
}

static ulong user_int_dpl0(ulong unused)
{
	TRY("int $0x40", : : : "memory");
	return last_fault.vector == GP && last_fault.error_code == 0x40 * 8 + 2 && last_fault.rip == try_start;
}

static ulong user_int3(ulong unused)
{
	TRY("int3", : : : "memory");
	return last_fault.vector == BP && last_fault.rip == try_end;
}

static ulong user_hlt(ulong unused)
{
	TRY("hlt", : : : "memory");
	return last_fault.vector == GP && last_fault.error_code == 0 && last_fault.rip == try_start;
}

static void test_privilege(void)
{
	set_handler(DE, record_handler);
	ulong user_rsp = run_user(user_div0, 0);
	set_handler(DE, 0);
	ulong top = (ulong)ring0_stack + STACK_BYTES;
	report(handler_frame == top - 40 && frame_cs == USER_CS64 && frame_ss == USER_DS && frame_rsp == user_rsp
		&& frame_rip == user_fault_rip && handler_ss == 0,
		"#DE at ring 3: frame on TSS.RSP0, old SS:RSP saved, new SS null (cs %lx ss %lx new ss %lx)",
		frame_cs, frame_ss, handler_ss);

	report(run_user(user_hlt, 0), "HLT at ring 3: #GP(0)");
	if (!oracle_quirk("intn"))
		report(run_user(user_int_dpl0, 0), "INT n through a DPL-0 gate from ring 3: #GP(vector*8+IDT)");
	if (!oracle_quirk("int3"))
		report(run_user(user_int3, 0), "INT3 through a DPL-3 gate from ring 3 works");
}

static void test_gate_types(void)
{
	/* IF=1 around one DIV that faults; nothing in this guest raises interrupts. */
	set_handler(DE, record_handler);
	set_gate(DE, isr_address(DE), KERNEL_CS, 0xe, 0, 0);
	asm volatile("pushf; orl $0x200, (%%rsp); popf; divl %%ecx; cli" : : "a"(1), "d"(0), "c"(0) : "memory");
	int intr_if = (handler_flags & FLAG_IF) != 0;
	set_gate(DE, isr_address(DE), KERNEL_CS, 0xf, 0, 0);
	asm volatile("pushf; orl $0x200, (%%rsp); popf; divl %%ecx; cli" : : "a"(1), "d"(0), "c"(0) : "memory");
	int trap_if = (handler_flags & FLAG_IF) != 0;
	set_gate(DE, isr_address(DE), KERNEL_CS, 0xe, 0, 0);
	set_handler(DE, 0);
	report(!intr_if, "an interrupt gate clears IF");
	report(trap_if, "a trap gate leaves IF set");
}

void main(void)
{
	test_faults_and_traps();
	test_single_step();
	test_error_codes();
	test_ist_and_alignment();
	test_privilege();
	test_gate_types();
	test_double_faults();
	test_idt_errors();
}
