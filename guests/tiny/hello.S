/*
 * hello: the smallest jkvm guest. Loaded as a flat binary at 0x10000 and started in real mode at
 * 1000:0000 (kvmtool's flat-binary boot path), it prints a line on COM1 (port 0x3f8) by polling the
 * UART, then ends the VM through the isa-debug-exit port 0xf4. Writing 0 there makes lkvm exit with
 * status (0 << 1) | 1 = 1.
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
	call	putc
	jmp	1b
2:	mov	$0xf4, %dx
	xor	%al, %al
	out	%al, %dx
3:	hlt
	jmp	3b

/* putc: waits for THR empty (LSR bit 5) and writes AL to COM1. DX = 0x3f8 on entry and exit. */
putc:
	push	%ax
	add	$5, %dx
4:	in	%dx, %al
	test	$0x20, %al
	jz	4b
	sub	$5, %dx
	pop	%ax
	out	%al, %dx
	ret

msg:	.asciz	"Hello from jkvm\n"
