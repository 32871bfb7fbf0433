/*
 * modes: the mode switches firmware and kernels make, and back. A flat binary (loaded at 0x10000 and
 * started in real mode at 1000:0000, kvmtool's flat-binary boot): real mode -> 16-bit protected mode ->
 * 32-bit protected mode -> IA-32e compatibility mode (paging on, EFER.LMA = 1) -> 64-bit mode -> back to
 * compatibility mode -> paging off (EFER.LMA = 0) -> 32-bit protected mode -> 16-bit protected mode ->
 * real mode, with a check and a PASS/FAIL line at each step, and an INT through the real-mode IVT at the
 * end. The code and data segments of protected mode have base 0x10000, so labels work as offsets there;
 * 64-bit code is position independent.
 */
	.set	LOAD, 0x10000
	.set	COM1, 0x3f8
	.set	PML4, 0x70000		/* page tables for long mode: free RAM below the EBDA */
	.set	CODE16, 0x08
	.set	DATA16, 0x10
	.set	CODE32, 0x18
	.set	DATA32, 0x20
	.set	FLAT32, 0x28
	.set	CODE64, 0x30

	.text
	.code16
	.globl	_start
_start:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0xfff0, %sp
	movw	$msg_real, %si
	call	puts16
	smsw	%ax
	testw	$1, %ax
	movw	$msg_real_pe, %si
	call	check16

	/* Real -> 16-bit protected mode. */
	lgdtl	gdt_ptr
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmp	$CODE16, $pm16
pm16:
	movw	$DATA16, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	%cs, %ax
	cmpw	$CODE16, %ax
	movw	$msg_pm16, %si
	call	check16_eq

	/* 16-bit -> 32-bit protected mode. */
	ljmpl	$CODE32, $pm32
	.code32
pm32:
	movw	$DATA32, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$0xfff0, %esp
	movl	$0x12345678, %eax
	movl	%eax, %ebx
	shrl	$16, %ebx			/* 32-bit operand size without prefixes */
	cmpl	$0x1234, %ebx
	movl	$msg_pm32, %esi
	call	check32_eq

	/* Identity map the first 2 MiB with one 2 MiB page, through the flat segment. */
	movw	$FLAT32, %ax
	movw	%ax, %es
	movl	$PML4, %edi
	xorl	%eax, %eax
	movl	$3 * 1024, %ecx
	rep stosl
	movl	$PML4 + 0x1007, %es:PML4
	movl	$PML4 + 0x2007, %es:PML4 + 0x1000
	movl	$0x87, %es:PML4 + 0x2000
	movw	$DATA32, %ax
	movw	%ax, %es
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$PML4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx
	rdmsr
	orl	$0x100, %eax			/* LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000000, %eax		/* PG: IA-32e mode, still 32-bit code */
	movl	%eax, %cr0
	movl	$0xc0000080, %ecx
	rdmsr
	testl	$0x400, %eax			/* LMA */
	movl	$msg_compat, %esi
	call	check32_nz

	/* Compatibility -> 64-bit mode: the far jump's offset is linear (64-bit CS has no base). */
	ljmpl	$CODE64, $long64 + LOAD
	.code64
long64:
	movabsq	$0x123456789, %rax
	shrq	$32, %rax
	cmpq	$1, %rax
	leaq	msg_long64(%rip), %rsi
	call	check64_eq
	movw	%cs, %ax
	cmpw	$CODE64, %ax
	leaq	msg_cs64(%rip), %rsi
	call	check64_eq

	/* 64-bit -> compatibility mode: a far return to the 32-bit segment. */
	pushq	$CODE32
	pushq	$compat_back
	lretq
	.code32
compat_back:
	movw	$DATA32, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movl	$msg_compat_back, %esi
	xorl	%eax, %eax
	call	check32_eq

	/* Paging off leaves IA-32e mode; then LME may be cleared. */
	movl	%cr0, %eax
	andl	$0x7fffffff, %eax
	movl	%eax, %cr0
	movl	$0xc0000080, %ecx
	rdmsr
	testl	$0x400, %eax
	movl	$msg_lma_off, %esi
	call	check32_z
	movl	$0xc0000080, %ecx
	rdmsr
	andl	$~0x100, %eax
	wrmsr

	/* 32-bit -> 16-bit protected mode -> real mode. */
	ljmp	$CODE16, $pm16_back
	.code16
pm16_back:
	movw	$DATA16, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr0, %eax
	andl	$~1, %eax
	movl	%eax, %cr0
	ljmp	$0x1000, $real_back
real_back:
	movw	%cs, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0xfff0, %sp
	smsw	%ax
	testw	$1, %ax
	movw	$msg_real_back, %si
	call	check16

	/* A software interrupt through the real-mode IVT (vector 0x80 -> int80 in this segment). */
	xorw	%ax, %ax
	movw	%ax, %es
	movw	$int80, %es:0x200
	movw	%cs, %es:0x202
	movw	$0, int80_hits
	movw	$0x1234, %bx
	int	$0x80
	cmpw	$0x4321, %bx
	jne	1f
	cmpw	$1, int80_hits
