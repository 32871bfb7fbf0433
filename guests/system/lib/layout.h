/*
 * Selectors and fixed numbers shared by the assembly and C parts of the system guests.
 *
 * GDT layout (Linux's order, so that SYSCALL/SYSRET and SYSENTER/SYSEXIT find their segments):
 *   0x08 ring-0 32-bit code (entry, mode switches)   0x10 ring-0 code (64-bit in x86_64 guests)
 *   0x18 ring-0 data                                  0x23 ring-3 32-bit code
 *   0x2b ring-3 data                                  0x33 ring-3 64-bit code
 *   0x38 TSS (two slots in 64-bit guests)             0x48.. free for the tests
 */
#ifndef LAYOUT_H
#define LAYOUT_H

#define KERNEL_CS32 0x08
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER_CS32 0x23
#define USER_DS 0x2b
#define USER_CS64 0x33
#define TSS_SEL 0x38
#define FIRST_FREE_SEL 0x48
#define GDT_ENTRIES 64

#ifdef __x86_64__
#define USER_CS USER_CS64
#else
#define USER_CS USER_CS32
#endif

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_BOOT_MAGIC 0x2BADB002

#define STACK_BYTES 16384

#endif
