/**
 * Compressed image data (a `.qcow2.xz` from a distribution's mirror, a `.raw.gz`): recognising
 * gzip, xz, bzip2 and zstd by their first bytes (portable), and decompressing a byte stream as it
 * flows, through a `Decompression` service whose decoders are platform code
 * (`glanceclient/node` has `NodeDecompression.layer`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import { TypeId } from "./GlanceError.js"

/**
 * The compressions recognised.
 *
 * @since 0.1.0
 * @category constants
 */
export const compressions = ["gzip", "xz", "bzip2", "zstd"] as const

/**
 * A compression of the whole data stream.
 *
 * @since 0.1.0
 * @category models
 */
export type Compression = typeof compressions[number]

const starts = (head: Uint8Array, bytes: ReadonlyArray<number>) =>
  head.byteLength >= bytes.length && bytes.every((b, i) => head[i] === b)

/**
 * The compression of data from its first bytes (6 suffice; 10 for bzip2), if it is compressed:
 * gzip `1f 8b 08`, xz `fd 37 7a 58 5a 00`, bzip2 `BZh1`-`BZh9` and a block or end-of-stream
 * marker, zstd `28 b5 2f fd` (or a skippable frame before one).
 *
 * @since 0.1.0
 * @category operations
 */
export const detect = (head: Uint8Array): Compression | undefined => {
  if (starts(head, [0x1f, 0x8b, 0x08])) return "gzip"
  if (starts(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz"
  if (
    starts(head, [0x42, 0x5a, 0x68]) && head.byteLength >= 10 && head[3]! >= 0x31 && head[3]! <= 0x39 &&
    (starts(head.subarray(4), [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) ||
      starts(head.subarray(4), [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]))
  ) return "bzip2"
  if (starts(head, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd"
  if (head.byteLength >= 4 && (head[0]! & 0xf0) === 0x50 && starts(head.subarray(1), [0x2a, 0x4d, 0x18])) return "zstd"
  return undefined
}

/**
 * The data could not be decompressed (corrupt, or cut short).
 *
 * @since 0.1.0
 * @category errors
 */
export class DecompressionError extends Schema.TaggedError<DecompressionError>()("DecompressionError", {
  compression: Schema.Literal(...compressions),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Decompressing byte streams.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The compressions this platform can decompress. */
  readonly supports: ReadonlyArray<Compression>
  /**
   * The decompressed bytes of `body`, produced as it is read (a decoder holds a few blocks, never
   * the whole data); fails with `DecompressionError` on corrupt or truncated data.
   */
  readonly decompress: <E, R>(
    compression: Compression,
    body: Stream.Stream<Uint8Array, E, R>
  ) => Stream.Stream<Uint8Array, E | DecompressionError, R>
}

/**
 * Decompressing byte streams (a platform layer provides it: `NodeDecompression.layer` on Node).
 *
 * @since 0.1.0
 * @category tags
 */
export class Decompression extends Context.Tag("glanceclient/Decompression")<Decompression, Service>() {}
