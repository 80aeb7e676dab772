/**
 * VMware VMDK: the hosted sparse extent ("KDMV": monolithicSparse, streamOptimized), the old ESX
 * sparse extent ("COWD"), and the text descriptor that names extents in other files
 * (monolithicFlat, twoGbMaxExtentSparse/Flat, vmfs, ...). Glance accepts only the two
 * self-contained kinds; a descriptor whose extents or parent live in other files is refused.
 */
import * as Effect from "effect/Effect"
import { hasText, u32le, u64le } from "./bytes.js"
import { beyondLimit, cutShort, type Facts, facts, type Reader, truncated } from "./model.js"

/** The create types Glance accepts: the data is in this one file. */
const selfContained = ["monolithicsparse", "streamoptimized"]

/** The most a descriptor is read (qemu's own bound). */
const maxDescriptor = 1048575

const gdAtEnd = 0xffffffffffffffff

/** A hosted sparse extent header ("KDMV") or an ESX 2 one ("COWD"). */
export const isSparse = (head: Uint8Array): boolean => hasText(head, 0, "KDMV") || hasText(head, 0, "COWD")

/**
 * A text descriptor, as qemu's probe recognises one: past comment lines and blank lines of
 * spaces, the first line is `version=1`, `version=2` or `version=3`.
 */
export const isDescriptor = (head: Uint8Array): boolean => {
  let at = 0
  const end = head.byteLength
  while (at < end) {
    if (head[at] === 0x23) { // '#': a comment line
      while (at < end && head[at] !== 0x0a) at++
      at++
      continue
    }
    if (head[at] === 0x20) { // a line of spaces, then a newline
      while (at < end && head[at] === 0x20) at++
      if (at < end && head[at] === 0x0d) at++
      if (at === end || head[at] !== 0x0a) return false
      at++
      continue
    }
    return ["1", "2", "3"].some((v) => hasText(head, at, `version=${v}\n`) || hasText(head, at, `version=${v}\r\n`))
  }
  return false
}

/** One extent line: `RW 20480 SPARSE "name.vmdk"`. */
interface Extent {
  readonly sectors: number
  readonly type: string
  readonly file: string | undefined
}

interface Descriptor {
  readonly createType: string | undefined
  readonly extents: ReadonlyArray<Extent>
  readonly parent: string | undefined
  readonly parentCid: string | undefined
}

/** Reads a descriptor's text cautiously, as Glance does: every line must be one it understands. */
const parseDescriptor = (f: Facts, bytes: Uint8Array): Descriptor | undefined => {
  const nul = bytes.indexOf(0)
  const body = nul === -1 ? bytes : bytes.subarray(0, nul)
  if (body.some((b) => b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09))) {
    f.problems.push({ check: "descriptor", message: "VMDK descriptor is not plain ASCII text" })
    return undefined
  }
  const text = new TextDecoder("ascii").decode(body)
  const extents: Array<Extent> = []
  let createType: string | undefined
  let parent: string | undefined
  let parentCid: string | undefined
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#") || line.toLowerCase().startsWith("ddb")) continue
    const extent = /^(rw|rdonly|noaccess)\s+(\d+)\s+(\w+)(?:\s+"([^"]*)")?(?:\s+\d+)?$/i.exec(line)
    if (extent !== null) {
      extents.push({ sectors: Number(extent[2]), type: extent[3]!.toUpperCase(), file: extent[4] })
      continue
    }
    const field = /^([^=\s]+)\s*=\s*(.*)$/.exec(line)
    if (field !== null) {
      const key = field[1]!.toLowerCase()
      const value = field[2]!.replace(/^"(.*)"$/, "$1")
      if (key === "createtype") createType = value
      else if (key === "parentfilenamehint") parent = value
      else if (key === "parentcid") parentCid = value.toLowerCase()
      continue
    }
    f.problems.push({ check: "descriptor", message: `VMDK descriptor has a line it should not: ${line.slice(0, 60)}` })
    return undefined
  }
  return { createType, extents, parent, parentCid }
}

/** The safety rules on a descriptor, for an image whose data is in this file (`embedded`) or elsewhere. */
const judge = (f: Facts, d: Descriptor, embedded: boolean) => {
  const type = d.createType
  f.variant = type ?? "no createType"
  const files = d.extents.flatMap((e) => (e.file === undefined ? [] : [e.file]))
  const outside = embedded ? files.filter((file) => /[/\\]/.test(file)) : files
  if (outside.length > 0) f.externalExtents = outside
  if (type === undefined) {
    f.problems.push({ check: "descriptor", message: "VMDK descriptor has no createType" })
  } else if (!embedded || !selfContained.includes(type.toLowerCase())) {
    f.problems.push({
      check: "extents",
      message: `VMDK ${type} keeps its data in other files (${
        files.join(", ") || "none named"
      }): Glance accepts only monolithicSparse and streamOptimized`
    })
  } else if (outside.length > 0) {
    f.problems.push({ check: "extents", message: `VMDK extent path points outside the image (${outside.join(", ")})` })
  }
  if (d.extents.length === 0) f.problems.push({ check: "extents", message: "VMDK descriptor names no extent" })
  if (d.parent !== undefined || (d.parentCid !== undefined && d.parentCid !== "ffffffff")) {
    f.backingFile = d.parent ?? "(unnamed parent)"
    f.problems.push({ check: "backing_file", message: `VMDK image has a parent disk (${f.backingFile})` })
  }
}

