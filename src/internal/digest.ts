/**
 * Incremental hashing of image data. Large bodies are hashed on a worker thread, so the
 * hash overlaps the socket and the disk instead of adding to them: each block is
 * transferred to the worker (no copy) and transferred back once hashed, in order.
 * Small bodies are hashed on the calling thread, where a worker would cost more than it saves.
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

/** Bodies at least this large are hashed on a worker thread. */
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

/** A digest suited to a body of `size` bytes (worker thread for large or unknown sizes). */
export const make = (algorithm: string, size: number | undefined): Effect.Effect<Digest> =>
  size !== undefined && size < workerThreshold
    ? Effect.succeed(inline(algorithm))
    : onWorker(algorithm)
