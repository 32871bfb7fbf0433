/*
 * jkvm's tiny BIOS: the services kvmtool's BIOS gives a Linux bzImage's real-mode setup code, and no more
 * (see kvmtool x86/bios/, x86/bios.c): copied to 0xF0000; the loader points every IVT vector at
 * `intfake` and vectors 0x10 and 0x15 at `int10` and `int15`. The first three words of the image are the
 * offsets of those entry points, for the loader.
 *
 *   intfake: sets CF in the caller's FLAGS and returns: "not supported".
 *   int10:   AH=0Eh teletype output goes to COM1 (port 0x3f8); every function returns with CF clear.
 *   int15:   EAX=E820h returns the memory map the loader stored in the EBDA at 9FC0:0000 as
 *            { u32 count; struct { u64 addr; u64 size; u32 type; } entries[]; }. Anything else: CF set.
 *
 * On entry to a handler the stack holds IP, CS, FLAGS; after `push %bp; mov %sp,%bp` FLAGS is at 6(%bp).
 */
	.code16
	.text
	.globl	_start
_start:
	.word	intfake
	.word	int10
	.word	int15

intfake:
	pushw	%bp
	movw	%sp, %bp
	orw	$1, 6(%bp)
	popw	%bp
	iret

int10:
	pushw	%bp
	movw	%sp, %bp
	cmpb	$0x0e, %ah
	jne	1f
	pushw	%dx
	movw	$0x3f8, %dx
	outb	%al, %dx
	popw	%dx
1:	andw	$0xfffe, 6(%bp)
	popw	%bp
	iret

int15:
	pushw	%bp
	movw	%sp, %bp
	cmpl	$0xe820, %eax
	jne	9f
	pushw	%ds
	pushl	%esi
	pushl	%edi
	movw	$0x9fc0, %ax
	movw	%ax, %ds
	cmpl	%ds:0, %ebx
	jae	8f
	movl	%ebx, %esi
	imull	$20, %esi, %esi
	addl	$4, %esi
	movl	$20, %ecx
	cld
	addr32 rep movsb
	incl	%ebx
	cmpl	%ds:0, %ebx
	jb	2f
	xorl	%ebx, %ebx
2:	movl	$0x534d4150, %eax	/* 'SMAP' */
	movl	$20, %ecx
	popl	%edi
	popl	%esi
	popw	%ds
	andw	$0xfffe, 6(%bp)
	popw	%bp
	iret
8:	popl	%edi
	popl	%esi
	popw	%ds
9:	orw	$1, 6(%bp)
	popw	%bp
	iret
