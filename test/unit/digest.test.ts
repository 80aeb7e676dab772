import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import * as Digest from "../../src/internal/digest.js"

/** Blocks of different shapes: whole buffers, a view into a larger buffer, an empty one. */
const blocks = () => {
  const whole = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 11) % 251)
  const big = whole(300_000, 7)
  return [whole(1 << 20, 3), big.subarray(1_000, 250_000), new Uint8Array(0), whole(77_777, 13)]
}

const expected = (algorithm: string) => {
  const hash = Crypto.createHash(algorithm)
  for (const b of blocks()) hash.update(b)
  return hash.digest("hex")
}

describe("Digest", () => {
  for (const where of ["inline", "worker"] as const) {
    it.effect(`hashes blocks in order and hands each back unchanged (${where})`, () =>
      Effect.gen(function*() {
        const digest = where === "inline" ? Digest.inline("sha512") : yield* Digest.onWorker("sha512")
        const sent = blocks()
        const back: Array<Uint8Array> = []
        for (const b of sent) back.push(yield* digest.pass(b))
        expect(yield* digest.hex).toBe(expected("sha512"))
        expect(back.map((b) => Buffer.from(b).toString("base64"))).toEqual(
          blocks().map((b) => Buffer.from(b).toString("base64"))
        )
        yield* digest.close
      }))
  }

  it.effect("hashes on the calling thread unless a worker is asked for, and a small body never on one", () =>
    Effect.gen(function*() {
      const big = 1 << 30
      const inline = yield* Digest.make("md5", big, false)
      const small = yield* Digest.make("md5", 1000, true)
      const worker = yield* Digest.make("md5", big, true)
      // The inline digest hands back the very block it was given; the worker's comes back transferred.
      const block = new Uint8Array([1, 2, 3])
      expect(yield* inline.pass(block)).toBe(block)
      expect(yield* small.pass(block)).toBe(block)
      const owned = new Uint8Array([1, 2, 3])
      const returned = yield* worker.pass(owned)
      expect(owned.byteLength).toBe(0) // detached: it went to the worker and came back as `returned`
      expect([...returned]).toEqual([1, 2, 3])
      for (const d of [inline, small, worker]) {
        expect(yield* d.hex).toBe(Crypto.createHash("md5").update(block).digest("hex"))
      }
    }))
})
