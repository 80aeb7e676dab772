/**
 * The request core: the rules every request of the library obeys, whoever it is for (the Image
 * API, its `/versions`, the Identity service), written once.
 *
 * - Time: the answer's head must come within the timeout (each redirect hop too), and a body
 *   read here must not stall longer than it between two reads.
 * - Statuses: 2xx is success. A redirect (301, 302, 303, 307, 308) is followed only for GET and
 *   HEAD, at most `maxRedirects` times, and only to a `Location` on the endpoint (same scheme,
 *   host and port, under its path, no user info), so the token never leaves it. Any other 3xx,
 *   and an interim 1xx given as the final answer, is a `BadResponse` that names it.
 * - Bounds: a JSON answer is read up to a cap (`BadResponse` naming the cap past it), an error
 *   body up to `maxErrorBodyBytes`.
 * - Retries: a `Schedule` of exponential backoff with jitter, capped, with the server's
 *   `Retry-After` honoured.
 * - Words: a transport failure says what happened in words (no parser codes), a body that does
 *   not decode says which field was wrong.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import { BadResponse, TransportError } from "../GlanceError.js"
import * as Body from "./boundedBody.js"
import { describeTransport, displayUrl, tlsNeed, withoutRequest } from "./http.js"
import * as Links from "./links.js"

/** The most redirects followed for one request. */
export const maxRedirects = 5

/** The most bytes of an error body read (its message is in the first few hundred). */
export const maxErrorBodyBytes = 4 * 1024

/** The default cap on a JSON answer: a page of 1,000 images with many properties is a few MiB. */
export const defaultMaxResponseBytes = 16 * Body.MiB

/** The rules for one server. */
export interface Rules {
  /** The server as messages name it: `Image API`, `Identity service`. */
  readonly service: string
  /** The root every redirect must stay under. */
  readonly root: Links.Root
  /** The wait for an answer's head (each hop), and between two reads of a body read here. */
  readonly timeout?: Duration.Duration | undefined
  /** The cap on a JSON answer, in bytes. */
  readonly maxResponseBytes: number
  /** Statuses besides 2xx taken as an answer (Glance's `GET /versions` answers 300). */
  readonly accept?: ((status: number) => boolean) | undefined
}

const redirects = new Set([301, 302, 303, 307, 308])
const followable = new Set(["GET", "HEAD"])

/** The request's URL with its query parameters, as sent. */
export const urlOf = (request: HttpClientRequest.HttpClientRequest): string => {
  if (request.urlParams.length === 0) return request.url
  const url = new URL(request.url)
  for (const [key, value] of request.urlParams) url.searchParams.append(key, value)
  return url.href
}

const where = (request: HttpClientRequest.HttpClientRequest) => displayUrl(request.url)

const requestIdOf = (response: HttpClientResponse.HttpClientResponse): string | undefined =>
  response.headers["x-openstack-request-id"] ?? response.headers["x-compute-request-id"]

/** A failure of the core's own, about an answer. */
export const badResponse = (
  request: HttpClientRequest.HttpClientRequest,
  reason: BadResponse["reason"],
  message: string,
  response?: HttpClientResponse.HttpClientResponse
): BadResponse => {
  const requestId = response === undefined ? undefined : requestIdOf(response)
  return new BadResponse({
    message,
    method: request.method,
    url: where(request),
    reason,
    ...(requestId !== undefined ? { requestId } : {})
  })
}

/** A transport failure, in words. */
export const transportError = (
  rules: Rules,
  request: HttpClientRequest.HttpClientRequest,
  cause: unknown
): TransportError =>
  new TransportError({
    message: `Cannot reach the ${rules.service} at ${where(request)}: ${describeTransport(cause)}`,
    method: request.method,
    url: where(request),
    ...tlsField(cause),
    cause: withoutRequest(cause)
  })

/** `TransportError.tls` for a failure, when its handshake lacked what the caller can give. */
const tlsField = (cause: unknown) => {
  const tls = tlsNeed(cause)
  return tls === undefined ? {} : { tls }
}

