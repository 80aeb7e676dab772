/**
 * V8 tuning for the `glance` process, imported first by `src/bin.ts` so it applies before the
 * rest of the program loads.
 *
 * V8 doubles the young generation each time enough objects have survived its scavenges since the
 * last growth, up to 16 MiB per semi-space. A download survives a few objects per block, so over a
 * gibibyte the young generation grows to its maximum and stays there: ~25 MiB of peak RSS for
 * nothing, since almost everything in it is short-lived. A growth factor of 1 keeps it at its
 * initial size; measured on a 1 GiB download: peak RSS 117 → 93 MiB, wall and CPU unchanged.
 * (`--max-semi-space-size` would do the same but V8 reads it only at start-up; the growth factor
 * is read each time the space would grow.)
 *
 * The old generation grows by 20% at a time instead of V8's default (which grows it faster the
 * faster it fills): a listing of 200,000 images parses a page of JSON after another, and with the
 * default the heap and the garbage of the socket reads piled up to 220-230 MiB in about one run of
 * two; with 20% it stays at 96-106 MiB (bench/table-rss.ts). A 512 MiB download was unchanged
 * (CPU ratio 1.01, same peak RSS; farm-bench, paired).
 *
 * The library never does this: a flag is process-wide, and a program that embeds glanceclient
 * decides its own heap.
 */
import * as V8 from "node:v8"

try {
  V8.setFlagsFromString("--semi-space-growth-factor=1")
  V8.setFlagsFromString("--heap-growing-percent=20")
} catch {
  // A runtime without the flag keeps V8's default.
}
