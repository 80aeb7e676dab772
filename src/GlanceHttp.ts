/**
 * The one configured HTTP client for the Image API: base URL, token, user agent, retries
 * of idempotent requests, timeouts, and the mapping of Glance's answers to typed errors.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { CloudConfig } from "./CloudConfig.js"
import {
  fromStatus,
  type RequestFailure,
  ResponseDecodeError,
  type ResponseError,
  TransportError
} from "./GlanceError.js"
import { ImageEndpoint, type Service as Endpoint } from "./ImageEndpoint.js"
import {
  describeTransport,
  displayUrl,
  errorBodyMessage,
  isTlsRefusal,
  redactedHeaderNames,
  withoutRequest
} from "./internal/http.js"
import { Keystone, type KeystoneError, userAgent } from "./Keystone.js"

/** Every failure of an Image API call, logging in included. */
export type GlanceHttpError = RequestFailure | KeystoneError

/** How requests are retried and timed out. */
export interface Options {
  /** Retries of idempotent requests after a transport failure or a 502/503/504 (default 3). */
  readonly retries?: number | undefined
  /** The first backoff delay; doubled each attempt, with jitter (default 500 ms). */
  readonly retryBase?: Duration.DurationInput | undefined
  /** The longest single backoff delay, `Retry-After` included (default 30 s). */
  readonly retryCap?: Duration.DurationInput | undefined
  /** Time to wait for response headers, and between two reads of a body (default: none). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Changes the underlying client, e.g. to add tracing or a proxy. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/** The Image API HTTP client. */
export interface Service {
  /** The endpoint in use. */
  readonly endpoint: Endpoint
  /**
   * Sends a request whose URL is relative to the service root (`/v2/images`), with the token.
   * Non-2xx answers become typed errors; idempotent requests are retried.
   */
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttpError>
  /** `execute`, then decodes the JSON body with `schema`. */
  readonly json: <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, GlanceHttpError>
  /** `execute`, discarding the body. */
  readonly send: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttpError>
}

/** The Image API HTTP client. */
export class GlanceHttp extends Context.Tag("glanceclient/GlanceHttp")<GlanceHttp, Service>() {}

const idempotent = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
const retryStatuses = new Set([502, 503, 504])

/** Whether a request may be sent again: idempotent, and its body can be produced again. */
export const isReplayable = (request: HttpClientRequest.HttpClientRequest): boolean =>
  idempotent.has(request.method) && request.body._tag !== "Stream"

const requestIdOf = (response: HttpClientResponse.HttpClientResponse): string | undefined =>
  response.headers["x-openstack-request-id"] ?? response.headers["x-compute-request-id"]

/** Turns a non-2xx response into its typed error, with Glance's own message. */
export const errorFromResponse = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<ResponseError> =>
  Effect.map(response.text.pipe(Effect.orElseSucceed(() => "")), (text) => {
    const requestId = requestIdOf(response)
    return fromStatus({
      message: errorBodyMessage(text) ?? `${request.method} ${displayUrl(request.url)} answered ${response.status}`,
      status: response.status,
      method: request.method,
      url: displayUrl(request.url),
      ...(requestId ? { requestId } : {})
    })
  })

const retryAfter = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const value = response.headers["retry-after"]
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** Builds the client from the endpoint, the token source and the platform's `HttpClient`. */
export const make = (
  options: Options = {}
): Effect.Effect<Service, never, HttpClient.HttpClient | ImageEndpoint | Keystone> =>
  Effect.gen(function*() {
    const endpoint = yield* ImageEndpoint
    const keystone = yield* Keystone
    const base = yield* HttpClient.HttpClient
    const http = options.transformClient ? options.transformClient(base) : base
    const retries = options.retries ?? 3
    const retryBase = Duration.toMillis(options.retryBase ?? "500 millis")
    const retryCap = Duration.toMillis(options.retryCap ?? "30 seconds")
    const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)

    const absolute = HttpClientRequest.prependUrl(endpoint.url)

    const prepare = (request: HttpClientRequest.HttpClientRequest, token: Redacted.Redacted) =>
      request.pipe(
        absolute,
        HttpClientRequest.setHeader("x-auth-token", Redacted.value(token)),
        HttpClientRequest.setHeader("user-agent", userAgent),
        (r) => r.headers["accept"] === undefined ? HttpClientRequest.acceptJson(r) : r
      )

    const once = (request: HttpClientRequest.HttpClientRequest, token: Redacted.Redacted) => {
      const prepared = prepare(request, token)
      const sent = http.execute(prepared).pipe(
        Effect.catchAll((error) =>
          Effect.fail(
            new TransportError({
              message: `Cannot reach the Image API at ${displayUrl(prepared.url)}: ${describeTransport(error)}`,
              method: prepared.method,
              url: displayUrl(prepared.url),
              cause: withoutRequest(error)
            })
          )
        )
      )
      // A streamed body (an upload) has no deadline as a whole: the platform's idle timeouts apply.
      return timeout === undefined || request.body._tag === "Stream" ? sent : sent.pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new TransportError({
              message: `The Image API at ${displayUrl(prepared.url)} did not answer within ${Duration.format(timeout)}`,
              method: prepared.method,
              url: displayUrl(prepared.url)
            })
        })
      )
    }

    const backoff = (attempt: number, hint: number | undefined) =>
      Effect.flatMap(Random.next, (r) => {
        const exp = Math.min(retryCap, retryBase * 2 ** attempt)
        const delay = hint === undefined ? exp / 2 + (exp / 2) * r : Math.min(retryCap, hint)
        return Effect.sleep(Duration.millis(delay))
      })

    const execute = (
      request: HttpClientRequest.HttpClientRequest
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttpError> => {
      const replayable = isReplayable(request)
      const loop = (
        attempt: number,
        reauthenticated: boolean
      ): Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttpError> =>
        Effect.gen(function*() {
          const session = yield* keystone.session
          const result = yield* Effect.either(once(request, session.token))
          if (result._tag === "Left") {
            if (replayable && attempt < retries && !isTlsRefusal(result.left.cause)) {
              yield* Effect.annotateCurrentSpan("retry", attempt + 1)
              yield* backoff(attempt, undefined)
              return yield* loop(attempt + 1, reauthenticated)
            }
            const error = result.left
            return yield* attempt > 0
              ? new TransportError({ ...error, message: `${error.message} (after ${attempt + 1} attempts)` })
              : error
          }
          const response = result.right
          if (response.status < 400) return response
          if (response.status === 401 && !reauthenticated && request.body._tag !== "Stream") {
            yield* response.text.pipe(Effect.ignore)
            yield* keystone.invalidate(session.token)
            const again = yield* keystone.session
            if (Redacted.value(again.token) !== Redacted.value(session.token)) return yield* loop(attempt, true)
            return yield* errorFromResponse(absolute(request), response).pipe(Effect.flatMap(Effect.fail))
          }
          if (retryStatuses.has(response.status) && replayable && attempt < retries) {
            yield* response.text.pipe(Effect.ignore)
            yield* backoff(attempt, retryAfter(response))
            return yield* loop(attempt + 1, reauthenticated)
          }
          const error = yield* errorFromResponse(absolute(request), response)
          return yield* Effect.fail(
            attempt > 0 && retryStatuses.has(response.status)
              ? fromStatus({ ...error, message: `${error.message} (after ${attempt + 1} attempts)` })
              : error
          )
        })
      return loop(0, false).pipe(
        Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...redactedHeaderNames])
      )
    }

    const send = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.tap(execute(request), (response) => response.text.pipe(Effect.ignore))

    const json = <A, I>(request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I>) =>
      Effect.flatMap(execute(request), (response) =>
        response.json.pipe(
          Effect.flatMap(Schema.decodeUnknown(schema)),
          Effect.mapError((cause) => {
            const requestId = requestIdOf(response)
            const url = displayUrl(endpoint.url + request.url)
            return new ResponseDecodeError({
              message: `${request.method} ${url} answered a body that is not what the Image API documents: ${
                cause._tag === "ParseError" ? cause.message.split("\n").slice(0, 6).join(" ") : cause.message
              }`,
              method: request.method,
              url,
              cause: withoutRequest(cause),
              ...(requestId ? { requestId } : {})
            })
          })
        ))

    return GlanceHttp.of({ endpoint, execute, json, send })
  })

/** The client with explicit options. */
export const layer = (
  options: Options = {}
): Layer.Layer<GlanceHttp, never, HttpClient.HttpClient | ImageEndpoint | Keystone> =>
  Layer.effect(GlanceHttp, make(options))

/** The client with its timeout taken from `CloudConfig`. */
export const layerConfig = (
  options: Omit<Options, "timeout"> = {}
): Layer.Layer<GlanceHttp, never, HttpClient.HttpClient | ImageEndpoint | Keystone | CloudConfig> =>
  Layer.effect(
    GlanceHttp,
    Effect.flatMap(CloudConfig, (settings) =>
      make({ ...options, ...(settings.timeout !== undefined ? { timeout: Duration.seconds(settings.timeout) } : {}) }))
  )
