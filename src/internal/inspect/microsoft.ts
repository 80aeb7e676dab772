/**
 * Microsoft's formats: VHD (qemu's `vpc`: fixed, dynamic and differencing disks) and VHDX. The
 * virtual size follows qemu's rules, including VHD's choice between the disk geometry and the
 * footer's size by the program that wrote it.
 */
import * as Effect from "effect/Effect"
import { guid, hasText, u16be, u16le, u32be, u32le, u64be, u64le, utf16be } from "./bytes.js"
import { beyondLimit, bytesText, cutShort, type Facts, facts, type Reader } from "./model.js"

/** A VHD footer copy at the start (dynamic and differencing disks). */
export const isVhd = (head: Uint8Array): boolean => hasText(head, 0, "conectix")

/** The VHDX file type identifier. */
export const isVhdx = (head: Uint8Array): boolean => hasText(head, 0, "vhdxfile")

const vhdFixed = 2
const vhdDynamic = 3
const vhdDifferencing = 4
/** The largest geometry a VHD can name (65535 cylinders, 16 heads, 255 sectors). */
const vhdMaxGeometry = 65535 * 16 * 255
/** The most sectors qemu accepts in a VHD (about 2040 GiB). */
const vhdMaxSectors = 0xff000000

const vhdChecksum = (footer: Uint8Array): number => {
  let sum = 0
  for (let i = 0; i < 512; i++) if (i < 64 || i >= 68) sum += footer[i] ?? 0
  return ~sum >>> 0
}

/** The virtual size qemu gives a VHD footer (block/vpc.c): geometry for Virtual PC and qemu, else the footer's size. */
const vhdSize = (footer: Uint8Array): number => {
  const creator = String.fromCharCode(...footer.subarray(28, 32))
  const geometry = u16be(footer, 56) * footer[58]! * footer[59]!
  const useGeometry = (creator === "vpc " || creator === "qemu") && geometry !== vhdMaxGeometry
  return useGeometry ? geometry * 512 : Math.floor(u64be(footer, 48) / 512) * 512
}

/** Checks a footer (at the start or the end) and fills in what it says. */
const readFooter = (f: Facts, footer: Uint8Array): number => {
  if (u32be(footer, 64) !== vhdChecksum(footer)) {
    f.problems.push({ check: "header", message: "VHD footer checksum is wrong" })
  }
  const type = u32be(footer, 60)
  f.variant = type === vhdFixed
    ? "fixed"
    : type === vhdDynamic
    ? "dynamic"
    : type === vhdDifferencing
    ? "differencing"
    : `type ${type}`
  f.virtualSize = vhdSize(footer)
  if (f.virtualSize > vhdMaxSectors * 512) {
    f.problems.push({
      check: "size",
      message: `VHD claims ${bytesText(f.virtualSize)}, more than the ${bytesText(vhdMaxSectors * 512)} qemu opens`
    })
  }
  return type
}

/** A VHD with its footer copy at the start: a dynamic or differencing disk. */
export const vhd = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, head: Uint8Array) {
  const f = facts("vhd", "vpc")
  if (cutShort(f, head, 512, "VHD footer")) return f
  const type = readFooter(f, head.subarray(0, 512))
  if (type !== vhdDynamic && type !== vhdDifferencing) {
    if (type !== vhdFixed) f.problems.push({ check: "header", message: `VHD disk type ${type} is unknown` })
    return f
  }
  const dynamicAt = u64be(head, 16)
  if (dynamicAt + 1024 > r.limit) {
    f.problems.push(beyondLimit("VHD dynamic disk header", dynamicAt, r.limit))
    return f
  }
  const dynamic = yield* r.read(dynamicAt, 1024)
  if (cutShort(f, dynamic, 1024, "VHD dynamic disk header")) return f
  if (!hasText(dynamic, 0, "cxsparse")) {
    f.problems.push({ check: "header", message: "VHD dynamic disk header is missing" })
    return f
  }
  const entries = u32be(dynamic, 28)
  const blockSize = u32be(dynamic, 32)
  if (blockSize < 512 || (blockSize & (blockSize - 1)) !== 0) {
    f.problems.push({ check: "header", message: `VHD block size ${blockSize} is invalid` })
  } else if (entries * blockSize < (f.virtualSize ?? 0)) {
    f.problems.push({
      check: "size",
      message: `VHD claims ${bytesText(f.virtualSize ?? 0)} but its block table covers ${
        bytesText(entries * blockSize)
      }`
    })
  }
  if (type === vhdDifferencing) {
    f.backingFile = utf16be(dynamic, 64, 576) || "(unnamed parent)"
    f.problems.push({ check: "backing_file", message: `VHD differencing disk has a parent (${f.backingFile})` })
  }
  return f
})

