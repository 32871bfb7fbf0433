/*
 * Multiboot entry of the system guests. The boot loader leaves us in 32-bit protected mode with flat
 * segments, paging off, EAX = 0x2BADB002 and EBX = the boot information. We load our own GDT; x86_64
 * guests then build an identity map of the first 4 GiB (the first 2 MiB in 4 KiB pages, page 0 left
 * unmapped to catch null pointers, the rest in 2 MiB pages, all user-accessible) and enter long mode.
 * guest_start() (desc.c) does the rest in C.
 *
 * Built with -DAOUT_KLUDGE the header also carries the load addresses (flag 16), for guests shipped as
 * raw binaries.
 */
#include "layout.h"

#ifdef AOUT_KLUDGE
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_HEADER_MAGIC
	.long MB_FLAGS
	.long -(MB_HEADER_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
	.long mb_header		/* header_addr */
	.long __image_start	/* load_addr */
	.long __load_end	/* load_end_addr */
	.long __bss_end		/* bss_end_addr */
	.long _start		/* entry_addr */
#endif

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl	%eax, mb_magic
	movl	%ebx, mb_info
	movl	$boot_stack_top, %esp
	lgdt	gdt_ptr32
	ljmp	$KERNEL_CS32, $1f
1:	movw	$KERNEL_DS, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
#ifdef __x86_64__
	/* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; PD0[0] -> PT0 (4 KiB pages), the rest 2 MiB pages. */
	movl	$pdpt + 7, pml4
	movl	$pd + 7, pdpt
	movl	$pd + 0x1007, pdpt + 8
	movl	$pd + 0x2007, pdpt + 16
	movl	$pd + 0x3007, pdpt + 24
	movl	$pt0 + 7, pd
	movl	$1, %ecx			/* PD entries 1..2047: 2 MiB pages */
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x87, %eax			/* P, RW, US, PS */
	movl	%eax, pd(,%ecx,8)
	incl	%ecx
	cmpl	$2048, %ecx
	jb	2b
	movl	$1, %ecx			/* PT0 entries 1..511: 4 KiB pages; page 0 stays unmapped */
3:	movl	%ecx, %eax
	shll	$12, %eax
	orl	$7, %eax			/* P, RW, US */
	movl	%eax, pt0(,%ecx,8)
	incl	%ecx
	cmpl	$512, %ecx
	jb	3b
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xC0000080, %ecx		/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax		/* PG, WP, PE */
	movl	%eax, %cr0
	ljmp	$KERNEL_CS, $start64

	.code64
start64:
	movw	$KERNEL_DS, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	$boot_stack_top, %rsp
	call	guest_start
4:	hlt
	jmp	4b
#else
	call	guest_start
4:	hlt
	jmp	4b
#endif

	.data
	.align 8
gdt_ptr32:
	.word	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt
	.align 8
/* Until guest_start() loads the full GDT: 32-bit code at 0x08, the kernel code at 0x10, data at 0x18. */
boot_gdt:
	.quad	0
	.quad	0x00CF9B000000FFFF
#ifdef __x86_64__
	.quad	0x00AF9B000000FFFF
#else
	.quad	0x00CF9B000000FFFF
#endif
	.quad	0x00CF93000000FFFF
boot_gdt_end:
	.globl mb_magic, mb_info
mb_magic:
	.long	0
mb_info:
	.long	0

	.bss
	.align 4096
	.globl boot_stack, boot_stack_top
boot_stack:
	.skip	STACK_BYTES
boot_stack_top:
#ifdef __x86_64__
	.globl pml4, pdpt, pd, pt0
pml4:	.skip	4096
pdpt:	.skip	4096
pd:	.skip	4 * 4096
pt0:	.skip	4096
#endif
