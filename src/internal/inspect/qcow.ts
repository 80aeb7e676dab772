/**
 * QEMU's own formats: qcow2 (versions 2 and 3), the obsolete qcow (version 1), and qed. The
 * fields and limits follow qemu's docs/interop/qcow2.txt and what qemu checks when it opens an
 * image, so an image qemu refuses is not called safe here.
 */
import * as Effect from "effect/Effect"
import { hasText, printable, u32be, u32le, u64be, u64le } from "./bytes.js"
import { beyondLimit, bytesText, cutShort, facts, type Reader } from "./model.js"

/** "QFI\xfb". */
export const isQcow = (head: Uint8Array): boolean =>
  head.byteLength >= 4 && head[0] === 0x51 && head[1] === 0x46 && head[2] === 0x49 && head[3] === 0xfb

/** "QED\0". */
export const isQed = (head: Uint8Array): boolean => hasText(head, 0, "QED\u0000")

const extensionEnd = 0x00000000
const extensionBackingFormat = 0xe2792aca
const extensionDataFile = 0x44415441
const extensionCrypto = 0x0537be77

/** The incompatible feature bits qemu knows: dirty, corrupt, external data file, compression type, extended L2. */
const knownIncompatible = 0b11111

/** The most header extensions read (real images have a handful). */
const maxExtensions = 256

/** A qcow2 image (version 2 or 3) or, for version 1, a qcow image. */
export const qcow = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, head: Uint8Array) {
  const version = u32be(head, 4)
  if (version === 1) return yield* qcow1(r, head)
  const f = facts("qcow2")
  if (cutShort(f, head, 72, "qcow2 header")) return f
  f.variant = version === 2 ? "v2 (compat 0.10)" : version === 3 ? "v3 (compat 1.1)" : `version ${version}`
  if (version !== 2 && version !== 3) {
    f.problems.push({ check: "header", message: `qcow2 version ${version} is not one qemu opens (2 or 3)` })
    return f
  }
  const backingOffset = u64be(head, 8)
  const backingSize = u32be(head, 16)
  const clusterBits = u32be(head, 20)
  const size = u64be(head, 24)
  const cryptMethod = u32be(head, 32)
  const l1Size = u32be(head, 36)
  f.virtualSize = Math.floor(size / 512) * 512
  if (clusterBits < 9 || clusterBits > 21) {
    f.problems.push({ check: "header", message: `qcow2 cluster size 2^${clusterBits} is not one qemu opens` })
    return f
  }
  const clusterSize = 2 ** clusterBits
  let headerLength = 72
  let incompatible = 0
  if (version === 3) {
    if (cutShort(f, head, 104, "qcow2 version 3 header")) return f
    // Only the low 32 bits can hold known features; any higher bit is unknown too.
    incompatible = u32be(head, 76)
    const unknownHigh = u32be(head, 72) !== 0
    headerLength = u32be(head, 100)
    if (headerLength < 104 || headerLength > clusterSize / 2) {
      f.problems.push({ check: "header", message: `qcow2 header length ${headerLength} is invalid` })
      return f
    }
    if (unknownHigh || (incompatible & ~knownIncompatible) !== 0) {
      f.problems.push({
        check: "features",
        message: "qcow2 header sets incompatible features this client (and qemu) does not know"
      })
    }
    if (incompatible & 0b1) f.warnings.push("qcow2 dirty bit is set (the image was not closed cleanly)")
    if (incompatible & 0b10) {
      f.problems.push({
        check: "header",
        message: "qcow2 image is marked corrupt (repair it with qemu-img check -r all)"
      })
    }
  }
  // What qemu checks of the tables' sizes: an L1 table that cannot cover the claimed size.
  const l2Entries = clusterSize / ((incompatible & 0b10000) !== 0 ? 16 : 8)
  const l1Needed = Math.ceil(size / (clusterSize * l2Entries))
  if (l1Needed > 0x7fffffff || l1Size > (32 * 1048576) / 8 || l1Size < l1Needed) {
    f.problems.push({
      check: "size",
      message: `qcow2 header claims a virtual size of ${
        bytesText(size)
      } that its L1 table (${l1Size} entries) cannot hold`
    })
  }
  if (cryptMethod === 1) f.encryption = "aes"
  else if (cryptMethod === 2) f.encryption = "luks"
  else if (cryptMethod !== 0) {
    f.problems.push({ check: "header", message: `qcow2 encryption method ${cryptMethod} is unknown` })
  }
  if (backingOffset !== 0) {
    f.backingFile = "(unreadable)"
    if (backingOffset > clusterSize || backingSize > Math.min(1023, clusterSize - backingOffset)) {
      f.problems.push({ check: "backing_file", message: "qcow2 backing file name lies outside the first cluster" })
    } else if (backingOffset + backingSize > r.limit) {
      f.problems.push(beyondLimit("qcow2 backing file name", backingOffset, r.limit))
    } else {
      f.backingFile = printable(yield* r.read(backingOffset, backingSize))
    }
    f.problems.push({ check: "backing_file", message: `qcow2 image has a backing file (${f.backingFile})` })
  }
  // Header extensions: from the end of the header to the backing file name, or the first cluster's end.
  const extensionsEnd = Math.min(backingOffset !== 0 ? backingOffset : clusterSize, clusterSize, r.limit)
  let at = headerLength
  for (let n = 0; at + 8 <= extensionsEnd; n++) {
    if (n >= maxExtensions) {
      f.problems.push({ check: "header", message: `qcow2 header has more than ${maxExtensions} extensions` })
      break
    }
    const ext = yield* r.read(at, 8)
    // Past the end of the data qemu reads zeros: the end of the extensions.
    if (ext.byteLength < 8) break
    const type = u32be(ext, 0)
    const length = u32be(ext, 4)
    if (type === extensionEnd) break
    if (length > extensionsEnd - at - 8) {
      f.problems.push({ check: "header", message: "qcow2 header extension runs past the first cluster" })
      break
    }
    if (type === extensionBackingFormat) {
      f.backingFormat = printable(yield* r.read(at + 8, Math.min(length, 1024)))
    } else if (type === extensionDataFile) {
      f.dataFile = printable(yield* r.read(at + 8, Math.min(length, 4096)))
    } else if (type === extensionCrypto && f.encryption === undefined) {
      f.problems.push({ check: "header", message: "qcow2 header has an encryption header but no encryption method" })
    }
    at += 8 + Math.ceil(length / 8) * 8
  }
  if ((incompatible & 0b100) !== 0 || f.dataFile !== undefined) {
    f.dataFile ??= "(unnamed)"
    f.problems.push({
      check: "data_file",
      message: `qcow2 image keeps its data in an external data file (${f.dataFile})`
    })
  }
  return f
})

