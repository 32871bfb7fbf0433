#!/usr/bin/env bash
# Rebuilds the prebuilt flat binaries of the tiny guests from their GNU as sources.
# Each NAME.S becomes NAME.bin: assembled with as, linked at address 0 (the guests run at CS:0 with
# CS = 0x1000, or relocate themselves), and stripped to raw bytes with objcopy.
set -euo pipefail
cd "$(dirname "$0")"
for src in *.S; do
  name=${src%.S}
  as --32 -o "/tmp/jkvm-$name.o" "$src"
  ld -m elf_i386 -Ttext=0 -e _start -o "/tmp/jkvm-$name.elf" "/tmp/jkvm-$name.o"
  objcopy -O binary "/tmp/jkvm-$name.elf" "$name.bin"
  rm -f "/tmp/jkvm-$name.o" "/tmp/jkvm-$name.elf"
  echo "built $name.bin ($(stat -c %s "$name.bin") bytes)"
done
