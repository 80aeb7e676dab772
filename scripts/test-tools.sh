#!/usr/bin/env bash
# Installs the Debian tools the tests make disk images with, when missing: qemu-img (qemu-utils)
# for every disk format, gzip/xz/bzip2/zstd for compressed images, genisoimage for ISO 9660 and
# UDF images, sfdisk (fdisk) for partition tables. Idempotent; with all present it installs nothing.
#
#   bash scripts/test-tools.sh
#
# Needs Debian/Ubuntu (apt), run as root or with sudo available, the first time.
set -euo pipefail

# package:command pairs: a package is installed when its command is missing.
wanted=(qemu-utils:qemu-img gzip:gzip xz-utils:xz bzip2:bzip2 zstd:zstd genisoimage:genisoimage fdisk:sfdisk)
need=()
for pair in "${wanted[@]}"; do
  command -v "${pair#*:}" >/dev/null 2>&1 || need+=("${pair%%:*}")
done
[ ${#need[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 || { echo "test-tools: missing ${need[*]} and no apt-get: install them by hand" >&2; exit 1; }
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "test-tools: missing ${need[*]}: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "test-tools: installing ${need[*]}"
log="${TMPDIR:-/tmp}/glanceclient-test-tools-apt.log"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >"$log" 2>&1 || { tail -n 30 "$log" >&2; echo "test-tools: apt-get update failed" >&2; exit 1; }
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$log" 2>&1 \
  || { tail -n 30 "$log" >&2; echo "test-tools: apt-get install failed" >&2; exit 1; }
