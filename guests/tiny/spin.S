/*
 * spin: prints "spinning" on COM1, then loops forever (with PAUSE), so that tests can drive a running
 * guest from outside: lkvm list/pause/resume/debug/stop through the control socket.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$msg, %si
	mov	$0x3f8, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	incl	%ecx
	pause
	jmp	2b

msg:	.asciz	"spinning\n"
