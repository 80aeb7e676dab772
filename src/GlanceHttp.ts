/**
 * The one configured HTTP client for the Image API: base URL, token, user agent, retries
 * of idempotent requests, timeouts, bounds, pagination, and the mapping of Glance's answers to
 * typed errors. Every rule of the request core (`internal/requestCore.ts`) holds for every call.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { CloudConfig } from "./CloudConfig.js"
import {
  type BadResponse,
  fromStatus,
  type RequestFailure,
  ResponseDecodeError,
  type ResponseError,
  TransportError
} from "./GlanceError.js"
import { ImageEndpoint, type Service as Endpoint } from "./ImageEndpoint.js"
import * as Body from "./internal/boundedBody.js"
import { displayUrl, errorBodyMessage, isTlsRefusal, redactedHeaderNames } from "./internal/http.js"
import * as Links from "./internal/links.js"
import { paginate as paginateWith } from "./internal/paginate.js"
import * as Core from "./internal/requestCore.js"
import { Keystone, type KeystoneError, userAgent } from "./Keystone.js"

/**
 * Every failure of an Image API call, logging in included.
 *
 * @since 0.1.0
 * @category errors
 */
export type GlanceHttpError = RequestFailure | KeystoneError

/**
 * The default cap on an answer that is not image data (JSON, error pages): 16 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxResponseBytes = Core.defaultMaxResponseBytes

/**
 * The most redirects followed for one request (GET and HEAD only, on the endpoint).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxRedirects = Core.maxRedirects

/**
 * How requests are retried, timed out and bounded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Retries of idempotent requests after a transport failure or a 502/503/504 (default 3). */
  readonly retries?: number | undefined
  /** The first backoff delay; doubled each attempt, with jitter (default 500 ms). */
  readonly retryBase?: Duration.DurationInput | undefined
  /** The longest single backoff delay, `Retry-After` included (default 30 s). */
  readonly retryCap?: Duration.DurationInput | undefined
  /** Time to wait for response headers, and between two reads of a body (default: none). */
  readonly timeout?: Duration.DurationInput | undefined
  /** The most bytes read of an answer that is not image data, JSON or error (default 16 MiB). */
  readonly maxResponseBytes?: number | undefined
  /** Changes the underlying client, e.g. to add tracing or a proxy. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The Image API HTTP client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The endpoint in use. */
  readonly endpoint: Endpoint
  /**
   * Sends a request whose URL is relative to the service root (`/v2/images`), or a link the
   * server gave (which must stay on the endpoint), with the token. Only 2xx answers succeed;
   * others become typed errors; idempotent requests are retried.
   */
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttpError>
  /** `execute`, then decodes the JSON body (at most `maxResponseBytes`) with `schema`. */
  readonly json: <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, GlanceHttpError>
  /** `execute`, discarding the body. */
  readonly send: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttpError>
  /**
   * The items of a paginated listing (`GET /v2/images`, `/v2/tasks`, …), fetched page by page
   * as the stream is read, following each page's `next` link on the endpoint; a `next` requested
   * before fails the stream with `BadResponse`.
   */
  readonly paginate: <Page extends { readonly next?: string | undefined }, I, Item>(
    first: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<Page, I>,
    items: (page: Page) => ReadonlyArray<Item>
  ) => Stream.Stream<Item, GlanceHttpError>
}

/**
 * The Image API HTTP client.
 *
 * @since 0.1.0
 * @category tags
 */
export class GlanceHttp extends Context.Tag("glanceclient/GlanceHttp")<GlanceHttp, Service>() {}

const idempotent = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
const retryStatuses = new Set([502, 503, 504])

/** Whether a request may be sent again: idempotent, and its body can be produced again. */
const isReplayable = (request: HttpClientRequest.HttpClientRequest): boolean =>
  idempotent.has(request.method) && request.body._tag !== "Stream"

const requestIdOf = (response: HttpClientResponse.HttpClientResponse): string | undefined =>
  response.headers["x-openstack-request-id"] ?? response.headers["x-compute-request-id"]

/**
 * Turns a non-2xx response into its typed error, with Glance's own message from the first
 * `maxErrorBodyBytes` of its body (read with `timeout` between reads, when given).
 */
const errorFromResponse = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  options: { readonly timeout?: Duration.DurationInput | undefined } = {}
): Effect.Effect<ResponseError> =>
  Effect.map(
    Body.readPrefix(
      response,
      Core.maxErrorBodyBytes,
      options.timeout === undefined ? undefined : Duration.decode(options.timeout)
    ),
    (text) => {
      const requestId = requestIdOf(response)
      return fromStatus({
        message: errorBodyMessage(text) ?? `${request.method} ${displayUrl(request.url)} answered ${response.status}`,
        status: response.status,
        method: request.method,
        url: displayUrl(request.url),
        ...(requestId ? { requestId } : {})
      })
    }
  )