/** The obsolete qcow (version 1) format, which qemu still reads and Glance refuses. */
const qcow1 = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, head: Uint8Array) {
  const f = facts("qcow")
  f.variant = "version 1"
  if (cutShort(f, head, 48, "qcow header")) return f
  const backingOffset = u64be(head, 8)
  const backingSize = u32be(head, 16)
  f.virtualSize = Math.floor(u64be(head, 24) / 512) * 512
  if (u32be(head, 36) === 1) f.encryption = "aes"
  f.problems.push({ check: "format", message: "qcow version 1 is obsolete and Glance has no disk format for it" })
  if (backingOffset !== 0) {
    f.backingFile = backingOffset + backingSize <= r.limit && backingSize <= 1023
      ? printable(yield* r.read(backingOffset, backingSize))
      : "(unreadable)"
    f.problems.push({ check: "backing_file", message: `qcow image has a backing file (${f.backingFile})` })
  }
  return f
})

/** QEMU Enhanced Disk: detected so that it can be refused, as Glance refuses it. */
export const qed = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>, head: Uint8Array) {
  const f = facts("qed")
  if (cutShort(f, head, 64, "qed header")) return f
  f.virtualSize = u64le(head, 48)
  f.problems.push({ check: "format", message: "qed is a format Glance refuses" })
  const features = u64le(head, 16)
  if ((features & 1) !== 0) {
    const offset = u32le(head, 56)
    const length = u32le(head, 60)
    f.backingFile = offset + length <= r.limit && length <= 1023
      ? printable(yield* r.read(offset, length))
      : "(unreadable)"
    f.problems.push({ check: "backing_file", message: `qed image has a backing file (${f.backingFile})` })
  }
  return f
})
