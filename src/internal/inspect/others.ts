/**
 * The remaining formats: VirtualBox VDI, Virtuozzo ploop (qemu's `parallels`), LUKS, ISO 9660 /
 * UDF, and what raw data may carry: an MBR or GPT partition table, a fixed VHD footer.
 */
import * as Effect from "effect/Effect"
import { allZero, hasBytes, hasText, u16le, u32be, u32le, u64le } from "./bytes.js"
import { bytesText, cutShort, type Facts, facts, type Reader } from "./model.js"

/** VirtualBox's signature at byte 64. */
export const isVdi = (head: Uint8Array): boolean => head.byteLength >= 68 && u32le(head, 64) === 0xbeda107f

/** Parallels/ploop: version 1 or 2 magic, header version 2. */
export const isPloop = (head: Uint8Array): boolean =>
  (hasText(head, 0, "WithoutFreeSpace") || hasText(head, 0, "WithouFreSpacExt")) && u32le(head, 16) === 2

/** "LUKS\xba\xbe". */
export const isLuks = (head: Uint8Array): boolean => hasBytes(head, 0, [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe])

/** A VirtualBox disk image. */
export const vdi = (head: Uint8Array): Facts => {
  const f = facts("vdi")
  if (cutShort(f, head, 512, "VDI header")) return f
  const version = u32le(head, 0x44)
  const type = u32le(head, 0x4c)
  const diskSize = u64le(head, 0x170)
  const blockSize = u32le(head, 0x178)
  const blocks = u32le(head, 0x180)
  f.variant = type === 1
    ? "dynamic"
    : type === 2
    ? "static"
    : type === 3
    ? "undo"
    : type === 4
    ? "differencing"
    : `type ${type}`
  // An odd size is rounded up to whole sectors, as qemu does.
  f.virtualSize = Math.ceil(diskSize / 512) * 512
  if (version !== 0x00010001) {
    f.problems.push({ check: "header", message: `VDI version ${version >>> 16}.${version & 0xffff} is not 1.1` })
  } else if (u32le(head, 0x168) !== 512 || blockSize !== 1048576) {
    f.problems.push({ check: "header", message: "VDI sector or block size is not one qemu opens" })
  } else if (diskSize > blocks * blockSize) {
    f.problems.push({
      check: "size",
      message: `VDI claims ${bytesText(diskSize)} but its block map covers ${bytesText(blocks * blockSize)}`
    })
  }
  if (type === 3 || type === 4 || !allZero(head, 0x1a8, 0x1c8)) {
    f.backingFile = "(parent UUID)"
    f.problems.push({ check: "backing_file", message: "VDI image is a differencing image with a parent" })
  }
  return f
}

/** A Virtuozzo ploop (Parallels) image. */
export const ploop = (head: Uint8Array): Facts => {
  const f = facts("ploop", "parallels")
  if (cutShort(f, head, 64, "ploop header")) return f
  const v1 = hasText(head, 0, "WithoutFreeSpace")
  f.variant = v1 ? "version 1" : "version 2"
  const sectors = v1 ? u32le(head, 36) : u64le(head, 36)
  f.virtualSize = sectors * 512
  if (u32le(head, 28) === 0) f.problems.push({ check: "header", message: "ploop header has zero sectors per cluster" })
  if (u32le(head, 44) === 0x746f6e59) f.warnings.push("ploop image was not closed cleanly")
  return f
}

/** A LUKS-encrypted volume: the size is what follows the key material (LUKS version 1, as qemu). */
export const luks = (r: Pick<Reader<unknown>, "size">, head: Uint8Array): Facts => {
  const f = facts("luks")
  f.encryption = "luks"
  if (cutShort(f, head, 108, "LUKS header")) return f
  const version = (head[6]! << 8) | head[7]!
  f.variant = `version ${version}`
  f.alsoAccepts = ["raw"]
  if (version !== 1) {
    f.problems.push({ check: "header", message: `LUKS version ${version} is not one qemu opens (1)` })
    return f
  }
  const size = r.size()
  if (size !== undefined) f.virtualSize = Math.max(0, Math.ceil(size / 512) * 512 - u32be(head, 104) * 512)
  return f
}