/** A 502/503/504 of an idempotent request, to be retried after `delay` (the server's `Retry-After`) or the backoff. */
class Retryable extends Data.TaggedError("Retryable")<{
  readonly error: ResponseError
  readonly delay: Duration.Duration | undefined
}> {}

/**
 * Builds the client from the endpoint, the token source and the platform's `HttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, never, HttpClient.HttpClient | ImageEndpoint | Keystone> =>
  Effect.gen(function*() {
    const endpoint = yield* ImageEndpoint
    const keystone = yield* Keystone
    const base = yield* HttpClient.HttpClient
    const client = (options.transformClient ? options.transformClient(base) : base).pipe(
      HttpClient.mapRequest(HttpClientRequest.setHeader("user-agent", userAgent)),
      HttpClient.mapRequest((r) => r.headers["accept"] === undefined ? HttpClientRequest.acceptJson(r) : r)
    )
    const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
    const parsedRoot = Links.root(endpoint.url)
    const root = parsedRoot ?? Links.nowhere
    const rules: Core.Rules = {
      service: "Image API",
      root,
      timeout,
      maxResponseBytes: options.maxResponseBytes ?? Core.defaultMaxResponseBytes
    }
    const schedule = Core.retrySchedule<unknown>(
      {
        retries: options.retries ?? 3,
        base: options.retryBase ?? "500 millis",
        cap: options.retryCap ?? "30 seconds"
      },
      (failure) => failure instanceof Retryable ? failure.delay : undefined
    )
    const retryable = (failure: unknown): boolean =>
      failure instanceof Retryable || (failure instanceof TransportError && !isTlsRefusal(failure.cause))

    /** The request with its URL resolved on the endpoint (a link that leaves it is refused, and never sent). */
    const resolve = (
      request: HttpClientRequest.HttpClientRequest,
      from?: HttpClientRequest.HttpClientRequest
    ): Either.Either<HttpClientRequest.HttpClientRequest, BadResponse | TransportError> =>
      parsedRoot === undefined
        ? Either.left(
          new TransportError({
            message: `The Image API endpoint ${Links.show(endpoint.url)} is not a URL`,
            method: request.method,
            url: endpoint.url
          })
        )
        : Either.match(Links.resolve(root, request.url), {
          onLeft: (refusal) =>
            Either.left(Core.badResponse(
              from ?? request,
              "link",
              `${
                from === undefined
                  ? `The link ${Links.show(request.url)}`
                  : `${from.method} ${displayUrl(from.url)} answered a next link ${Links.show(request.url)} that`
              } is refused: ${
                Links.describeRefusal(root, refusal)
              } (nothing was sent there; links are followed only on ${root.url.origin}${root.prefix}/)`
            )),
          onRight: (url) => {
            for (const [key, value] of request.urlParams) url.searchParams.append(key, value)
            return Either.right(HttpClientRequest.setUrl(request, url))
          }
        })

    /**
     * One request by every rule: resolved on the endpoint, sent with the current token, its
     * answer handled by `handle` when it is a success (a body read there is retried with the
     * request); 502/503/504 and transport failures of idempotent requests retried on the
     * schedule; a 401 answered by one new login and one more round.
     */
    const run = <A, E>(
      request: HttpClientRequest.HttpClientRequest,
      handle: (
        response: HttpClientResponse.HttpClientResponse,
        sent: HttpClientRequest.HttpClientRequest
      ) => Effect.Effect<A, E>
    ): Effect.Effect<A, E | GlanceHttpError> =>
      Effect.flatMap(resolve(request), (target) => {
        const replayable = isReplayable(request)
        let used: Redacted.Redacted | undefined
        const round = Effect.suspend(() => {
          let attempts = 0
          const attempt = Effect.gen(function*() {
            const session = yield* keystone.session
            used = session.token
            attempts++
            if (attempts > 1) yield* Effect.annotateCurrentSpan("retry", attempts - 1)
            const sent = HttpClientRequest.setHeader(target, "x-auth-token", Redacted.value(session.token))
            const response = yield* Core.send(client, rules, sent)
            if (response.status >= 400) {
              const error = yield* errorFromResponse(sent, response, { timeout })
              if (replayable && retryStatuses.has(response.status)) {
                const now = yield* Clock.currentTimeMillis
                return yield* new Retryable({ error, delay: Core.retryAfter(response, now) })
              }
              return yield* Effect.fail(error)
            }
            return yield* handle(response, sent)
          })
          const retried = replayable ? Effect.retry(attempt, { schedule, while: retryable }) : attempt
          return retried.pipe(
            Effect.catchIf((failure) => failure instanceof Retryable, (retry) => Effect.fail(retry.error)),
            Effect.mapError((error) => {
              if (attempts <= 1) return error
              const after = ` (after ${attempts} attempts)`
              if (error instanceof TransportError) {
                return new TransportError({ ...error, message: error.message + after })
              }
              const status = (error as { status?: unknown }).status
              return typeof status === "number" && retryStatuses.has(status)
                ? fromStatus({ ...(error as ResponseError), message: (error as ResponseError).message + after })
                : error
            })
          )
        })
        return round.pipe(
          Effect.catchIf(
            (error): error is ResponseError =>
              (error as { _tag?: unknown })._tag === "Unauthorized" && request.body._tag !== "Stream",
            (error) =>
              Effect.gen(function*() {
                const token = used!
                yield* keystone.invalidate(token)
                const again = yield* keystone.session
                if (Redacted.value(again.token) === Redacted.value(token)) return yield* Effect.fail(error)
                return yield* round
              })
          )
        )
      }).pipe(Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...redactedHeaderNames]))

    const execute = (request: HttpClientRequest.HttpClientRequest) => run(request, Effect.succeed)

    const send = (request: HttpClientRequest.HttpClientRequest) =>
      run(request, (response) => Effect.as(Core.discard(rules, response), response))

    const json = <A, I>(
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Schema<A, I>
    ): Effect.Effect<A, GlanceHttpError> =>
      run(request, (response, sent): Effect.Effect<A, RequestFailure> => {
        const url = displayUrl(sent.url)
        const requestId = requestIdOf(response)
        const undocumented = (detail: string, cause?: unknown) =>
          new ResponseDecodeError({
            message: `${sent.method} ${url} answered a body that is not what the Image API documents: ${detail}`,
            method: sent.method,
            url,
            ...(cause !== undefined ? { cause } : {}),
            ...(requestId ? { requestId } : {})
          })
        return Core.readJson(rules, sent, response).pipe(
          Effect.catchAll((failure): Effect.Effect<never, RequestFailure> =>
            failure._tag === "Read"
              ? Effect.fail(failure.error)
              : Effect.fail(undocumented(
                `it is not JSON${
                  failure.contentType === undefined ? "" : ` (Content-Type ${Links.show(failure.contentType, 60)})`
                }`
              ))
          ),
          Effect.flatMap((body) =>
            Effect.mapError(
              Schema.decodeUnknown(schema)(body),
              (cause) => undocumented(Core.describeParseError(cause), cause)
            )
          )
        )
      })

    const paginate = <Page extends { readonly next?: string | undefined }, I, Item>(
      first: HttpClientRequest.HttpClientRequest,
      schema: Schema.Schema<Page, I>,
      items: (page: Page) => ReadonlyArray<Item>
    ): Stream.Stream<Item, GlanceHttpError> =>
      Stream.unwrap(Effect.map(resolve(first), (start) =>
        paginateWith({
          first: start,
          fetch: (request) => json(request, schema).pipe(Effect.withSpan("GlanceHttp.page")),
          items,
          next: (page, request) =>
            page.next === undefined
              ? Effect.succeed(Option.none())
              : Effect.map(resolve(HttpClientRequest.get(page.next), request), Option.some),
          key: Core.urlOf,
          loop: (request, next) =>
            Core.badResponse(
              request,
              "pagination-loop",
              `${request.method} ${displayUrl(request.url)} answered a next link that was requested before, ${
                Links.show(Core.urlOf(next))
              }: the listing would never end`
            )
        })))

    return GlanceHttp.of({ endpoint, execute, json, send, paginate })
  })

/**
 * The client with explicit options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<GlanceHttp, never, HttpClient.HttpClient | ImageEndpoint | Keystone> =>
  Layer.effect(GlanceHttp, make(options))

/**
 * The client with its timeout and answer cap taken from `CloudConfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Options = {}
): Layer.Layer<GlanceHttp, never, HttpClient.HttpClient | ImageEndpoint | Keystone | CloudConfig> =>
  Layer.effect(
    GlanceHttp,
    Effect.flatMap(CloudConfig, (settings) =>
      make({
        ...options,
        ...(options.timeout === undefined && settings.timeout !== undefined
          ? { timeout: Duration.seconds(settings.timeout) }
          : {}),
        ...(settings.maxResponseSize !== undefined ? { maxResponseBytes: settings.maxResponseSize * Body.MiB } : {})
      }))
  )
