/**
 * Incremental hashing of image data. Large bodies are hashed on a worker thread, so the
 * hash overlaps the socket and the disk instead of adding to them; small ones on the
 * calling thread, where starting a worker would cost more than it saves.
 */
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"

/** An incremental hash fed by batches of bytes. */
export interface Digest {
  readonly algorithm: string
  /** Feeds a batch; may wait when a worker has too much unhashed data queued. */
  readonly update: (batch: ReadonlyArray<Uint8Array>) => Effect.Effect<void>
  /** The hex digest of everything fed. Call once. */
  readonly hex: Effect.Effect<string>
  /** Stops a worker early (on failure or interruption); safe to call twice. */
  readonly close: Effect.Effect<void>
}

/** Bodies at least this large are hashed on a worker thread. */
export const workerThreshold = 32 * 1024 * 1024

const maxQueued = 64 * 1024 * 1024

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
    update: (batch) =>
      Effect.sync(() => {
        for (const bytes of batch) hash.update(bytes)
      }),
    hex: Effect.sync(() => hash.digest("hex")),
    close: Effect.void
  }
}

const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const hash = require("node:crypto").createHash(workerData)
parentPort.on("message", (m) => {
  if (m === null) { parentPort.postMessage({ hex: hash.digest("hex") }); return }
  let n = 0
  for (const b of m) { hash.update(b); n += b.byteLength }
  parentPort.postMessage({ done: n })
})
`

/** Hashing on a worker thread, with at most 64 MiB queued for it. */
export const onWorker = (algorithm: string): Effect.Effect<Digest> =>
  Effect.gen(function*() {
    const { Worker } = yield* Effect.promise(() => import("node:worker_threads"))
    const worker = new Worker(workerSource, { eval: true, workerData: algorithm })
    worker.unref()
    let queued = 0
    let waiter: (() => void) | undefined
    let result: ((hex: string) => void) | undefined
    let closed = false
    worker.on("message", (m: { done?: number; hex?: string }) => {
      if (m.done !== undefined) {
        queued -= m.done
        if (waiter && queued <= maxQueued / 2) {
          const w = waiter
          waiter = undefined
          w()
        }
      } else if (m.hex !== undefined && result) {
        result(m.hex)
      }
    })
    const close = Effect.sync(() => {
      if (!closed) {
        closed = true
        void worker.terminate()
      }
    })
    return {
      algorithm,
      update: (batch) =>
        Effect.suspend(() => {
          let n = 0
          for (const b of batch) n += b.byteLength
          queued += n
          worker.postMessage(batch)
          return queued > maxQueued
            ? Effect.async<void>((resume) => {
              waiter = () => resume(Effect.void)
            })
            : Effect.void
        }),
      hex: Effect.async<string>((resume) => {
        result = (hex) => resume(Effect.succeed(hex))
        worker.postMessage(null)
      }).pipe(Effect.ensuring(close)),
      close
    }
  })

/** A digest suited to a body of `size` bytes (worker thread for large or unknown sizes). */
export const make = (algorithm: string, size: number | undefined): Effect.Effect<Digest> =>
  size !== undefined && size < workerThreshold ? Effect.succeed(inline(algorithm)) : onWorker(algorithm)