const extentSectors = (d: Descriptor) => d.extents.reduce((n, e) => n + e.sectors, 0)

/** A sparse extent: the header, then the embedded descriptor it points at. */
export const sparse = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, head: Uint8Array) {
  const f = facts("vmdk")
  if (hasText(head, 0, "COWD")) {
    f.variant = "vmfsSparse (COWD)"
    if (head.byteLength < 44) f.problems.push(truncated("VMDK COWD header", 44, head.byteLength))
    else f.virtualSize = u32le(head, 12) * 512
    f.problems.push({ check: "descriptor", message: "VMDK COWD (ESX 2) extents are not a kind Glance accepts" })
    return f
  }
  if (cutShort(f, head, 79, "VMDK header")) return f
  const version = u32le(head, 4)
  const flags = u32le(head, 8)
  const capacity = u64le(head, 12)
  const grain = u64le(head, 20)
  const descriptorSector = u64le(head, 28)
  const descriptorSectors = u64le(head, 36)
  const gdOffset = u64le(head, 56)
  if (version < 1 || version > 3) {
    f.problems.push({ check: "header", message: `VMDK version ${version} is not one qemu opens (1 to 3)` })
    return f
  }
  if (grain === 0 || grain > 4096 || (grain & (grain - 1)) !== 0) {
    f.problems.push({ check: "header", message: `VMDK grain size ${grain} sectors is invalid` })
  }
  f.virtualSize = capacity * 512
  if (descriptorSector === 0) {
    f.variant = "sparse extent without descriptor"
    f.problems.push({ check: "descriptor", message: "VMDK sparse extent has no embedded descriptor" })
    return f
  }
  const offset = descriptorSector * 512
  const length = Math.min(descriptorSectors * 512, maxDescriptor)
  if (descriptorSector !== 1) {
    // Glance (and qemu) expect the descriptor right after the header.
    f.problems.push({ check: "descriptor", message: `VMDK descriptor is at sector ${descriptorSector}, not 1` })
    return f
  }
  if (offset + length > r.limit) {
    f.problems.push(beyondLimit("VMDK descriptor", offset, r.limit))
    return f
  }
  const bytes = yield* r.read(offset, length)
  if (bytes.byteLength < Math.min(length, 1)) {
    f.problems.push(truncated("VMDK descriptor", length, bytes.byteLength))
    return f
  }
  const d = parseDescriptor(f, bytes)
  if (d === undefined) return f
  // A header with no capacity takes its size and data from the descriptor's extents, as qemu does.
  judge(f, d, capacity !== 0)
  if (capacity === 0) f.virtualSize = extentSectors(d) * 512
  if ((flags & 0x10000) !== 0 || gdOffset === gdAtEnd) f.warnings.push("VMDK grains are compressed (stream-optimized)")
  if (gdOffset === gdAtEnd && r.seekable) yield* checkFooter(r, f, head)
  return f
})

/**
 * A stream-optimized VMDK written in one pass keeps its grain directory in a footer: a footer
 * marker, a copy of the header and an end-of-stream marker in the last 1536 bytes. Glance
 * refuses one whose footer disagrees with its header. (Checked where the end can be read: a file.)
 */
const checkFooter = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, f: Facts, head: Uint8Array) {
  const size = r.size()
  if (size === undefined || size < 1536 + 512) return
  const tail = yield* r.read(size - 1536, 1536)
  const footer = tail.subarray(512, 1024)
  const marker = (b: Uint8Array, type: number) =>
    u32le(b, 8) === 0 && u32le(b, 12) === type && b.subarray(16).every((x) => x === 0)
  const same = (at: number, n: number) => head.subarray(at, at + n).every((x, i) => footer[at + i] === x)
  if (!marker(tail.subarray(0, 512), 3)) {
    f.problems.push({ check: "header", message: "VMDK footer marker is invalid" })
  } else if (!hasText(footer, 0, "KDMV") || !same(4, 4) || !same(28, 16) || u64le(footer, 56) === gdAtEnd) {
    f.problems.push({ check: "header", message: "VMDK footer does not match its header" })
  } else if (!marker(tail.subarray(1024), 0) || u64le(tail, 1024) !== 0) {
    f.problems.push({ check: "header", message: "VMDK end-of-stream marker is invalid" })
  } else {
    f.virtualSize = u64le(footer, 12) * 512
  }
})

/** A text descriptor file: every extent (and any parent) is another file, which Glance refuses. */
export const descriptorFile = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, head: Uint8Array) {
  const f = facts("vmdk")
  const bytes = head.byteLength < 2048 ? head : yield* r.read(0, Math.min(maxDescriptor, r.limit))
  const d = parseDescriptor(f, bytes)
  if (d === undefined) return f
  judge(f, d, false)
  f.virtualSize = extentSectors(d) * 512
  return f
})
