#!/usr/bin/env bash
# Rebuilds the BIOS blob that lkvm copies to 0xF0000, into kvmtool-compat's resources.
set -euo pipefail
cd "$(dirname "$0")"
out=../../kvmtool-compat/src/main/resources/org/jkvm/lkvm/boot/bios.bin
as --32 -o /tmp/jkvm-bios.o bios.S
ld -m elf_i386 -Ttext=0 -e _start -o /tmp/jkvm-bios.elf /tmp/jkvm-bios.o
objcopy -O binary /tmp/jkvm-bios.elf "$out"
rm -f /tmp/jkvm-bios.o /tmp/jkvm-bios.elf
echo "built $(basename "$out") ($(stat -c %s "$out") bytes)"
