/**
 * The fast path for response bodies on Node.js. The platform clients turn each socket read
 * (16-64 KiB) into one stream element, which costs an Effect pull apiece: tens of thousands
 * per gibibyte, and most of a download's CPU. When the response carries a Node readable
 * (`source` for `NodeHttpClient.layer` and glanceclient's own Node client, `source.body` for
 * `layerUndici`), the bytes are
 * gathered here with plain event handlers into blocks of a mebibyte, and the stream pulls
 * once per block. Anything else (fetch, a test double) takes the generic path.
 *
 * Only duck typing: the library does not depend on @effect/platform-node.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { allocate, type BlockPool } from "./bytes.js"

/** The part of a Node `Readable` this module uses. */
export interface NodeReadable {
  read(): unknown
  on(event: string, listener: (...args: Array<any>) => void): unknown
  off(event: string, listener: (...args: Array<any>) => void): unknown
  pipe: unknown
  readonly readableEnded?: boolean
  destroy?(error?: Error): unknown
  /** A source that reads into blocks itself takes them from the consumer's pool. */
  useBlocks?(pool: BlockPool): void
  /** When such a source last received bytes (ms), though it has not filled a block yet. */
  readonly lastReceived?: number
  /** Such a source's bytes received into a block not yet handed on, taken once the body failed. */
  takeReceived?(): Uint8Array | undefined
  readonly readableLength?: number
}

const isNodeReadable = (u: unknown): u is NodeReadable =>
  typeof u === "object" && u !== null && typeof (u as NodeReadable).read === "function" &&
  typeof (u as NodeReadable).on === "function" && typeof (u as NodeReadable).off === "function" &&
  typeof (u as NodeReadable).pipe === "function"

/** The Node readable behind a platform response, if there is one. */
export const nodeReadableOf = (response: HttpClientResponse.HttpClientResponse): NodeReadable | undefined => {
  // The client wraps the platform's response (to abort it on interruption) as `original`.
  let current: unknown = response
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const source = (current as { source?: unknown }).source
    if (isNodeReadable(source)) return source
    const body = (source as { body?: unknown } | undefined)?.body
    if (isNodeReadable(body)) return body
    current = (current as { original?: unknown }).original
  }
  return undefined
}

/** How a Node body is read. */
export interface Options {
  /** Bytes per stream element (default 1 MiB). */
  readonly blockSize?: number | undefined
  /** Bytes gathered ahead of the consumer before the socket is left to apply backpressure (default 4 MiB). */
  readonly maxBuffered?: number | undefined
  /** Fail when no byte arrives for this many milliseconds while the consumer waits. */
  readonly idleTimeout?: number | undefined
  /**
   * Kept reachable until the stream ends: the platform aborts a request whose response object
   * is garbage-collected, so the response must outlive the reading of its body.
   */
  readonly owner?: unknown
  /** Fill blocks taken from this pool (exactly its block size each, the last one excepted). */
  readonly pool?: BlockPool | undefined
}

/** The failure of reading a Node body: the stream broke, or stalled past the idle timeout. */
export type ReadFailure = { readonly _tag: "Broken"; readonly cause: unknown } | { readonly _tag: "Stalled" }

/** Owners of bodies being read, kept reachable until their stream ends. */
const reading = new Set<unknown>()

