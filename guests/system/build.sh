#!/usr/bin/env bash
# Rebuilds the system guests from their sources: each NAME.c (with lib/) becomes NAME.elf, a 32-bit
# multiboot ELF file that `lkvm run -k NAME.elf` boots. 64-bit guests are compiled for x86_64 and
# converted to ELF32 (they enter long mode themselves); `mbinfo` is also shipped as mbinfo.bin, a raw
# binary with the multiboot header's a.out-kludge address fields. Needs gcc and binutils.
set -euo pipefail
cd "$(dirname "$0")"

GUESTS64="exceptions"
GUESTS32=""

CFLAGS="-std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -ffreestanding -fno-pie -fno-pic -fno-stack-protector
  -fno-asynchronous-unwind-tables -fno-builtin -mgeneral-regs-only -nostdlib -Ilib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() { # name arch [extra cflags] [output kind]
  local name=$1 arch=$2 extra=${3:-} kind=${4:-elf}
  local m ld
  if [ "$arch" = 64 ]; then m="-m64 -mno-red-zone -mcmodel=small"; ld=elf_x86_64; else m="-m32"; ld=elf_i386; fi
  local objs=()
  for src in lib/entry.S lib/isr.S lib/lib.c lib/desc.c lib/vm.c "$name.c"; do
    local o="$tmp/$name-$(basename "${src%.*}").o"
    gcc $m $CFLAGS $extra -c "$src" -o "$o"
    objs+=("$o")
  done
  ld -m $ld -nostdlib -static -z noexecstack --no-warn-rwx-segments -T guest.ld -o "$tmp/$name.full" "${objs[@]}"
  if [ "$kind" = bin ]; then
    objcopy -O binary "$tmp/$name.full" "$name.bin"
    echo "built $name.bin ($(stat -c %s "$name.bin") bytes)"
  else
    objcopy -O elf32-i386 --strip-all "$tmp/$name.full" "$name.elf"
    echo "built $name.elf ($(stat -c %s "$name.elf") bytes)"
  fi
}

for g in $GUESTS64; do build "$g" 64; done
for g in $GUESTS32; do build "$g" 32; done
