#!/usr/bin/env bash
# image-transfer between two clouds that share nothing (each its own Keystone and Glance, as two
# real clouds are), against the same copy made the usual way: image-download --file, then
# image-create --file into the other cloud. Alternating runs (A B A B …), medians and the paired
# wall ratio A/B; every run deletes its copy. The first lab must be up (scripts/lab/start.sh); the
# second one is started here on other ports (LAB2_DIR, ports 5001 and 9293) and left running
# (stop it: LAB_DIR=/tmp/openstack-lab2 bash scripts/lab/stop.sh).
#
#   bash bench/transfer-two-clouds.sh [SIZE_MIB (1024)] [PAIRS (5)]
set -euo pipefail
cd "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size=${1:-1024}
pairs=${2:-5}
lab1=${LAB_DIR:-/tmp/openstack-lab}
lab2=${LAB2_DIR:-/tmp/openstack-lab2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

LAB_DIR=$lab2 KS_PORT=5001 GL_PORT=9293 bash scripts/lab/start.sh >"$work/lab2.log" 2>&1 \
  || { tail -20 "$work/lab2.log"; exit 1; }
# One clouds.yaml with both labs: lab-* the first, lab2-* the second.
{
  cat "$lab1/clouds.yaml"
  sed -n '/^clouds:/,$p' "$lab2/clouds.yaml" | tail -n +2 | sed 's/^  lab-/  lab2-/'
} >"$work/clouds.yaml"
chmod 600 "$work/clouds.yaml"
export OS_CLIENT_CONFIG_FILE=$work/clouds.yaml HOME=$work/home
mkdir -p "$HOME"
glance() { node dist/glance.js "$@"; }

head -c "${size}M" /dev/urandom >"$work/source.raw"
src_id=$(glance --os-cloud lab-demo image-create --name bench-two-clouds --disk-format raw \
  --container-format bare --file "$work/source.raw" -f value -c id)
rm "$work/source.raw"
trap 'glance --os-cloud lab-demo image-delete "$src_id" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

transfer() {
  local id
  id=$(glance --os-cloud lab-demo image-transfer "$src_id" --to-cloud lab2-demo -f value -c "Image ID")
  glance --os-cloud lab2-demo image-delete "$id"
}
download_then_upload() {
  local id
  glance --os-cloud lab-demo image-download "$src_id" --file "$work/copy.raw"
  id=$(glance --os-cloud lab2-demo image-create --name bench-two-clouds-copy --disk-format raw \
    --container-format bare --file "$work/copy.raw" -f value -c id)
  glance --os-cloud lab2-demo image-delete "$id"
  rm -f "$work/copy.raw"
}
export -f glance transfer download_then_upload
export src_id work

# One run: "wall_s max_rss_mib" of the whole shell (the largest process's peak, as GNU time gives it).
timed() { /usr/bin/time -f "%e %M" bash -c "$1" 2>&1 >/dev/null | tail -n 1 | awk '{ printf "%s %.1f\n", $1, $2 / 1024 }'; }

timed transfer >/dev/null # warm-up
timed download_then_upload >/dev/null
for _ in $(seq "$pairs"); do
  a=$(timed transfer)
  b=$(timed download_then_upload)
  echo "$a $b"
done | awk -v size="$size" '
  { aw[NR] = $1; am[NR] = $2; bw[NR] = $3; bm[NR] = $4; r[NR] = $1 / $3 }
  function median(v, n,   i, j, t, s) {
    for (i = 1; i <= n; i++) s[i] = v[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
    return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
  }
  END {
    printf "%d MiB, %d pairs, medians\n", size, NR
    printf "  image-transfer --to-cloud (other Keystone and Glance): %6.2f s wall, %6.1f MiB peak\n", median(aw, NR), median(am, NR)
    printf "  image-download --file, then image-create --file:       %6.2f s wall, %6.1f MiB peak\n", median(bw, NR), median(bm, NR)
    printf "  paired wall ratio transfer / download-then-upload:     %6.2f\n", median(r, NR)
  }'
