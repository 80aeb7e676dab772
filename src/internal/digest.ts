/**
 * Incremental hashing of image data, on the calling thread by default. On request, a worker
 * thread hashes instead, so the hash overlaps the socket and the disk: each block is transferred
 * to the worker (no copy) and back once hashed, in order. That pays only where a core is free
 * and the link delivers faster than one core hashes (sha512: ~1.2 GB/s); on the 2-core lab
 * machine the worker bought no wall time and cost 0.1 s of CPU and ~20 MiB per GiB downloaded
 * (bench/NOTES.md).
 */
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import { ownsBuffer } from "./bytes.js"

/** An incremental hash that blocks of bytes pass through. */
export interface Digest {
  readonly algorithm: string
  /** Hashes a block and hands it back (hashing happens in the order of the calls). */
  readonly pass: (block: Uint8Array) => Effect.Effect<Uint8Array>
  /** The hex digest of everything passed. Call once, after every `pass` has completed. */
  readonly hex: Effect.Effect<string>
  /** Stops a worker early (on failure or interruption); safe to call twice. */
  readonly close: Effect.Effect<void>
}

/** Bodies smaller than this are hashed inline even when a worker is asked for. */
export const workerThreshold = 32 * 1024 * 1024

/** Maps Glance's `os_hash_algo` names to node:crypto names. */
export const nodeAlgorithm = (algo: string): string | undefined => {
  const name = algo.toLowerCase().replace(/-/g, "")
  return Crypto.getHashes().includes(name) ? name : undefined
}

/** Hashing on the calling thread. */
export const inline = (algorithm: string): Digest => {
  const hash = Crypto.createHash(algorithm)
  return {
    algorithm,
    pass: (block) =>
      Effect.sync(() => {
        hash.update(block)
        return block
      }),
    hex: Effect.sync(() => hash.digest("hex")),
    close: Effect.void
  }
}

const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const hash = require("node:crypto").createHash(workerData.algorithm)
parentPort.on("message", (buffer) => {
  if (buffer === null) { parentPort.postMessage(hash.digest("hex")); return }
  hash.update(new Uint8Array(buffer))
  parentPort.postMessage(buffer, [buffer])
})
`

/** Hashing on a worker thread; blocks travel to it and back without copies. */
export const onWorker = (algorithm: string): Effect.Effect<Digest> =>
  Effect.gen(function*() {
    const { Worker } = yield* Effect.promise(() => import("node:worker_threads"))
    const worker = new Worker(workerSource, { eval: true, workerData: { algorithm } })
    worker.unref()
    const waiting: Array<(message: ArrayBuffer | string) => void> = []
    let failure: unknown = undefined
    worker.on("message", (message: ArrayBuffer | string) => waiting.shift()?.(message))
    worker.on("error", (error) => {
      failure = error
      for (const w of waiting.splice(0)) w("")
    })
    let closed = false
    const close = Effect.sync(() => {
      if (!closed) {
        closed = true
        void worker.terminate()
      }
    })
    const send = <A>(message: ArrayBuffer | null, onReply: (reply: ArrayBuffer | string) => A) =>
      Effect.async<A>((resume) => {
        if (failure !== undefined) return resume(Effect.die(failure))
        waiting.push((reply) => resume(failure !== undefined ? Effect.die(failure) : Effect.succeed(onReply(reply))))
        if (message === null) worker.postMessage(null)
        else worker.postMessage(message, [message])
      })
    return {
      algorithm,
      pass: (block) => {
        const owned = ownsBuffer(block) ? block : block.slice()
        return send(owned.buffer as ArrayBuffer, (reply) => new Uint8Array(reply as ArrayBuffer))
      },
      hex: send(null, (reply) => reply as string).pipe(Effect.ensuring(close)),
      close
    }
  })

/**
 * A digest for a body of `size` bytes: inline, or on a worker thread when `useWorker` is set and
 * the body is large or of unknown size.
 */
export const make = (algorithm: string, size: number | undefined, useWorker: boolean): Effect.Effect<Digest> =>
  !useWorker || (size !== undefined && size < workerThreshold)
    ? Effect.succeed(inline(algorithm))
    : onWorker(algorithm)
