/**
 * The typed failures of the Image API: one class per HTTP status a caller can act on,
 * transport failures, and the data-integrity failures of transfers.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type { ConfigError } from "./CloudConfig.js"
import type { DecompressionError } from "./Decompression.js"
import type { ImageRefused } from "./ImageInspector.js"
import type { AuthenticationError } from "./Keystone.js"

/**
 * The mark every error of glanceclient carries, so `isGlanceError` tells them from any other failure.
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("glanceclient/GlanceError")

/**
 * The type of `TypeId`.
 *
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

const responseFields = {
  message: Schema.String,
  status: Schema.Number,
  method: Schema.String,
  url: Schema.String,
  requestId: Schema.optional(Schema.String)
}

/**
 * Glance rejected the request as malformed (400).
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The token was refused (401), even after one re-authentication.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The caller is not allowed to do this (403).
 *
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The image, member, task or metadata definition does not exist (404).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The request conflicts with the resource's state, e.g. uploading to an active image (409).
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A quota or size limit was exceeded (413).
 *
 * @since 0.1.0
 * @category errors
 */
export class Overlimit extends Schema.TaggedError<Overlimit>()("Overlimit", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The server does not accept the request's media type (415).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedMediaType
  extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", responseFields)
{
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The requested byte range cannot be served (416).
 *
 * @since 0.1.0
 * @category errors
 */
export class RangeNotSatisfiable
  extends Schema.TaggedError<RangeNotSatisfiable>()("RangeNotSatisfiable", responseFields)
{
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The service is unavailable (503), after the retries for idempotent requests.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Any other non-success status.
 *
 * @since 0.1.0
 * @category errors
 */
export class HttpError extends Schema.TaggedError<HttpError>()("HttpError", responseFields) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The request never got an answer: connection refused or reset, DNS failure, TLS failure or timeout.
 * When the TLS handshake lacked something the caller can give, `tls` says what: the CA that signed
 * the server's certificate (`ca`), or a client certificate (`client-certificate`); the message names
 * the TLS options of the HTTP client that give it (`ca`; `cert` and `key`: `NodeGlanceHttp.layer`'s,
 * node:tls's), and an application can word the fix in its own terms (the `glance` command names
 * `--os-cacert`, `--os-cert` and `--os-key`).
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  message: Schema.String,
  method: Schema.String,
  url: Schema.String,
  tls: Schema.optional(Schema.Literal("ca", "client-certificate")),
  cause: Schema.optional(Schema.Defect)
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A response arrived but its body is not what the Image API documents.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseDecodeError extends Schema.TaggedError<ResponseDecodeError>()("ResponseDecodeError", {
  message: Schema.String,
  method: Schema.String,
  url: Schema.String,
  requestId: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect)
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The server answered something the client refuses to act on: a link that leaves the endpoint
 * (another host, port or scheme, user info, outside the endpoint's path), a redirect it does not
 * follow, an answer larger than the cap, a listing whose `next` link comes back, an interim (1xx)
 * status as the final answer. Nothing was sent to the link; the message names what was refused.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadResponse extends Schema.TaggedError<BadResponse>()("BadResponse", {
  message: Schema.String,
  method: Schema.String,
  url: Schema.String,
  /** What was wrong with the answer. */
  reason: Schema.Literal("link", "redirect", "too-large", "pagination-loop", "interim"),
  requestId: Schema.optional(Schema.String)
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The downloaded bytes do not match the hash Glance recorded for the image.
 *
 * @since 0.1.0
 * @category errors
 */
export class ChecksumMismatch extends Schema.TaggedError<ChecksumMismatch>()("ChecksumMismatch", {
  imageId: Schema.String,
  algorithm: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId

  get message() {
    return `Image ${this.imageId} is corrupt: its ${this.algorithm} is ${this.actual} but Glance recorded ${this.expected}`
  }
}

/**
 * The image has no data to download (queued, or deleted from every store).
 *
 * @since 0.1.0
 * @category errors
 */
export class NoImageData extends Schema.TaggedError<NoImageData>()("NoImageData", {
  imageId: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId

  get message() {
    return `Image ${this.imageId} has no data.`
  }
}

/**
 * The cloud's Image API does not offer what was asked (a v2.x feature it does not list, a missing service).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotSupported extends Schema.TaggedError<NotSupported>()("NotSupported", {
  message: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Input rejected before any request was sent (an unknown disk format, a malformed id, …).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * An image will not reach the status awaited: it was killed, its import failed, or the wait timed out.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageFailed extends Schema.TaggedError<ImageFailed>()("ImageFailed", {
  message: Schema.String,
  imageId: Schema.String,
  /** The status the image was last seen in. */
  status: Schema.String,
  reason: Schema.Literal("killed", "import-failed", "timeout")
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Making a new image failed after its record was created (uploading, staging, importing);
 * the record was deleted again, or is left behind when deleting it failed too.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageNotCreated<out E = unknown>
  extends Schema.TaggedError<ImageNotCreated<unknown>>()("ImageNotCreated", {
    message: Schema.String,
    imageId: Schema.String,
    /** Whether the half-made image was deleted. */
    deleted: Schema.Boolean,
    /** The failure of the step that went wrong. */
    cause: Schema.Defect
  })
{
  readonly [TypeId]: TypeId = TypeId
  /** The failure of the step that went wrong, with its type. */
  declare readonly cause: E
}

/**
 * The image's hash cannot be checked here: an unknown or unavailable `os_hash_algo` (and no md5 fallback asked for).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnverifiableImage extends Schema.TaggedError<UnverifiableImage>()("UnverifiableImage", {
  message: Schema.String,
  imageId: Schema.String,
  /** The `os_hash_algo` Glance recorded. */
  algorithm: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A download sent more bytes than the image's size (stopped at once), or ended short of it.
 *
 * @since 0.1.0
 * @category errors
 */
export class SizeMismatch extends Schema.TaggedError<SizeMismatch>()("SizeMismatch", {
  imageId: Schema.String,
  /** The size Glance recorded (or the answer's `Content-Length`, when smaller). */
  expected: Schema.Number,
  /** The bytes received when the download was stopped. */
  received: Schema.Number,
  /** Whether the body had ended (short) or was stopped (too long). */
  complete: Schema.Boolean
}) {
  readonly [TypeId]: TypeId = TypeId

  get message() {
    return this.complete
      ? `The data of image ${this.imageId} ended after ${this.received} bytes, short of its size of ${this.expected}`
      : `The server sent more data for image ${this.imageId} than its size of ${this.expected} bytes: the download was stopped`
  }
}

/**
 * Every failure of a request to the Image API.
 *
 * @since 0.1.0
 * @category errors
 */
export type ResponseError =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | Conflict
  | Overlimit
  | UnsupportedMediaType
  | RangeNotSatisfiable
  | ServiceUnavailable
  | HttpError

/**
 * Every failure of a call to the Image API, transport and decoding included.
 *
 * @since 0.1.0
 * @category errors
 */
export type RequestFailure = ResponseError | TransportError | ResponseDecodeError | BadResponse

const byStatus: Record<number, new(fields: ResponseFields) => ResponseError> = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  413: Overlimit,
  415: UnsupportedMediaType,
  416: RangeNotSatisfiable,
  503: ServiceUnavailable
}

/**
 * The fields every response error carries.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseFields {
  readonly message: string
  readonly status: number
  readonly method: string
  readonly url: string
  readonly requestId?: string | undefined
}

/**
 * Builds the typed error for a status, `HttpError` when the status has no class of its own.
 *
 * @internal
 */
export const fromStatus = (fields: ResponseFields): ResponseError => {
  const Ctor = byStatus[fields.status] ?? HttpError
  return new Ctor(fields)
}

/**
 * Every error glanceclient fails with, whatever the module.
 *
 * @since 0.1.0
 * @category errors
 */
export type GlanceError =
  | RequestFailure
  | ChecksumMismatch
  | NoImageData
  | NotSupported
  | InvalidInput
  | ImageFailed
  | ImageNotCreated
  | UnverifiableImage
  | SizeMismatch
  | ConfigError
  | AuthenticationError
  | DecompressionError
  | ImageRefused

/**
 * Whether a value is one of glanceclient's errors (any module's), rather than another failure or a defect.
 *
 * @since 0.1.0
 * @category guards
 */
export const isGlanceError = (u: unknown): u is GlanceError => Predicate.hasProperty(u, TypeId)

const responseTags: ReadonlySet<string> = new Set<ResponseError["_tag"]>([
  "BadRequest",
  "Unauthorized",
  "Forbidden",
  "NotFound",
  "Conflict",
  "Overlimit",
  "UnsupportedMediaType",
  "RangeNotSatisfiable",
  "ServiceUnavailable",
  "HttpError"
])

/**
 * Whether a value is an error answer of the Image API (`BadRequest` … `HttpError`), with its status and request id.
 *
 * @since 0.1.0
 * @category guards
 */
export const isResponseError = (u: unknown): u is ResponseError => isGlanceError(u) && responseTags.has(u._tag)
