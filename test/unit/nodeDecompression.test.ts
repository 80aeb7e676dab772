/**
 * The Node decoders as stream transformations: a failure of the body stays the body's (not a
 * `DecompressionError`), a consumer that stops early or reads slowly makes the decoder read only
 * a few blocks ahead, and the body is released when the consumer stops.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as Zlib from "node:zlib"
import * as NodeDecompression from "../../src/node/decompression.js"

class BodyBroke extends Data.TaggedError("BodyBroke") {}

const blocks = (data: Uint8Array, size: number): Array<Uint8Array> =>
  Array.from({ length: Math.ceil(data.byteLength / size) }, (_, i) => data.slice(i * size, (i + 1) * size))

// 64 MiB of varied but compressible bytes: 1,024 decoded blocks of 64 KiB from a few compressed ones.
const plain = Buffer.alloc(64 * 1048576)
for (let i = 0; i < plain.byteLength; i += 4) plain.writeUInt32LE(((i * 2654435761) >>> 0) & 0xff0f, i)
const packed = { gzip: Zlib.gzipSync(plain) }

describe("NodeDecompression", () => {
  it.effect("gzip: a failure of the body stays the body's", () =>
    Effect.gen(function*() {
      const body = Stream.concat(
        Stream.fromIterable(blocks(packed.gzip.subarray(0, 100_000), 65536)),
        Stream.fail(new BodyBroke())
      )
      const result = yield* Effect.either(Stream.runDrain(NodeDecompression.make.decompress("gzip", body)))
      assert.isTrue(Either.isLeft(result) && result.left._tag === "BodyBroke", String(result))
    }))

  it.effect("gzip: garbage after the data is a DecompressionError naming gzip", () =>
    Effect.gen(function*() {
      const body = Stream.make(new Uint8Array(Zlib.gzipSync(Buffer.from("hello"))), Uint8Array.from([1, 2, 3]))
      const result = yield* Effect.either(Stream.runDrain(NodeDecompression.make.decompress("gzip", body)))
      assert.isTrue(Either.isLeft(result) && result.left._tag === "DecompressionError", String(result))
      assert.include(Either.isLeft(result) ? result.left.message : "", "gzip data cannot be decompressed")
    }))

  it.live("gzip: a consumer that stops early reads a few blocks of the body, and the body is released", () =>
    Effect.gen(function*() {
      const input = blocks(packed.gzip, 16384)
      let pulled = 0
      let released = false
      const body = Stream.fromIterable(input).pipe(
        Stream.rechunk(1),
        Stream.tap(() => Effect.sync(() => pulled++)),
        Stream.ensuring(Effect.sync(() => (released = true)))
      )
      const taken = yield* Stream.runCollect(
        NodeDecompression.make.decompress("gzip", body).pipe(
          Stream.tap(() => Effect.sleep("5 millis")),
          Stream.take(20)
        )
      )
      assert.strictEqual(Chunk.size(taken), 20)
      // The decoded output is 1,024 blocks of 64 KiB; the compressed input over 100 of 16 KiB.
      assert.isAbove(input.length, 100)
      assert.isBelow(pulled, 16, `pulled ${pulled} of ${input.length} blocks for 20 decoded ones`)
      // The body is released once the web streams between have closed (a few turns of the event loop).
      for (let i = 0; i < 100 && !released; i++) yield* Effect.sleep("10 millis")
      assert.isTrue(released)
    }))

  it.effect("gzip: decodes concatenated members whole and in order", () =>
    Effect.gen(function*() {
      const members = Buffer.concat([packed.gzip, Zlib.gzipSync(Buffer.from("tail"))])
      const out = yield* Stream.runCollect(
        NodeDecompression.make.decompress("gzip", Stream.fromIterable(blocks(members, 65536)))
      )
      const whole = Buffer.concat(Chunk.toReadonlyArray(out))
      assert.strictEqual(whole.byteLength, plain.byteLength + 4)
      assert.isTrue(whole.subarray(0, plain.byteLength).equals(plain))
      assert.strictEqual(whole.subarray(plain.byteLength).toString(), "tail")
    }))
})
