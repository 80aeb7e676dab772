/**
 * Decompression on Node.js: gzip through Node's zlib, xz through `xz-decompress` (xz-embedded
 * compiled to WebAssembly, shipped in the package), zstd through `fzstd` and bzip2 through
 * `unbzip2-stream` (both plain JavaScript). Every decoder works as the data flows: it holds its
 * window and a few blocks, never the whole image.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Decompress as ZstdDecoder } from "fzstd"
import { Duplex } from "node:stream"
import * as Zlib from "node:zlib"
import unbzip2 from "unbzip2-stream"
import * as Xz from "xz-decompress"
import { type Compression, Decompression, DecompressionError, type Service } from "../Decompression.js"

// A UMD module: Node's ESM loader finds no named exports in it, only `default`.
const xzModule = Xz as typeof Xz & { readonly default?: typeof Xz }
const XzReadableStream = xzModule.XzReadableStream ?? xzModule.default!.XzReadableStream

const failure = (compression: Compression) => (cause: unknown) =>
  new DecompressionError({
    compression,
    message: `The ${compression} data cannot be decompressed: ${
      cause instanceof Error ? cause.message : String(cause)
    }`,
    cause
  })

/**
 * A decoder that takes input and hands back output synchronously (fzstd, unbzip2-stream's
 * handlers), as a stream transformation: one call per batch of input blocks, one at the end.
 */
interface PushDecoder {
  readonly push: (input: Uint8Array) => void
  readonly end: () => void
  /** The output produced since the last call. */
  readonly take: () => Array<Uint8Array>
}

const throughPushDecoder = <E, R>(
  compression: Compression,
  make: () => PushDecoder,
  body: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Uint8Array, E | DecompressionError, R> =>
  Stream.suspend(() => {
    const decoder = make()
    const fail = failure(compression)
    const run = (step: () => void) =>
      Effect.try({
        try: () => {
          step()
          return Chunk.unsafeFromArray(decoder.take())
        },
        catch: fail
      })
    return body.pipe(
      Stream.mapChunksEffect((chunk) => run(() => Chunk.forEach(chunk, (input) => decoder.push(input)))),
      Stream.concat(Stream.flattenChunks(Stream.fromEffect(run(decoder.end))))
    )
  })

const zstd = (): PushDecoder => {
  const out: Array<Uint8Array> = []
  let ended = false
  const decoder = new ZstdDecoder((data, final) => {
    if (data.byteLength > 0) out.push(data)
    if (final) ended = true
  })
  return {
    push: (input) => decoder.push(input),
    end: () => {
      decoder.push(new Uint8Array(0), true)
      if (!ended) throw new Error("the data ends in the middle of a frame")
    },
    take: () => out.splice(0, out.length)
  }
}

const bzip2 = (): PushDecoder => {
  const out: Array<Uint8Array> = []
  let error: unknown
  let ended = false
  const decoder = unbzip2()
  decoder.on("data", (data: Uint8Array) => out.push(data))
  decoder.on("error", (e: unknown) => (error ??= e))
  decoder.on("end", () => (ended = true))
  const check = () => {
    if (error !== undefined) throw error
  }
  return {
    push: (input) => {
      decoder.write(input)
      check()
    },
    end: () => {
      decoder.end()
      check()
      if (!ended) throw new Error("the data ends in the middle of a block")
    },
    take: () => out.splice(0, out.length)
  }
}

/**
 * A decoder that reads a web stream of input and gives a web stream of output (zlib's gunzip
 * through `Duplex.toWeb`, xz-embedded's `XzReadableStream`). A failure of the body itself stays
 * the body's; any other failure of the output is the decoder's.
 */
const throughWebDecoder = <E, R>(
  compression: Compression,
  decode: (input: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>,
  body: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Uint8Array, E | DecompressionError, R> =>
  Stream.suspend(() => {
    let bodyFailure: { readonly error: E } | undefined
    const watched = Stream.tapError(body, (error) => Effect.sync(() => (bodyFailure = { error })))
    return Stream.unwrap(Effect.map(
      Stream.toReadableStreamEffect(watched),
      (input) => Stream.fromReadableStream(() => decode(input), (cause) => cause)
    )).pipe(
      Stream.catchAll((cause) =>
        Stream.fail(bodyFailure !== undefined ? bodyFailure.error : failure(compression)(cause))
      )
    )
  })

/**
 * zlib's gunzip as a web transform. `Duplex.toWeb` counts the writable side's queue in blocks up
 * to the stream's `writableHighWaterMark` (16384 by default): one block is enough.
 */
const gunzip = (input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
  // zlib passes stream options on to its Transform; its type only lists zlib's own.
  const zlib = Zlib.createGunzip({ chunkSize: 64 * 1024, writableHighWaterMark: 1 } as Zlib.ZlibOptions)
  return input.pipeThrough(Duplex.toWeb(zlib) as ReadableWritablePair<Uint8Array, Uint8Array>)
}

const decompress = <E, R>(
  compression: Compression,
  body: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Uint8Array, E | DecompressionError, R> => {
  switch (compression) {
    case "gzip":
      return throughWebDecoder("gzip", gunzip, body)
    case "xz":
      return throughWebDecoder("xz", (input) => new XzReadableStream(input), body)
    case "zstd":
      return throughPushDecoder("zstd", zstd, body)
    case "bzip2":
      return throughPushDecoder("bzip2", bzip2, body)
  }
}

/**
 * Node's decoders.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Service = {
  supports: ["gzip", "xz", "bzip2", "zstd"],
  decompress
}

/**
 * The `Decompression` service on Node.js, for all four compressions.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Decompression> = Layer.succeed(Decompression, Decompression.of(make))
