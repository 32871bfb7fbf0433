/*
 * Exception and interrupt entry stubs for all 256 vectors, the common path that saves the registers and
 * calls do_exception(struct ex_regs *), and the ring-3 trampoline of run_user().
 *
 * Vectors 8, 10-14, 17, 21, 29 and 30 push an error code; the other stubs push a 0 in its place so that
 * every frame looks the same. (A software INT to one of those vectors pushes no error code: the tests do
 * not do that.)
 */
#include "layout.h"

	.text
#ifdef __x86_64__
	.code64
#define PTR .quad
#else
	.code32
#define PTR .long
#endif

	.altmacro
.macro ISR vec
	.align 16
isr_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push	$0
	.endif
	push	$\vec
	jmp	isr_common
.endm

	.set	vec, 0
	.rept	256
	ISR	%vec
	.set	vec, vec + 1
	.endr

.macro ISR_ADDR vec
	PTR	isr_\vec
.endm

	.section .rodata
	.align 8
	.globl isr_table
isr_table:
	.set	vec, 0
	.rept	256
	ISR_ADDR %vec
	.set	vec, vec + 1
	.endr

	.text
#ifdef __x86_64__
isr_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rbx
	push	%rbp
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	movq	%rsp, %rdi
	cld
	call	do_exception
	.globl isr_return
isr_return:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rcx
	pop	%rax
	addq	$16, %rsp
	iretq

/*
 * unsigned long run_user(unsigned long (*fn)(unsigned long), unsigned long arg): calls fn(arg) at CPL 3 on
 * the user stack and returns its result. The user code comes back with a UD2 at user_return_point; the
 * #UD path of do_exception() recognizes it and calls resume_kernel(result). (An exception rather than an
 * INT n, because the host KVM used as an oracle cannot run software interrupts.)
 */
	.globl run_user
run_user:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	movq	%rsp, kernel_saved_sp
	pushq	$USER_DS
	pushq	user_stack_top_ptr
	pushq	$0x2
	pushq	$USER_CS64
	pushq	$user_trampoline
	iretq
user_trampoline:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	movq	%rax, %rdi
	.globl user_return_point
user_return_point:
	ud2

	/* void resume_kernel(unsigned long result): at CPL 0, back onto the stack run_user was called on. */
	.globl resume_kernel
resume_kernel:
	movq	%rdi, %rax
	movq	kernel_saved_sp, %rsp
	movw	$KERNEL_DS, %dx
	movw	%dx, %ds
	movw	%dx, %es
	movw	%dx, %ss
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
#else
isr_common:
	pusha
	movl	%esp, %eax
	push	%eax
	cld
	call	do_exception
	addl	$4, %esp
	.globl isr_return
isr_return:
	popa
	addl	$8, %esp
	iret

	.globl run_user
run_user:
	push	%ebx
	push	%ebp
	push	%esi
	push	%edi
	movl	20(%esp), %esi		/* fn */
	movl	24(%esp), %edi		/* arg */
	movl	%esp, kernel_saved_sp
	movw	$USER_DS, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	pushl	$USER_DS
	pushl	user_stack_top_ptr
	pushl	$0x2
	pushl	$USER_CS32
	pushl	$user_trampoline
	iret
user_trampoline:
	push	%edi
	call	*%esi
	addl	$4, %esp
	.globl user_return_point
user_return_point:
	ud2

	.globl resume_kernel
resume_kernel:
	movl	4(%esp), %eax
	movl	kernel_saved_sp, %esp
	movw	$KERNEL_DS, %dx
	movw	%dx, %ds
	movw	%dx, %es
	movw	%dx, %fs
	movw	%dx, %gs
	movw	%dx, %ss
	pop	%edi
	pop	%esi
	pop	%ebp
	pop	%ebx
	ret
#endif

	.data
	.align 8
	.globl kernel_saved_sp
kernel_saved_sp:
	PTR	0
