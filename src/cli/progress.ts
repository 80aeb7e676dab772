/**
 * `--progress`: a progress bar on stderr (bytes, percentage, rate, ETA) when stderr is a
 * terminal; silent otherwise, so scripts and logs stay clean.
 */

/** Formats a byte count with binary units. */
export const formatBytes = (n: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

/** A progress reporter; `add` is cheap enough to call for every batch of bytes. */
export interface Progress {
  readonly add: (bytes: number) => void
  readonly done: () => void
}

const silent: Progress = { add: () => {}, done: () => {} }

/** A progress bar for a transfer of `total` bytes (unknown when undefined). */
export const make = (
  enabled: boolean,
  label: string,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr
): Progress => {
  if (!enabled || !stream.isTTY) return silent
  const started = Date.now()
  let bytes = 0
  let last = 0
  const render = (final: boolean) => {
    const elapsed = Math.max((Date.now() - started) / 1000, 0.001)
    const rate = bytes / elapsed
    const width = 30
    const fraction = total ? Math.min(bytes / total, 1) : undefined
    const bar = fraction === undefined
      ? ""
      : `[${"=".repeat(Math.floor(fraction * width)).padEnd(width, " ")}] ${(fraction * 100).toFixed(0).padStart(3)}% `
    const eta = total && rate > 0 && !final ? ` ETA ${Math.max(0, Math.ceil((total - bytes) / rate))}s` : ""
    stream.write(
      `\r${label} ${bar}${formatBytes(bytes)}${total ? `/${formatBytes(total)}` : ""} ${
        formatBytes(rate)
      }/s${eta}\x1b[K`
    )
    if (final) stream.write("\n")
  }
  return {
    add: (n) => {
      bytes += n
      const now = Date.now()
      if (now - last >= 100) {
        last = now
        render(false)
      }
    },
    done: () => render(true)
  }
}