/** A body read here that failed: too large, stalled or broken. */
export const readFailure = (
  rules: Rules,
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  failure: Body.ReadFailure
): TransportError | BadResponse => {
  switch (failure._tag) {
    case "TooLarge":
      return badResponse(
        request,
        "too-large",
        `${request.method} ${where(request)} answered more than ${
          Body.formatSize(failure.limit)
        }, the cap on an answer that is not image data (set maxResponseSize, --max-response-size in the CLI, to allow more)`,
        response
      )
    case "Stalled":
      return new TransportError({
        message: `The answer of the ${rules.service} at ${where(request)} stalled: no data for ${
          Duration.format(failure.timeout)
        }`,
        method: request.method,
        url: where(request)
      })
    case "Broken":
      return new TransportError({
        message: `The answer of the ${rules.service} at ${where(request)} broke off: ${
          describeTransport(failure.cause)
        }`,
        method: request.method,
        url: where(request),
        cause: withoutRequest(failure.cause)
      })
  }
}

/** One exchange, with the deadline on the answer's head. */
const exchange = (
  client: HttpClient.HttpClient,
  rules: Rules,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse, TransportError> => {
  const sent = Effect.mapError(client.execute(request), (error) => transportError(rules, request, error))
  const timeout = rules.timeout
  // A streamed body (an upload) has no deadline as a whole: the platform's idle timeouts apply.
  return timeout === undefined || request.body._tag === "Stream" ? sent : Effect.timeoutFail(sent, {
    duration: timeout,
    onTimeout: () =>
      new TransportError({
        message: `The ${rules.service} at ${where(request)} did not answer within ${Duration.format(timeout)}`,
        method: request.method,
        url: where(request)
      })
  })
}

/** Reads and drops what is left of a small body, so its connection can be reused; never fails. */
export const discard = (
  rules: Rules,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<void> => Effect.asVoid(Body.readPrefix(response, maxErrorBodyBytes, rules.timeout))

/**
 * Sends a request (its URL absolute) by the rules: the deadline, redirects followed or refused,
 * 1xx and unfollowed 3xx refused. Answers a 2xx (or an accepted status), 4xx or 5xx response.
 */
export const send = (
  client: HttpClient.HttpClient,
  rules: Rules,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse, TransportError | BadResponse> => {
  const hop = (
    current: HttpClientRequest.HttpClientRequest,
    hops: number
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, TransportError | BadResponse> =>
    Effect.flatMap(exchange(client, rules, current), (response) => {
      const status = response.status
      if ((status >= 200 && status < 300) || status >= 400 || rules.accept?.(status) === true) {
        return Effect.succeed(response)
      }
      const answered = `${current.method} ${where(current)} answered ${status}`
      if (status < 200) {
        return Effect.zipRight(
          discard(rules, response),
          Effect.fail(badResponse(current, "interim", `${answered}, an interim status, as its final answer`, response))
        )
      }
      const location = response.headers["location"]
      const refuse = (reason: BadResponse["reason"], why: string) =>
        Effect.zipRight(discard(rules, response), Effect.fail(badResponse(current, reason, why, response)))
      if (location === undefined || !redirects.has(status)) {
        return refuse(
          "redirect",
          location === undefined
            ? `${answered}, a redirection that is not followed`
            : `${answered}, a redirection to ${Links.show(location)} that is not followed`
        )
      }
      const target = `${answered}, a redirect to ${Links.show(location)}`
      if (!followable.has(current.method)) {
        return refuse("redirect", `${target}, which is not followed for a ${current.method} request`)
      }
      if (hops >= maxRedirects) {
        return refuse("redirect", `${target}, after ${maxRedirects} redirects already: not followed`)
      }
      const resolved = Links.resolveLocation(rules.root, location, urlOf(current))
      if (Either.isLeft(resolved)) {
        return refuse(
          "link",
          `${target}, refused: ${
            Links.describeRefusal(rules.root, resolved.left)
          } (nothing was sent there; redirects are followed only on ${rules.root.url.origin}${rules.root.prefix}/)`
        )
      }
      return Effect.zipRight(
        discard(rules, response),
        hop(HttpClientRequest.setUrl(current, resolved.right), hops + 1)
      )
    })
  return hop(request, 0)
}

/** The failures of reading a JSON answer, besides a transport failure or the cap. */
export type JsonFailure =
  | { readonly _tag: "NotJson"; readonly contentType: string | undefined }
  | { readonly _tag: "Read"; readonly error: TransportError | BadResponse }

/** Reads a JSON answer by the rules: at most the cap, the idle timeout between reads. */
export const readJson = (
  rules: Rules,
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<unknown, JsonFailure> =>
  Body.readText(response, { limit: rules.maxResponseBytes, idleTimeout: rules.timeout }).pipe(
    Effect.mapError((failure): JsonFailure => ({
      _tag: "Read",
      error: readFailure(rules, request, response, failure)
    })),
    Effect.flatMap((text) =>
      Effect.try({
        try: (): unknown => (text.length === 0 ? null : JSON.parse(text)),
        catch: (): JsonFailure => ({ _tag: "NotJson", contentType: response.headers["content-type"] })
      })
    )
  )

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text)

/** A type as a reader says it: `an object` for a struct's whole signature, `an array` for an array's. */
const kind = (type: string): string =>
  type.startsWith("{") ? "an object" : /^(Readonly)?Array<|^readonly \[/.test(type) ? "an array" : cut(type, 40)

/**
 * What a schema found wrong in a body, one clause per field with where it is:
 * `images[0].id is missing; images[0].size: expected number, null or undefined, not "x"`. The
 * body's own text is cut short and its control characters escaped.
 */
export const describeParseError = (error: ParseResult.ParseError, max = 3): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const path = (p: ReadonlyArray<PropertyKey>) =>
    p.map((k, i) => typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`).join("")
  const byPath = new Map<string, { missing: boolean; expected: Array<string>; actual?: string; other: Array<string> }>()
  for (const issue of issues) {
    const at = path(issue.path)
    const entry = byPath.get(at) ?? { missing: false, expected: [], other: [] }
    byPath.set(at, entry)
    const typed = /^Expected (.*), actual (.*)$/s.exec(issue.message)
    if (issue._tag === "Missing") entry.missing = true
    else if (typed !== null) {
      entry.expected.push(kind(typed[1]!))
      entry.actual = typed[2]!
    } else entry.other.push(issue.message)
  }
  const clauses = [...byPath].map(([at, entry]) => {
    const where = at.length === 0 ? "the body" : at
    if (entry.missing) return `${where} is missing`
    if (entry.expected.length > 0) {
      // An optional field's `undefined` is its absence, which JSON has no word for.
      // A string subsumes the literals a union lists beside it (a status: its known values or any string).
      const all = [...new Set(entry.expected)]
      const named = all.includes("string") ? all.filter((e) => !/^".*"$/.test(e)) : all
      const expected = named.length > 1 ? named.filter((e) => e !== "undefined") : named
      const list = expected.length === 1
        ? expected[0]
        : `${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}`
      return `${where}: expected ${list}, not ${Links.escape(entry.actual ?? "", 40)}`
    }
    return `${where}: ${Links.escape(entry.other.join("; "), 120)}`
  })
  const more = clauses.length > max ? ` (and ${clauses.length - max} more)` : ""
  return `${clauses.slice(0, max).join("; ")}${more}`
}

/** How retries are spaced. */
export interface Backoff {
  /** Retries after the first attempt. */
  readonly retries: number
  /** The first delay; doubled each retry, then a random part of it (half to all) is waited. */
  readonly base: Duration.DurationInput
  /** The longest single delay, `Retry-After` included. */
  readonly cap: Duration.DurationInput
}

/**
 * The retry schedule: exponential backoff from `base`, capped at `cap`, with jitter (half to the
 * whole delay), or the delay the server asked for (`hint`, capped too), at most `retries` times.
 */
export const retrySchedule = <I>(
  backoff: Backoff,
  hint: (input: I) => Duration.Duration | undefined
): Schedule.Schedule<unknown, I> => {
  const cap = Duration.decode(backoff.cap)
  return Schedule.exponential(backoff.base).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap)),
    Schedule.jitteredWith({ min: 0.5, max: 1 }),
    Schedule.intersect(Schedule.identity<I>()),
    Schedule.modifyDelay(([, input], delay) => {
      const asked = hint(input)
      return asked === undefined ? delay : Duration.min(asked, cap)
    }),
    Schedule.intersect(Schedule.recurs(backoff.retries))
  )
}

/** The delay a `Retry-After` header asks for (seconds or an HTTP date), if any. */
export const retryAfter = (
  response: HttpClientResponse.HttpClientResponse,
  now: number
): Duration.Duration | undefined => {
  const value = response.headers["retry-after"]
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (value.trim() !== "" && Number.isFinite(seconds)) return Duration.millis(Math.max(0, seconds * 1000))
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}