/** A Node readable as a stream of blocks, pulling once per block. */
export const fromNodeReadable = <E>(
  readable: NodeReadable,
  onFailure: (failure: ReadFailure) => E,
  options: Options = {}
): Stream.Stream<Uint8Array, E> =>
  Stream.suspend(() => {
    const pool = options.pool
    const blockSize = pool?.blockSize ?? options.blockSize ?? 1024 * 1024
    const maxBuffered = Math.max(options.maxBuffered ?? 4 * 1024 * 1024, blockSize)
    let parts: Array<Uint8Array> = []
    let size = 0
    let ended = false
    let failure: ReadFailure | undefined
    let wake: (() => void) | undefined
    let lastData = Date.now()
    if (options.owner !== undefined) reading.add(options.owner)
    if (pool !== undefined) readable.useBlocks?.(pool)

    const drain = () => {
      while (size < maxBuffered) {
        const bytes = readable.read() as Uint8Array | null
        if (bytes === null) return
        parts.push(bytes)
        size += bytes.byteLength
      }
    }
    const notify = () => {
      if (wake !== undefined && (size >= blockSize || ended || failure !== undefined)) {
        const w = wake
        wake = undefined
        w()
      }
    }
    const onReadable = () => {
      lastData = Date.now()
      drain()
      notify()
    }
    const onEnd = () => {
      ended = true
      notify()
    }
    const onError = (cause: unknown) => {
      failure = { _tag: "Broken", cause }
      notify()
    }
    const onClose = () => {
      if (!ended && failure === undefined && readable.readableEnded !== true) {
        failure = { _tag: "Broken", cause: new Error("the connection closed before the body ended") }
        notify()
      }
    }
    readable.on("readable", onReadable)
    readable.on("end", onEnd)
    readable.on("error", onError)
    readable.on("close", onClose)
    const idle = options.idleTimeout
    const timer = idle === undefined ? undefined : setInterval(() => {
      if (wake !== undefined && Date.now() - Math.max(lastData, readable.lastReceived ?? 0) > idle) {
        failure = { _tag: "Stalled" }
        notify()
      }
    }, Math.max(50, Math.min(1000, idle / 4)))
    if (timer !== undefined && typeof timer === "object" && "unref" in timer) timer.unref()

    const take = (): Chunk.Chunk<Uint8Array> => {
      const first = parts[0]!
      if (first.byteLength >= blockSize && (pool === undefined || first.byteLength === blockSize)) {
        // A whole block already (a source that reads into blocks): handed on as it is.
        parts.shift()
        size -= first.byteLength
        return Chunk.of(first)
      }
      if (pool !== undefined && size >= blockSize) {
        // Exactly one pooled block; what is left over stays for the next one.
        const block = pool.take()
        let at = 0
        while (at < blockSize) {
          const part = parts[0]!
          const n = Math.min(part.byteLength, blockSize - at)
          block.set(n === part.byteLength ? part : part.subarray(0, n), at)
          at += n
          if (n === part.byteLength) parts.shift()
          else parts[0] = part.subarray(n)
        }
        size -= blockSize
        return Chunk.of(block)
      }
      let block: Uint8Array
      if (parts.length === 1) block = parts[0]!
      else {
        block = allocate(size)
        let at = 0
        for (const p of parts) {
          block.set(p, at)
          at += p.byteLength
        }
      }
      parts = []
      size = 0
      return Chunk.of(block)
    }

    const pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<E>> = Effect.suspend(() => {
      drain()
      // Bytes that arrived before a failure are handed on first: a resumed download asks only for the rest.
      if (failure !== undefined) {
        // Only once everything handed on before it is read, so the bytes stay in order.
        const rest = readable.readableLength === 0 ? readable.takeReceived?.() : undefined
        if (rest !== undefined && rest.byteLength > 0) {
          parts.push(rest)
          size += rest.byteLength
        }
        return size > 0 ? Effect.succeed(take()) : Effect.fail(Option.some(onFailure(failure)))
      }
      if (size >= blockSize || (ended && size > 0)) return Effect.succeed(take())
      if (ended) return Effect.fail(Option.none())
      return Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<E>>((resume) => {
        lastData = Date.now()
        wake = () => resume(pull)
        return Effect.sync(() => {
          wake = undefined
        })
      })
    })

    return Stream.repeatEffectChunkOption(pull).pipe(
      Stream.ensuring(Effect.sync(() => {
        reading.delete(options.owner)
        if (timer !== undefined) clearInterval(timer)
        readable.off("readable", onReadable)
        readable.off("end", onEnd)
        readable.off("error", onError)
        readable.off("close", onClose)
        if (!ended) readable.destroy?.()
      }))
    )
  })
