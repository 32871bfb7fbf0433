#!/usr/bin/env bash
# Builds jkvm's Debian test guest from stock Debian packages:
#   out/bzImage     Debian's linux-image-amd64 kernel (the real linux-image-6.x package it depends on)
#   out/initrd.gz   an initramfs (cpio newc, gzip) of Debian's busybox-static and ./init
# With --guestbench it also builds out/initrd-guestbench.gz: the same plus /bin/guestbench, ./guestbench.c
# compiled statically with gcc (run it with -p "-- guestbench 5"; out/guestbench is the same binary).
#
# The only network access is `apt-get download` (and `apt-get update`/`install` for missing tools or an
# empty package list). Nothing is rebuilt when the outputs are newer than their inputs; the .debs are
# kept in out/debs. Prints nothing but errors unless something is built.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
out=$here/out
guestbench=0
for a in "$@"; do
  case "$a" in
    --guestbench) guestbench=1 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

say() { echo "guests/debian: $*" >&2; }

# True when $1 exists and is newer than every other argument.
up_to_date() {
  local target=$1 f
  shift
  [ -s "$target" ] || return 1
  for f in "$@"; do [ "$f" -nt "$target" ] && return 1; done
  return 0
}

initrd_inputs=("$here/init" "$here/build.sh")
if up_to_date "$out/bzImage" "$here/build.sh" && up_to_date "$out/initrd.gz" "${initrd_inputs[@]}" \
    && { [ $guestbench = 0 ] || up_to_date "$out/initrd-guestbench.gz" "${initrd_inputs[@]}" "$here/guestbench.c" && [ -x "$out/guestbench" ]; }; then
  exit 0
fi

apt_install() {
  [ "$(id -u)" = 0 ] || { say "needs the Debian packages: $* (run as root, or install them)"; exit 1; }
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}
need=()
command -v cpio >/dev/null || need+=(cpio)
command -v gzip >/dev/null || need+=(gzip)
command -v dpkg-deb >/dev/null || need+=(dpkg)
if [ $guestbench = 1 ]; then
  command -v gcc >/dev/null || need+=(gcc)
  [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
fi
[ ${#need[@]} = 0 ] || apt_install "${need[@]}"

mkdir -p "$out/debs"
# The candidate version of a package, or nothing when the package lists do not know it.
candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true; }
if [ -z "$(candidate linux-image-amd64)" ]; then
  say "apt-get update (the package lists do not know linux-image-amd64)"
  apt-get update -qq
fi
# linux-image-amd64 is a metapackage: the kernel is in the linux-image-6.x package it depends on.
kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
[ -n "$kpkg" ] || { say "cannot find the kernel package that linux-image-amd64 depends on"; exit 1; }

# Downloads package $1 into out/debs unless its candidate version is already there; prints the .deb path.
fetch() {
  local pkg=$1 ver deb
  ver=$(candidate "$pkg")
  [ -n "$ver" ] || { say "no candidate version for $pkg"; exit 1; }
  # .deb file names write the epoch's ':' as %3a.
  deb=$(ls "$out/debs/${pkg}_${ver/:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    say "apt-get download $pkg=$ver"
    rm -f "$out/debs/${pkg}_"*.deb # an older version
    # As root, apt would warn that its sandbox user cannot write here; the download is the same.
    (cd "$out/debs" && apt-get download -q=2 ${sandbox_opt[@]+"${sandbox_opt[@]}"} "$pkg=$ver")
    deb=$(ls "$out/debs/${pkg}_${ver/:/%3a}_"*.deb | head -n 1)
  fi
  echo "$deb"
}

sandbox_opt=()
[ "$(id -u)" != 0 ] || sandbox_opt=(-o APT::Sandbox::User=root)
kdeb=$(fetch "$kpkg")
bdeb=$(fetch busybox-static)
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! up_to_date "$out/bzImage" "$here/build.sh" "$kdeb"; then
  say "extracting the kernel from $(basename "$kdeb")"
  mkdir "$work/k"
  dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work/k" --wildcards './boot/vmlinuz-*'
  cp "$work/k"/boot/vmlinuz-* "$out/bzImage.tmp"
  mv "$out/bzImage.tmp" "$out/bzImage"
  basename "$work/k"/boot/vmlinuz-* > "$out/kernel-version"
fi

# Builds an initramfs into $1; further arguments are extra files for /bin.
make_initrd() {
  local dest=$1 root applet
  shift
  root=$work/root
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
  dpkg-deb --fsys-tarfile "$bdeb" | tar -x -C "$work" ./bin/busybox
  mv "$work/bin/busybox" "$root/bin/busybox"
  # One symlink per applet, made from the list the static binary prints about itself.
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  install -m 0755 "$here/init" "$root/init"
  echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
  for f in "$@"; do install -m 0755 "$f" "$root/bin/"; done
  # The kernel opens /dev/console for init's stdin/out/err before /init runs. Linux's own built-in
  # initramfs has that node already; ours adds it when it can (mknod needs root), for kernels without.
  mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$work/root.cpio"
  gzip -9 -n < "$work/root.cpio" > "$dest.tmp"
  mv "$dest.tmp" "$dest"
}

if ! up_to_date "$out/initrd.gz" "${initrd_inputs[@]}" "$bdeb"; then
  say "building initrd.gz"
  make_initrd "$out/initrd.gz"
fi
if [ $guestbench = 1 ] && { ! up_to_date "$out/initrd-guestbench.gz" "${initrd_inputs[@]}" "$bdeb" "$here/guestbench.c" \
    || [ ! -x "$out/guestbench" ]; }; then
  say "building initrd-guestbench.gz"
  # out/guestbench is also what a benchmark runs natively on the host, for the "vs native" column.
  gcc -O2 -static -o "$out/guestbench" "$here/guestbench.c"
  make_initrd "$out/initrd-guestbench.gz" "$out/guestbench"
fi
