/**
 * Batching of byte streams: the body path works on blocks of about a mebibyte, not on the
 * socket's 16-64 KiB reads, so every per-element cost (an Effect, a hash update, a write
 * system call) is paid a few hundred times per gibibyte instead of tens of thousands.
 *
 * Every block these helpers hand on is new memory or one of the caller's own arrays: nothing
 * here keeps a reference to write into later.
 */
import * as Chunk from "effect/Chunk"
import * as Stream from "effect/Stream"

/** The size of the blocks the body path works on. */
export const blockSize = 1024 * 1024

/** Whether a block owns its whole buffer (a view into a larger buffer does not). */
export const ownsBuffer = (bytes: Uint8Array): boolean =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer)

/** The parts joined into one new array. */
export const concat = (parts: ReadonlyArray<Uint8Array>, size?: number): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(size ?? parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/**
 * Re-chunks a byte stream into blocks of at least `min` bytes (the last may be smaller). A block
 * that is already big enough is passed on as it is; smaller pieces are copied into a new block.
 */
export const coalesce =
  (min: number = blockSize) => <E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Uint8Array, E, R> =>
    Stream.suspend(() => {
      let parts: Array<Uint8Array> = []
      let size = 0
      const take = () => {
        const block = parts.length === 1 ? parts[0]! : concat(parts, size)
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
export const byteLength = (chunk: Iterable<Uint8Array>): number => {
  let n = 0
  for (const b of chunk) n += b.byteLength
  return n
}

/**
 * Reusable blocks of one size, for a reader whose only consumer is the library's own sink (a file,
 * standard output) and which knows when each block is written: no allocation, page faults or
 * garbage per block after warm-up. Never used for blocks a caller's stream sees.
 */
export class BlockPool {
  private readonly free: Array<Uint8Array> = []
  constructor(readonly blockSize: number = 1024 * 1024, readonly max: number = 12) {}
  /** A block of `blockSize` bytes, reused when one is free. */
  take(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(this.blockSize)
  }
  /** Hands a block back; blocks of another size or shape are left to the garbage collector. */
  release(block: Uint8Array): void {
    if (block.byteLength === this.blockSize && ownsBuffer(block) && this.free.length < this.max) this.free.push(block)
  }
}
