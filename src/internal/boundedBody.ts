/**
 * Reading a small response body (JSON, an error page) through the platform's public
 * `response.stream`, block by block, so a cap bounds the memory it takes and an idle timeout
 * bounds a stall: a body past the cap is abandoned the moment it passes it (or before a byte
 * is read, when its `Content-Length` says so), which closes the connection.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** A mebibyte. */
export const MiB = 1024 * 1024

/** What went wrong reading a body. */
export type ReadFailure =
  | { readonly _tag: "TooLarge"; readonly limit: number }
  | { readonly _tag: "Stalled"; readonly timeout: Duration.Duration }
  | { readonly _tag: "Broken"; readonly cause: unknown }

/** How a body is read. */
export interface ReadOptions {
  /** The most bytes taken. */
  readonly limit: number
  /** Fail when no byte arrives for this long. */
  readonly idleTimeout?: Duration.Duration | undefined
  /** Past the limit: fail (`"fail"`, the default) or keep the first `limit` bytes (`"truncate"`). */
  readonly overflow?: "fail" | "truncate" | undefined
}

const declaredLength = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const value = response.headers["content-length"]
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined
  return Number(value)
}

const concat = (parts: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

/** The body's bytes, at most `limit` of them. */
export const readBytes = (
  response: HttpClientResponse.HttpClientResponse,
  options: ReadOptions
): Effect.Effect<Uint8Array, ReadFailure> =>
  Effect.suspend(() => {
    const { limit } = options
    const truncate = options.overflow === "truncate"
    const declared = declaredLength(response)
    if (!truncate && declared !== undefined && declared > limit) {
      return Effect.fail<ReadFailure>({ _tag: "TooLarge", limit })
    }
    const parts: Array<Uint8Array> = []
    let size = 0
    const body = Stream.mapError(response.stream, (cause): ReadFailure => ({ _tag: "Broken", cause }))
    const timed = options.idleTimeout === undefined ? body : Stream.timeoutFail(
      body,
      (): ReadFailure => ({ _tag: "Stalled", timeout: options.idleTimeout! }),
      options.idleTimeout
    )
    return timed.pipe(
      Stream.runForEachWhile((chunk) => {
        const room = limit - size
        if (chunk.byteLength <= room) {
          parts.push(chunk)
          size += chunk.byteLength
          return Effect.succeed(true)
        }
        if (!truncate) return Effect.fail<ReadFailure>({ _tag: "TooLarge", limit })
        parts.push(chunk.subarray(0, room))
        size += room
        return Effect.succeed(false)
      }),
      Effect.map(() => concat(parts, size))
    )
  })

const decoder = new TextDecoder()

/** The body as text (UTF-8), at most `limit` bytes of it. */
export const readText = (
  response: HttpClientResponse.HttpClientResponse,
  options: ReadOptions
): Effect.Effect<string, ReadFailure> => Effect.map(readBytes(response, options), (bytes) => decoder.decode(bytes))

/** The first `limit` bytes of a body as text; empty when it breaks or stalls first. Never fails. */
export const readPrefix = (
  response: HttpClientResponse.HttpClientResponse,
  limit: number,
  idleTimeout: Duration.Duration | undefined
): Effect.Effect<string> =>
  readText(response, { limit, idleTimeout, overflow: "truncate" }).pipe(Effect.orElseSucceed(() => ""))

/** A size in words: `16 MiB`, `4 KiB`, `100 bytes`. */
export const formatSize = (bytes: number): string =>
  bytes >= MiB && bytes % MiB === 0
    ? `${bytes / MiB} MiB`
    : bytes >= 1024 && bytes % 1024 === 0
    ? `${bytes / 1024} KiB`
    : `${bytes} bytes`
