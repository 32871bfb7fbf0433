/*
 * loop: a speed probe for the engines. From real mode (flat binary at 0x10000, CS:IP = 1000:0000) it
 * enters 64-bit mode (identity map of the first GiB with 2 MiB pages), runs a tight loop of register,
 * memory and branch instructions 100,000,000 times (about 1.15 billion instructions), prints a checksum
 * of its registers on COM1 and ends the VM through port 0xf4. Compare engines with
 * `lkvm run -k guests/tiny/loop.bin --stats --engine=interp|jit`: the checksums must agree.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	%ax, %es
	/* page tables at linear 0x20000: PML4, PDPT, one PD of 512 2 MiB pages */
	mov	$0x2000, %ax
	mov	%ax, %es
	xor	%di, %di
	xor	%eax, %eax
	mov	$0x3000, %cx
	rep stosl			/* clear 0x20000-0x2BFFF */
	movl	$0x21003, %es:0		/* PML4[0] -> PDPT */
	movl	$0x22003, %es:0x1000	/* PDPT[0] -> PD */
	xor	%di, %di
	mov	$0x83, %eax		/* present, writable, 2 MiB */
	mov	$512, %cx
1:	mov	%eax, %es:0x2000(%di)
	add	$0x200000, %eax
	add	$8, %di
	loop	1b
	lgdtl	gdtr
	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	mov	$0x20000, %eax
	mov	%eax, %cr3
	mov	$0xC0000080, %ecx	/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax	/* PG | PE */
	mov	%eax, %cr0
	.byte	0x66, 0xea		/* ljmpl $0x08, $(0x10000 + start64) */
	.long	0x10000 + start64
	.word	0x08

	.code64
start64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x90000, %esp
	mov	$100000000, %ecx
	xor	%eax, %eax
	xor	%ebx, %ebx
	xor	%edx, %edx
	xor	%r8d, %r8d
	mov	$0x80000, %esi		/* data on its own page: a store to a code page drops its blocks */
2:	add	%rcx, %rax
	xor	%rax, %rbx
	mov	%rbx, (%rsi)
	add	(%rsi), %rdx
	lea	1(%rdx,%rax,2), %rdi
	mov	%edi, %r9d
	test	$1, %cl
	jz	3f
	inc	%r8
3:	shr	$3, %r9
	sub	$1, %rcx
	jnz	2b
	/* checksum = rax + rbx + rdx + r8 + rdi, printed as 16 hex digits */
	add	%rbx, %rax
	add	%rdx, %rax
	add	%r8, %rax
	add	%rdi, %rax
	mov	%rax, %rbx
	lea	msg(%rip), %rsi
	call	puts
	mov	$16, %ecx
4:	rol	$4, %rbx
	mov	%ebx, %eax
	and	$15, %eax
	lea	hex(%rip), %rsi
	mov	(%rsi,%rax), %al
	call	putc
	dec	%ecx
	jnz	4b
	mov	$10, %al
	call	putc
	mov	$0xf4, %dx
	xor	%al, %al
	out	%al, %dx
5:	hlt
	jmp	5b

puts:	lodsb
	test	%al, %al
	jz	6f
	call	putc
	jmp	puts
6:	ret

/* putc: AL to COM1 once the transmitter holds nothing (LSR bit 5). */
putc:	push	%rax
	mov	$0x3fd, %dx
7:	in	%dx, %al
	test	$0x20, %al
	jz	7b
	pop	%rax
	mov	$0x3f8, %dx
	out	%al, %dx
	ret

	.balign	8
gdt:	.quad	0
	.quad	0x00209A0000000000	/* 0x08: 64-bit code */
	.quad	0x0000920000000000	/* 0x10: data */
gdtr:	.word	gdtr - gdt - 1
	.long	0x10000 + gdt
msg:	.asciz	"loop: checksum "
hex:	.ascii	"0123456789abcdef"
