/**
 * Reading fields out of disk image headers: fixed-width integers of either byte order, ASCII
 * magic strings and names, each bounded by the bytes actually present (a short buffer reads as
 * zeros past its end, never throws).
 */

const byteAt = (b: Uint8Array, at: number): number => (at >= 0 && at < b.byteLength ? b[at]! : 0)

/** An unsigned 16-bit integer, little-endian. */
export const u16le = (b: Uint8Array, at: number): number => byteAt(b, at) | (byteAt(b, at + 1) << 8)

/** An unsigned 16-bit integer, big-endian. */
export const u16be = (b: Uint8Array, at: number): number => (byteAt(b, at) << 8) | byteAt(b, at + 1)

/** An unsigned 32-bit integer, little-endian. */
export const u32le = (b: Uint8Array, at: number): number => (u16le(b, at) + u16le(b, at + 2) * 0x10000)

/** An unsigned 32-bit integer, big-endian. */
export const u32be = (b: Uint8Array, at: number): number => (u16be(b, at) * 0x10000 + u16be(b, at + 2))

/**
 * An unsigned 64-bit integer, little-endian, as a number: exact up to 2^53, approximate (but
 * still larger than `Number.MAX_SAFE_INTEGER`) above, which callers treat as absurd.
 */
export const u64le = (b: Uint8Array, at: number): number => u32le(b, at) + u32le(b, at + 4) * 0x1_0000_0000

/** An unsigned 64-bit integer, big-endian (see `u64le`). */
export const u64be = (b: Uint8Array, at: number): number => u32be(b, at) * 0x1_0000_0000 + u32be(b, at + 4)

/** Whether `b` holds `text` (ASCII) at `at`. */
export const hasText = (b: Uint8Array, at: number, text: string): boolean => {
  if (at + text.length > b.byteLength) return false
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false
  return true
}

/** Whether `b` holds exactly these bytes at `at`. */
export const hasBytes = (b: Uint8Array, at: number, bytes: ReadonlyArray<number>): boolean => {
  if (at + bytes.length > b.byteLength) return false
  return bytes.every((v, i) => b[at + i] === v)
}

/** Whether every byte in [start, end) is zero. */
export const allZero = (b: Uint8Array, start: number, end: number): boolean => {
  for (let i = start; i < Math.min(end, b.byteLength); i++) if (b[i] !== 0) return false
  return true
}

/**
 * A name stored in an image header (a backing file, a data file, an extent), for display: UTF-8
 * where it decodes, control characters and invalid bytes shown as `\xNN`, cut at 1024 characters.
 */
export const printable = (bytes: Uint8Array): string => {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 4096))
  // eslint-disable-next-line no-control-regex
  const shown = text.replace(
    /[\u0000-\u001f\u007f-\u009f\ufffd]/g,
    (c) => c === "\ufffd" ? "\\x??" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`
  )
  return shown.length > 1024 ? `${shown.slice(0, 1024)}…` : shown
}

/** A UTF-16 big-endian string up to its first NUL (a VHD parent name). */
export const utf16be = (b: Uint8Array, start: number, end: number): string => {
  let out = ""
  for (let at = start; at + 1 < Math.min(end, b.byteLength); at += 2) {
    const unit = u16be(b, at)
    if (unit === 0) break
    out += String.fromCharCode(unit)
  }
  return out
}

/** ASCII text of [start, end), stopping at the first NUL. */
export const asciiz = (b: Uint8Array, start: number, end: number): string => {
  let out = ""
  for (let at = start; at < Math.min(end, b.byteLength); at++) {
    if (b[at] === 0) break
    out += String.fromCharCode(b[at]!)
  }
  return out
}

/** A Microsoft GUID (mixed-endian) as its canonical upper-case text. */
export const guid = (b: Uint8Array, at: number): string => {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0")
  const tail = Array.from(b.subarray(at + 8, at + 16), (x) => hex(x, 2)).join("")
  return `${hex(u32le(b, at), 8)}-${hex(u16le(b, at + 4), 4)}-${hex(u16le(b, at + 6), 4)}-${tail.slice(0, 4)}-${
    tail.slice(4)
  }`
}
