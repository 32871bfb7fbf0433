#!/usr/bin/env bash
# Runs every system guest on the host CPU through /dev/kvm (kvmrun.c), the oracle for the guests' own
# expectations. Things the host KVM cannot run are skipped through "quirk=" on the command line:
#   int3, int1, intn: software interrupts (this KVM cannot emulate them after the nested intercept)
#   serial: a benign exception (#DB, #UD) that KVM intercepts and re-injects turns into #DF
# Usage: ./check-kvm.sh [guest.elf ...]
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")"
gcc -O2 -Wall -o /tmp/jkvm-kvmrun kvmrun.c || exit 1
QUIRKS="quirk=int3,int1,intn,serial"
status=0
for g in ${@:-*.elf *.bin}; do
  out=$(/tmp/jkvm-kvmrun -t 20 -p "$QUIRKS $(cat "${g%.*}.args" 2>/dev/null)" "$g" 2>&1)
  rc=$?
  fails=$(grep -c '^FAIL' <<<"$out")
  passes=$(grep -c '^PASS' <<<"$out")
  printf '%-20s exit %3d  %3d PASS  %3d FAIL\n' "$g" "$rc" "$passes" "$fails"
  grep '^FAIL' <<<"$out"
  [ "$fails" -eq 0 ] || status=1
done
exit $status
