/*
 * kvmrun: runs a system guest on the host CPU through Linux KVM, as the oracle the guests' expectations
 * are checked against (they must pass here too, apart from documented vendor differences). It is a
 * developer tool, not part of jkvm: check-kvm.sh builds and uses it when /dev/kvm is there.
 *
 *   kvmrun [-p ARGS] [-i MODULE] [-t SECONDS] FILE
 *
 * FILE is a multiboot kernel (ELF32 or a.out kludge), started as jkvm's loader starts it (32-bit protected
 * mode, flat segments, EAX = 0x2BADB002, EBX = boot information at 0x9000), or else a flat binary started
 * in real mode at 1000:0000. COM1 output goes to stdout; a write of V to port 0xf4 exits with (V << 1) | 1;
 * a triple fault prints "kvmrun: shutdown" and exits with 0; the time limit exits with 124.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM (64u << 20)
#define INFO 0x9000u

static uint8_t *ram;

static void die(const char *m)
{
	fprintf(stderr, "kvmrun: %s: %s\n", m, strerror(errno));
	exit(125);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	uint8_t *b = malloc(st.st_size + 1);
	if (read(fd, b, st.st_size) != st.st_size)
		die(path);
	close(fd);
	*len = st.st_size;
	return b;
}

static void put32(uint32_t at, uint32_t v) { memcpy(ram + at, &v, 4); }
static void put64(uint32_t at, uint64_t v) { memcpy(ram + at, &v, 8); }

static uint32_t info_at = INFO + 0x400;
static uint32_t info_string(const char *s)
{
	uint32_t at = info_at;
	strcpy((char *)ram + at, s);
	info_at += strlen(s) + 1;
	return at;
}

/* Returns the entry point, or 0 if the file has no multiboot header. */
static uint32_t load_multiboot(uint8_t *img, size_t len, uint32_t *end)
{
	size_t at;
	uint32_t flags = 0;
	for (at = 0; at + 12 <= len && at < 8192; at += 4) {
		uint32_t *h = (uint32_t *)(img + at);
		if (h[0] == 0x1BADB002 && h[0] + h[1] + h[2] == 0) {
			flags = h[1];
			break;
		}
	}
	if (at + 12 > len || at >= 8192)
		return 0;
	uint32_t *h = (uint32_t *)(img + at);
	if (flags & 0x10000) {
		uint32_t off = at - (h[3] - h[4]);
		uint32_t n = h[5] ? h[5] - h[4] : len - off;
		memcpy(ram + h[4], img + off, n);
		*end = h[6] ? h[6] : h[4] + n;
		memset(ram + h[4] + n, 0, *end - h[4] - n);
		return h[7];
	}
	Elf32_Ehdr *e = (Elf32_Ehdr *)img;
	uint32_t entry = e->e_entry;
	*end = 0;
	for (int i = 0; i < e->e_phnum; i++) {
		Elf32_Phdr *p = (Elf32_Phdr *)(img + e->e_phoff + i * e->e_phentsize);
		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		memcpy(ram + p->p_paddr, img + p->p_offset, p->p_filesz);
		memset(ram + p->p_paddr + p->p_filesz, 0, p->p_memsz - p->p_filesz);
		if (p->p_paddr + p->p_memsz > *end)
			*end = p->p_paddr + p->p_memsz;
	}
	return entry;
}