const sector = 2048
const descriptorsAt = 16 * sector
/** The most volume descriptors read: the ISO 9660 set, then UDF's recognition sequence after it. */
const maxDescriptors = 16

/**
 * An ISO 9660 (or UDF) volume, from the volume descriptor set at 32 KiB. qemu reads it as raw;
 * Glance names it `iso`. Its size is the primary volume descriptor's block count times block size.
 */
export const iso = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>) {
  let pvdSize: number | undefined
  let iso9660 = false
  let udf = false
  for (let i = 0; i < maxDescriptors; i++) {
    const d = yield* r.read(descriptorsAt + i * sector, sector)
    if (d.byteLength < 7) break
    if (hasText(d, 1, "CD001")) {
      iso9660 = true
      if (d[0] === 1 && pvdSize === undefined && d.byteLength >= 132) pvdSize = u32le(d, 80) * u16le(d, 128)
    } else if (hasText(d, 1, "BEA01") || hasText(d, 1, "NSR02") || hasText(d, 1, "NSR03")) {
      udf = true
    } else if (!hasText(d, 1, "TEA01") && !hasText(d, 1, "BOOT2") && !hasText(d, 1, "CDW02")) {
      break
    }
  }
  if (!iso9660 && !udf) return undefined
  const kind = iso9660 && udf ? "ISO 9660 + UDF" : iso9660 ? "ISO 9660" : "UDF"
  const f = facts("iso", "raw")
  f.variant = kind
  const size = r.size()
  f.virtualSize = size !== undefined ? Math.ceil(size / 512) * 512 : pvdSize
  return f
})

const mbrPartitions = 446

/** Whether a boot sector is a FAT volume's rather than a partition table's (Glance's test). */
const isFat = (head: Uint8Array) => head[0x10] === 2 && head[0x15] === 0xf8

/**
 * The partition table of raw data, if any, with Glance's MBR checks as warnings: Glance makes
 * them fatal or not by configuration, and many good GPT images carry an odd protective MBR.
 */
export const partitionTable = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, head: Uint8Array, f: Facts) {
  if (head.byteLength < 512 || head[510] !== 0x55 || head[511] !== 0xaa || isFat(head)) return
  const used: Array<number> = []
  let protective = false
  for (let i = 0; i < 4; i++) {
    const at = mbrPartitions + 16 * i
    const boot = head[at]!
    const type = head[at + 4]!
    if (boot !== 0x00 && boot !== 0x80) f.warnings.push(`MBR partition ${i + 1} has an invalid boot flag`)
    if (type !== 0) used.push(i)
    if (type === 0xee) protective = true
  }
  if (protective) {
    // The GPT header is at LBA 1: byte 512, or 4096 on a disk of 4 KiB sectors.
    const gpt = hasText(head, 512, "EFI PART") || hasText(yield* r.read(4096, 8), 0, "EFI PART")
    f.partitionTable = gpt ? "gpt" : "mbr"
    if (!gpt) f.warnings.push("MBR has a GPT protective partition but no GPT header follows")
    if (used.length !== 1 || used[0] !== 0) f.warnings.push("GPT protective MBR defines other partitions too")
  } else {
    f.partitionTable = "mbr"
    if (used.length === 0) f.warnings.push("MBR defines no partition")
  }
})

/** What raw data cannot be told apart from without reading it all: its size, rounded up to sectors as qemu does. */
export const raw = (r: Pick<Reader<unknown>, "size">): Facts => {
  const f = facts("raw")
  const size = r.size()
  if (size !== undefined) f.virtualSize = Math.ceil(size / 512) * 512
  return f
}
