/*
 * mbinfo (32-bit): what the multiboot loader hands over. The magic in EAX, the boot information flags,
 * mem_lower/mem_upper and the memory map against the RAM size, the command line "FILE ARGS", the boot
 * loader name, and module 0 (its length and byte sum, and where it lies). Expected values come on the
 * command line: mem=<MiB> [modlen=<bytes> modsum=<sum of bytes mod 2^32>].
 * Built twice: mbinfo.elf (ELF program headers) and mbinfo.bin (raw, with the a.out-kludge fields).
 */
#include "guest.h"

struct mbi {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr, config_table, boot_loader_name;
};

struct __attribute__((packed)) mmap_entry {
	u32 size;
	u64 addr, len;
	u32 type;
};

extern const char __image_start[], __bss_end[];

void main(void)
{
	report(mb_magic == MB_BOOT_MAGIC, "EAX = 0x2BADB002 at entry (%x)", mb_magic);
	struct mbi *m = (struct mbi *)(ulong)mb_info;
	report(mb_info && mb_info < 0x100000, "EBX points at the boot information in low memory (%x)", mb_info);
	u32 want = 1 | 4 | 8 | 64 | 512;
	report((m->flags & want) == want, "flags: memory, cmdline, modules, memory map, loader name (%x)", m->flags);

	ulong mem = cmdline_number("mem", 0);
	report(m->mem_lower == 639, "mem_lower = 639 KiB (%u)", m->mem_lower);
	report(m->mem_upper == (mem - 1) * 1024, "mem_upper = RAM above 1 MiB in KiB (%u, RAM %lu MiB)", m->mem_upper, mem);

	int ok = m->mmap_length % 24 == 0 && m->mmap_length > 0;
	int low = 0, high = 0;
	for (u32 at = 0; at < m->mmap_length; at += 24) {
		struct mmap_entry *e = (struct mmap_entry *)(ulong)(m->mmap_addr + at);
		ok &= e->size == 20 && (e->type == 1 || e->type == 2);
		if (e->type == 1 && e->addr == 0 && e->len == 0x9fc00)
			low = 1;
		if (e->type == 1 && e->addr == 0x100000 && e->len == ((u64)mem - 1) << 20)
			high = 1;
		printf("info: mmap %08lx%08lx +%08lx%08lx type %u\n", (ulong)(e->addr >> 32), (ulong)e->addr,
			(ulong)(e->len >> 32), (ulong)e->len, e->type);
	}
	report(ok && low && high, "memory map: 20-byte entries, RAM below 0x9FC00 and from 1 MiB to the end");

	const char *cl = (const char *)(ulong)m->cmdline;
	const char *sp = cl;
	while (*sp && *sp != ' ')
		sp++;
	int n = sp - cl;
	report(n > 4 && (!strncmp(sp - 4, ".elf", 4) || !strncmp(sp - 4, ".bin", 4)),
		"cmdline starts with the kernel's file name (%s)", cl);
	int has_mem = 0;
	for (const char *p = sp; *p; p++)
		has_mem |= p[0] == ' ' && !strncmp(p + 1, "mem=", 4);
	report(*sp == ' ' && has_mem, "cmdline: the arguments follow after one space");

	const char *name = (const char *)(ulong)m->boot_loader_name;
	report(!strcmp(name, oracle_quirk("loader") ? "kvmrun" : "jkvm"), "boot loader name (%s)", name);

	ulong modlen = cmdline_number("modlen", 0);
	if (!modlen) {
		report(m->mods_count == 0, "no module: mods_count = 0");
		return;
	}
	report(m->mods_count == 1, "mods_count = 1");
	u32 *mod = (u32 *)(ulong)m->mods_addr;
	u32 sum = 0;
	for (u8 *p = (u8 *)(ulong)mod[0]; p < (u8 *)(ulong)mod[1]; p++)
		sum += *p;
	report(mod[1] - mod[0] == modlen, "module 0: end - start = the file's length (%u)", mod[1] - mod[0]);
	report(sum == cmdline_number("modsum", 0), "module 0: its bytes (sum %x)", sum);
	report((mod[0] & 4095) == 0 && mod[0] >= (ulong)__bss_end, "module 0: page aligned, after the kernel (%x)",
		mod[0]);
	const char *mname = (const char *)(ulong)mod[2];
	report(mname && *mname, "module 0 has its file name as command line (%s)", mname);
}