int main(int argc, char **argv)
{
	const char *args = "", *module = NULL;
	int seconds = 30, opt;
	while ((opt = getopt(argc, argv, "p:i:t:")) != -1) {
		if (opt == 'p')
			args = optarg;
		else if (opt == 'i')
			module = optarg;
		else if (opt == 't')
			seconds = atoi(optarg);
		else
			return 125;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: kvmrun [-p ARGS] [-i MODULE] [-t SECONDS] FILE\n");
		return 125;
	}
	const char *file = argv[optind];
	alarm(seconds);

	int kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0, .memory_size = RAM,
		.userspace_addr = (uint64_t)ram };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (cpu < 0)
		die("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);

	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
	cpuid->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("KVM_GET_SUPPORTED_CPUID");
	if (ioctl(cpu, KVM_SET_CPUID2, cpuid) < 0)
		die("KVM_SET_CPUID2");

	size_t len;
	uint8_t *img = slurp(file, &len);
	uint32_t end;
	uint32_t entry = load_multiboot(img, len, &end);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	if (ioctl(cpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	if (entry) {
		/* The GDT: flat 32-bit code at 0x08, data at 0x10. */
		put64(INFO, 0);
		put64(INFO + 8, 0x00CF9B000000FFFFull);
		put64(INFO + 16, 0x00CF93000000FFFFull);
		uint32_t mbi = INFO + 0x100, mmap_at = INFO + 0x200, mods = INFO + 0x300;
		char cmd[4096];
		snprintf(cmd, sizeof(cmd), "%s %s", file, args);
		memset(ram + mbi, 0, 116);
		put32(mbi, 1 | 4 | 8 | 64 | 512);
		put32(mbi + 4, 0x9FC00 >> 10);
		put32(mbi + 8, (RAM - 0x100000) >> 10);
		put32(mbi + 16, info_string(cmd));
		put32(mbi + 64, info_string("kvmrun"));
		uint64_t map[][3] = { { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xF0000, 0x10000, 2 },
			{ 0x100000, RAM - 0x100000, 1 } };
		for (int i = 0; i < 4; i++) {
			put32(mmap_at + 24 * i, 20);
			put64(mmap_at + 24 * i + 4, map[i][0]);
			put64(mmap_at + 24 * i + 12, map[i][1]);
			put32(mmap_at + 24 * i + 20, (uint32_t)map[i][2]);
		}
		put32(mbi + 44, 4 * 24);
		put32(mbi + 48, mmap_at);
		put32(mbi + 24, mods);
		if (module) {
			size_t mlen;
			uint8_t *m = slurp(module, &mlen);
			uint32_t at = (end + 4095) & ~4095u;
			memcpy(ram + at, m, mlen);
			put32(mods, at);
			put32(mods + 4, at + mlen);
			put32(mods + 8, info_string(module));
			put32(mbi + 20, 1);
		}
		struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
			.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
		struct kvm_segment data = code;
		data.selector = 0x10;
		data.type = 0x3;
		sregs.cs = code;
		sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
		sregs.gdt.base = INFO;
		sregs.gdt.limit = 23;
		sregs.cr0 = 0x11;
		regs.rip = entry;
		regs.rax = 0x2BADB002;
		regs.rbx = mbi;
		regs.rsp = INFO;
	} else {
		memcpy(ram + 0x10000, img, len);
		struct kvm_segment *segs[] = { &sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss };
		for (int i = 0; i < 6; i++) {
			segs[i]->selector = 0x1000;
			segs[i]->base = 0x10000;
		}
		regs.rip = 0;
		regs.rsp = 0x8000;
	}
	if (ioctl(cpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	if (ioctl(cpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");

	for (;;) {
		if (ioctl(cpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;
			if (run->io.direction == KVM_EXIT_IO_OUT) {
				if (run->io.port == 0x3f8) {
					fwrite(data, 1, run->io.count * run->io.size, stdout);
					fflush(stdout);
				} else if (run->io.port == 0xf4) {
					return (data[0] << 1) | 1;
				}
			} else {
				memset(data, run->io.port == 0x3fd ? 0x60 : 0xff, run->io.size * run->io.count);
			}
			break;
		}
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, run->mmio.len);
			break;
		case KVM_EXIT_SHUTDOWN:
			printf("kvmrun: shutdown\n");
			return 0;
		case KVM_EXIT_HLT:
			printf("kvmrun: hlt\n");
			return 2;
		default:
			ioctl(cpu, KVM_GET_REGS, &regs);
			fprintf(stderr, "kvmrun: exit reason %d at rip %llx", run->exit_reason, regs.rip);
			if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
				fprintf(stderr, " suberror %u data", run->internal.suberror);
				for (unsigned i = 0; i < run->internal.ndata && i < 16; i++)
					fprintf(stderr, " %llx", run->internal.data[i]);
			}
			fprintf(stderr, "\n");
			return 126;
		}
	}
}
