/*
 * smp: starts the application processor the way Linux does (INIT, then a startup IPI, here through the
 * x2APIC ICR MSR so that real mode suffices), and both vCPUs add 1 to a shared counter COUNT times with
 * LOCK INC. The bootstrap processor waits for the AP, then checks the sum: PASS (isa-debug-exit 0, lkvm
 * status 1) or FAIL (exit 1, status 3). Needs lkvm run -c 2 or more.
 */
	.code16
	.text
	.globl	_start
	.set	COUNT, 2000000
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0xf000, %sp
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: EN and EXTD, x2APIC mode */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x830, %ecx		/* x2APIC ICR: destination APIC id 1 in EDX */
	mov	$1, %edx
	mov	$0x4500, %eax		/* INIT, level assert */
	wrmsr
	mov	$0x4611, %eax		/* startup IPI, vector 0x11: the AP starts at 1100:0000 */
	wrmsr
	mov	$COUNT, %ecx
1:	lock incl counter
	dec	%ecx
	jnz	1b
2:	pause
	cmpl	$1, done
	jne	2b
	cmpl	$2 * COUNT, counter
	jne	fail
	mov	$pass_msg, %si
	call	puts
	xor	%al, %al
	jmp	exit
fail:
	mov	$fail_msg, %si
	call	puts
	mov	$1, %al
exit:
	mov	$0xf4, %dx
	out	%al, %dx
3:	hlt
	jmp	3b

/* puts: writes the string at DS:SI on COM1. */
puts:
	mov	$0x3f8, %dx
4:	lodsb
	test	%al, %al
	jz	6f
	push	%ax
	add	$5, %dx
5:	in	%dx, %al
	test	$0x20, %al
	jz	5b
	sub	$5, %dx
	pop	%ax
	out	%al, %dx
	jmp	4b
6:	ret

pass_msg:	.asciz	"smp: PASS: 2 vCPUs, LOCK INC is atomic\n"
fail_msg:	.asciz	"smp: FAIL: increments were lost\n"
/* The application processor's entry point, at 0x11000. */
	.org	0x1000
ap:
	mov	$0x1000, %ax
	mov	%ax, %ds
	mov	$COUNT, %ecx
7:	lock incl counter
	dec	%ecx
	jnz	7b
	movl	$1, done
8:	hlt
	jmp	8b

/* The shared data, on a page of its own so that the counter's writes do not hit the code pages. */
	.org	0x2000
counter:	.long	0
done:		.long	0