1:	movw	$msg_ivt, %si
	call	check16_eq

	/* Done: 0 to the exit port if nothing failed, 1 otherwise. */
	movb	failed, %al
	movw	$0xf4, %dx
	outb	%al, %dx
2:	hlt
	jmp	2b

int80:
	incw	%cs:int80_hits
	movw	$0x4321, %bx
	iret

/* ---- 16-bit helpers: puts16 (DS:SI), check16 (ZF=1 passes, for "test" results), check16_eq (ZF) ---- */
	.code16
check16:				/* passes if ZF = 1 */
check16_eq:
	jz	1f
	movb	$1, failed
	pushw	%si
	movw	$fail, %si
	call	puts16
	popw	%si
	jmp	2f
1:	pushw	%si
	movw	$pass, %si
	call	puts16
	popw	%si
2:	call	puts16
	ret
puts16:
	pushw	%ax
	pushw	%dx
1:	lodsb
	testb	%al, %al
	jz	3f
	movb	%al, %ah
	movw	$COM1 + 5, %dx
2:	inb	%dx, %al
	testb	$0x20, %al
	jz	2b
	movb	%ah, %al
	movw	$COM1, %dx
	outb	%al, %dx
	jmp	1b
3:	popw	%dx
	popw	%ax
	ret

/* ---- 32-bit helpers ---- */
	.code32
check32_nz:				/* passes if ZF = 0 */
	jnz	1f
	jmp	4f
check32_eq:
check32_z:				/* passes if ZF = 1 */
	jz	1f
4:	movb	$1, failed
	pushl	%esi
	movl	$fail, %esi
	call	puts32
	popl	%esi
	jmp	2f
1:	pushl	%esi
	movl	$pass, %esi
	call	puts32
	popl	%esi
2:	call	puts32
	ret
puts32:
	pushl	%eax
	pushl	%edx
1:	lodsb
	testb	%al, %al
	jz	3f
	movb	%al, %ah
	movw	$COM1 + 5, %dx
2:	inb	%dx, %al
	testb	$0x20, %al
	jz	2b
	movb	%ah, %al
	movw	$COM1, %dx
	outb	%al, %dx
	jmp	1b
3:	popl	%edx
	popl	%eax
	ret

/* ---- 64-bit helpers (RIP-relative) ---- */
	.code64
check64_eq:
	jz	1f
	movb	$1, failed(%rip)
	pushq	%rsi
	leaq	fail(%rip), %rsi
	call	puts64
	popq	%rsi
	jmp	2f
1:	pushq	%rsi
	leaq	pass(%rip), %rsi
	call	puts64
	popq	%rsi
2:	call	puts64
	ret
puts64:
	pushq	%rax
	pushq	%rdx
1:	lodsb
	testb	%al, %al
	jz	3f
	movb	%al, %ah
	movw	$COM1 + 5, %dx
2:	inb	%dx, %al
	testb	$0x20, %al
	jz	2b
	movb	%ah, %al
	movw	$COM1, %dx
	outb	%al, %dx
	jmp	1b
3:	popq	%rdx
	popq	%rax
	ret

	.data
	.align	8
gdt:
	.quad	0
	.quad	0x00009b010000ffff	/* 0x08 16-bit code, base 0x10000, limit 64 KiB */
	.quad	0x000093010000ffff	/* 0x10 16-bit data, base 0x10000 */
	.quad	0x00cf9b010000ffff	/* 0x18 32-bit code, base 0x10000, 4 GiB */
	.quad	0x00cf93010000ffff	/* 0x20 32-bit data, base 0x10000, 4 GiB */
	.quad	0x00cf93000000ffff	/* 0x28 flat 32-bit data */
	.quad	0x00af9b000000ffff	/* 0x30 64-bit code */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	gdt + LOAD
failed:	.byte	0
	.align	2
int80_hits: .word 0
pass:	.asciz	"PASS: "
fail:	.asciz	"FAIL: "
msg_real:	.asciz	"started in real mode\n"
msg_real_pe:	.asciz	"real mode: CR0.PE = 0\n"
msg_pm16:	.asciz	"16-bit protected mode: CS = the 16-bit code selector\n"
msg_pm32:	.asciz	"32-bit protected mode: 32-bit operands by default\n"
msg_compat:	.asciz	"CR0.PG with EFER.LME: IA-32e mode (EFER.LMA = 1), compatibility mode\n"
msg_long64:	.asciz	"64-bit mode: 64-bit registers\n"
msg_cs64:	.asciz	"64-bit mode: CS = the 64-bit code selector\n"
msg_compat_back:	.asciz	"far return from 64-bit to compatibility mode\n"
msg_lma_off:	.asciz	"CR0.PG = 0 leaves IA-32e mode (EFER.LMA = 0)\n"
msg_real_back:	.asciz	"back in real mode: CR0.PE = 0\n"
msg_ivt:	.asciz	"real mode: INT 0x80 through the IVT and IRET\n"
