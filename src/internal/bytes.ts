/**
 * Batching of byte streams: the body path works on blocks of about a mebibyte, not on the
 * socket's 16-64 KiB reads, so every per-element cost (an Effect, a hash message, a write
 * system call) is paid a few hundred times per gibibyte instead of tens of thousands.
 */
import * as Chunk from "effect/Chunk"
import * as Stream from "effect/Stream"

/** The size of the blocks the body path works on. */
export const blockSize = 1024 * 1024

/** Whether a block owns its whole buffer, so it can be transferred to a worker and back. */
export const ownsBuffer = (bytes: Uint8Array): boolean =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer)

/**
 * A block to fill: Node's `Buffer.allocUnsafe` where it exists (no zero-filling, and memory the
 * allocator reuses instead of fresh pages per block), a plain `Uint8Array` elsewhere.
 */
export const allocate = (size: number): Uint8Array =>
  typeof Buffer === "function" ? Buffer.allocUnsafeSlow(size) : new Uint8Array(size)

const concat = (parts: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (parts.length === 1 && ownsBuffer(parts[0]!)) return parts[0]!
  const out = allocate(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** Re-chunks a byte stream into blocks of at least `min` bytes (the last may be smaller). */
export const coalesce =
  (min: number = blockSize) => <E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Uint8Array, E, R> =>
    Stream.suspend(() => {
      let parts: Array<Uint8Array> = []
      let size = 0
      const take = () => {
        const block = concat(parts, size)
        parts = []
        size = 0
        return block
      }
      return self.pipe(
        Stream.mapChunks((chunk) => {
          const out: Array<Uint8Array> = []
          for (const bytes of chunk) {
            if (bytes.byteLength === 0) continue
            parts.push(bytes)
            size += bytes.byteLength
            if (size >= min) out.push(take())
          }
          return Chunk.unsafeFromArray(out)
        }),
        Stream.concat(Stream.suspend(() => (size > 0 ? Stream.make(take()) : Stream.empty)))
      )
    })

/** The total length of a batch of byte arrays. */
export const byteLength = (chunk: Chunk.Chunk<Uint8Array>): number => {
  let n = 0
  for (const b of chunk) n += b.byteLength
  return n
}

/**
 * Reusable blocks of one size, for a body path that knows when each block is done with
 * (written to a file, say): no allocation, page faults or garbage per block after warm-up.
 */
export class BlockPool {
  private readonly free: Array<Uint8Array> = []
  constructor(readonly blockSize: number = 1024 * 1024, readonly max: number = 12) {}
  /** A block of `blockSize` bytes, reused when one is free. */
  take(): Uint8Array {
    return this.free.pop() ?? allocate(this.blockSize)
  }
  /** Hands a block back; blocks of another size or shape are left to the garbage collector. */
  release(block: Uint8Array): void {
    if (block.byteLength === this.blockSize && ownsBuffer(block) && this.free.length < this.max) this.free.push(block)
  }
}

/** Blocks lent to a consumer, by buffer: handed back to their pool once released. */
const lent = new WeakMap<ArrayBufferLike, { readonly block: Uint8Array; readonly pool: BlockPool }>()

/**
 * Lends a pooled block to a consumer (a request body, a download's reader): a consumer that
 * reports it done with the block (`release`, as glanceclient's Node client and file sink do)
 * hands it back to the pool; with any other consumer it is simply left to the garbage collector.
 * Only whole blocks of the pool's size are lent; anything else is returned untouched.
 */
export const lend = (block: Uint8Array, pool: BlockPool): Uint8Array => {
  if (block.byteLength === pool.blockSize && ownsBuffer(block)) lent.set(block.buffer, { block, pool })
  return block
}

/**
 * Reports that a consumer is done with these bytes (sent, written) and will not read them again:
 * a lent block goes back to its pool. Bytes that were not lent are ignored.
 */
export const release = (bytes: Uint8Array): void => {
  const entry = lent.get(bytes.buffer)
  if (entry !== undefined && bytes.byteOffset === 0 && bytes.byteLength === entry.block.byteLength) {
    lent.delete(bytes.buffer)
    entry.pool.release(entry.block)
  }
}