/**
 * A fixed VHD keeps its footer only at the end: qemu's probe (and Glance's inspector) see raw
 * data. Where the end can be read, it is recognised, so that `vhd` is accepted for it too.
 */
export const fixedVhdFooter = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>) {
  const size = r.size()
  if (!r.seekable || size === undefined || size < 1024) return undefined
  const footer = yield* r.read(size - 512, 512)
  if (!hasText(footer, 0, "conectix") || u32be(footer, 60) !== vhdFixed) return undefined
  if (u32be(footer, 64) !== vhdChecksum(footer)) return undefined
  return vhdSize(footer)
})

const metadataRegion = "8B7CA206-4790-4B9A-B8FE-575F050F886E"
const fileParameters = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B"
const virtualDiskSize = "2FA54224-CD1B-4876-B211-5DBED83BF4B8"
const logicalSectorSize = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F"
const parentLocator = "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C"

/** The most region or metadata table entries VHDX allows. */
const maxEntries = 2047

/**
 * A VHDX table (the region table, the metadata table): a header with a signature and an entry
 * count, then that many 32-byte entries. The entries, or undefined with the problem noted.
 */
const table = Effect.fnUntraced(function*<E, R>(
  r: Reader<E, R>,
  f: Facts,
  at: number,
  headerLength: number,
  signature: string,
  countOf: (header: Uint8Array) => number,
  what: string
) {
  const header = yield* r.read(at, headerLength)
  if (cutShort(f, header, headerLength, what)) return undefined
  if (!hasText(header, 0, signature)) {
    f.problems.push({ check: "header", message: `${what} signature is missing` })
    return undefined
  }
  const count = countOf(header)
  if (count > maxEntries) {
    f.problems.push({ check: "header", message: `${what} claims ${count} entries (at most ${maxEntries})` })
    return undefined
  }
  return yield* r.read(at + headerLength, 32 * count)
})

/** A VHDX: region table at 192 KiB, its metadata region's table, then the items in it. */
export const vhdx = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>) {
  const f = facts("vhdx")
  const regions = yield* table(r, f, 192 * 1024, 16, "regi", (h) => u32le(h, 8), "VHDX region table")
  if (regions === undefined) return f
  let metadataAt: number | undefined
  for (let i = 0; i + 32 <= regions.byteLength; i += 32) {
    if (guid(regions, i) === metadataRegion) metadataAt = u64le(regions, i + 16)
  }
  if (metadataAt === undefined) {
    f.problems.push({ check: "header", message: "VHDX has no metadata region" })
    return f
  }
  if (metadataAt + 32 > r.limit) {
    f.problems.push(beyondLimit("VHDX metadata region", metadataAt, r.limit))
    return f
  }
  const entries = yield* table(r, f, metadataAt, 32, "metadata", (h) => u16le(h, 10), "VHDX metadata table")
  if (entries === undefined) return f
  const items = new Map<string, { readonly offset: number; readonly length: number }>()
  for (let at = 0; at + 32 <= entries.byteLength; at += 32) {
    items.set(guid(entries, at), { offset: u32le(entries, at + 16), length: u32le(entries, at + 20) })
  }
  const item = (id: string, length: number) => {
    const entry = items.get(id)
    if (entry === undefined) return Effect.succeed(undefined)
    if (metadataAt! + entry.offset + length > r.limit) return Effect.succeed(undefined)
    return Effect.map(r.read(metadataAt! + entry.offset, length), (b) => (b.byteLength < length ? undefined : b))
  }
  const size = yield* item(virtualDiskSize, 8)
  const sector = yield* item(logicalSectorSize, 4)
  const params = yield* item(fileParameters, 8)
  if (size === undefined || sector === undefined || params === undefined) {
    f.problems.push({ check: "header", message: "VHDX metadata lacks the disk size, sector size or file parameters" })
    return f
  }
  const sectorSize = u32le(sector, 0)
  if (sectorSize !== 512 && sectorSize !== 4096) {
    f.problems.push({ check: "header", message: `VHDX logical sector size ${sectorSize} is not 512 or 4096` })
  }
  f.virtualSize = Math.floor(u64le(size, 0) / 512) * 512
  f.variant = (u32le(params, 4) & 1) !== 0 ? "fixed" : "dynamic"
  if ((u32le(params, 4) & 2) !== 0 || items.has(parentLocator)) {
    f.variant = "differencing"
    f.backingFile = "(parent locator)"
    f.problems.push({ check: "backing_file", message: "VHDX differencing disk has a parent disk" })
  }
  return f
})
