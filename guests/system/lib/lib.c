/* Console output on COM1, PASS/FAIL reporting, the exit port, and the few string functions needed. */
#include "guest.h"

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

static int nfail, npass;

void putchar_com1(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

void puts_com1(const char *s)
{
	while (*s)
		putchar_com1(*s++);
}

static void put_unsigned(u64 v, int base, int width, char pad)
{
	char buf[24];
	int n = 0;
	do {
		/* Bases are powers of two or 10; for 10, 32-bit guests only print values below 2^32. */
		int d;
		if (base == 16) {
			d = v & 15;
			v >>= 4;
		} else {
#ifdef __x86_64__
			d = v % 10;
			v /= 10;
#else
			u32 w = (u32)v;
			d = w % 10;
			v = w / 10;
#endif
		}
		buf[n++] = d < 10 ? '0' + d : 'a' + d - 10;
	} while (v);
	while (n < width--)
		putchar_com1(pad);
	while (n)
		putchar_com1(buf[--n]);
}

int vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putchar_com1(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		u64 v;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			puts_com1(s ? s : "(null)");
			break;
		}
		case 'c':
			putchar_com1((char)va_arg(ap, int));
			break;
		case 'd': {
			long long x = lng == 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
			if (x < 0) {
				putchar_com1('-');
				x = -x;
			}
			put_unsigned((u64)x, 10, width, pad);
			break;
		}
		case 'u':
		case 'x':
			v = lng == 2 ? va_arg(ap, unsigned long long) : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_unsigned(v, *fmt == 'x' ? 16 : 10, width, pad);
			break;
		case 'p':
			puts_com1("0x");
			put_unsigned((ulong)va_arg(ap, void *), 16, 0, '0');
			break;
		case '%':
			putchar_com1('%');
			break;
		default:
			putchar_com1('?');
			break;
		}
	}
	return 0;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return 0;
}

int report(int ok, const char *fmt, ...)
{
	va_list ap;
	puts_com1(ok ? "PASS: " : "FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar_com1('\n');
	if (ok)
		npass++;
	else
		nfail++;
	return ok;
}

void report_skip(const char *fmt, ...)
{
	va_list ap;
	puts_com1("SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar_com1('\n');
}

int failures(void)
{
	return nfail;
}

void exit(int code)
{
	outb(DEBUG_EXIT_PORT, code);
	for (;;)
		asm volatile("cli; hlt");
}

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;
	while (n--)
		*p++ = c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

const char *cmdline(void)
{
	/* Multiboot information: flags bit 2 says the command line pointer at offset 16 is valid. */
	const u32 *mbi = (const u32 *)(ulong)mb_info;
	if (mb_magic != MB_BOOT_MAGIC || !mbi || !(mbi[0] & 4))
		return "";
	return (const char *)(ulong)mbi[4];
}

ulong cmdline_number(const char *key, ulong dflt)
{
	const char *s = cmdline();
	size_t k = strlen(key);
	for (; *s; s++) {
		if ((s == cmdline() || s[-1] == ' ') && !strncmp(s, key, k) && s[k] == '=') {
			ulong v = 0;
			const char *p = s + k + 1;
			int base = 10;
			if (p[0] == '0' && p[1] == 'x') {
				base = 16;
				p += 2;
			}
			for (;; p++) {
				int d;
				if (*p >= '0' && *p <= '9')
					d = *p - '0';
				else if (base == 16 && *p >= 'a' && *p <= 'f')
					d = *p - 'a' + 10;
				else
					break;
				v = v * base + d;
			}
			return v;
		}
	}
	return dflt;
}

int cpu_is_intel(void)
{
	u32 a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;
}

int cpu_phys_bits(void)
{
	u32 a, b, c, d;
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000008)
		return 36;
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	return a & 0xff;
}

int oracle_quirk(const char *name)
{
	const char *s = cmdline();
	size_t n = strlen(name);
	for (; *s; s++) {
		if ((s == cmdline() || s[-1] == ' ') && !strncmp(s, "quirk=", 6)) {
			for (const char *p = s + 6; *p && *p != ' ';) {
				if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == ' ' || !p[n]))
					return 1;
				while (*p && *p != ',' && *p != ' ')
					p++;
				if (*p == ',')
					p++;
			}
		}
	}
	return 0;
}

int probe_read(ulong va)
{
	u32 v;
	TRY("movl (%1), %0", : "=r"(v) : "r"(va) : "memory");
	(void)v;
	return last_fault.vector;
}

int probe_write(ulong va)
{
	TRY("movl $0x5a5a5a5a, (%0)", : : "r"(va) : "memory");
	return last_fault.vector;
}

int probe_fetch(ulong va)
{
#ifdef __x86_64__
	TRY("lea 2101f(%%rip), %%rcx\n\t" "jmp *%0\n\t" "2101:", : : "r"(va) : "rcx", "memory");
#else
	TRY("movl $2101f, %%ecx\n\t" "jmp *%0\n\t" "2101:", : : "r"(va) : "ecx", "memory");
#endif
	return last_fault.vector;
}

int is_pf(int vector, ulong err, ulong cr2)
{
	return vector == PF && last_fault.error_code == err && last_fault.cr2 == cr2;
}
