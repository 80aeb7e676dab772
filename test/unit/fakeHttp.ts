/**
 * A fake HTTP server for unit tests: an `HttpClient` that records every request it gets and
 * answers from a handler, with web `Response`s as the real clients do.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

/** One request as the fake server received it. */
export interface Received {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  /** The body's bytes, streamed bodies included; undefined for an empty body. */
  readonly bytes: Uint8Array | undefined
  /** The body as text. */
  readonly text: string | undefined
  /** The body parsed as JSON. */
  readonly json: unknown
}

/** What the fake server answers: a status, headers and a body (objects are sent as JSON). */
export interface Reply {
  readonly status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | Uint8Array | ReadableStream<Uint8Array> | object | null | undefined
}

/** The answer "no answer": the connection is refused. */
export const refused = { _tag: "Refused" } as const

/** The answer "the connection was reset": the server dropped it before answering. */
export const reset = { _tag: "Reset" } as const

/** A fake server with the requests it received. */
export interface FakeServer {
  readonly client: HttpClient.HttpClient
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  readonly received: Array<Received>
}

const toResponseBody = (reply: Reply): { body: BodyInit | null; headers: Record<string, string> } => {
  const headers = { ...reply.headers }
  const body = reply.body
  if (body === undefined || body === null) return { body: null, headers }
  if (typeof body === "string") return { body, headers }
  if (body instanceof Uint8Array) return { body: new Uint8Array(body), headers }
  if (body instanceof ReadableStream) return { body, headers }
  return { body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } }
}

const parseJson = (text: string | undefined): unknown => {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Starts a fake server; `handle` sees each request and its 0-based index, and may answer with an effect. */
export const fakeServer = (
  handle: (
    request: Received,
    index: number
  ) => Reply | typeof refused | typeof reset | Effect.Effect<Reply | typeof refused | typeof reset>
): FakeServer => {
  const received: Array<Received> = []
  const client = HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = request.body
      const bytes = body._tag === "Uint8Array"
        ? body.body
        : body._tag === "Stream"
        ? yield* Stream.runCollect(body.stream).pipe(
          Effect.map((chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks) as Array<Uint8Array>)),
          Effect.orElseSucceed(() => new Uint8Array())
        )
        : undefined
      const text = bytes === undefined ? undefined : new TextDecoder().decode(bytes)
      const json = parseJson(text)
      const seen: Received = {
        method: request.method,
        url,
        headers: request.headers,
        bytes,
        text,
        json
      }
      received.push(seen)
      const answer = handle(seen, received.length - 1)
      const reply = Effect.isEffect(answer) ? yield* answer : answer
      if ("_tag" in reply) {
        return yield* new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: reply._tag === "Refused"
            ? Object.assign(new Error(`connect ECONNREFUSED ${url.host}`), { code: "ECONNREFUSED" })
            : Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
        })
      }
      const { body: responseBody, headers } = toResponseBody(reply)
      return HttpClientResponse.fromWeb(request, new Response(responseBody, { status: reply.status ?? 200, headers }))
    })
  )
  return { client, layer: Layer.succeed(HttpClient.HttpClient, client), received }
}

/** A JSON reply. */
export const json = (status: number, body: object, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers
})

/** The paths of the requests received, with their method: `["GET /v3", …]`. */
export const requestLines = (server: FakeServer): Array<string> =>
  server.received.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)

/** A body that delivers `bytes` and then breaks, as a connection reset mid-transfer does. */
export const breaksAfter = (bytes: Uint8Array): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      controller.enqueue(bytes)
      controller.error(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))
    }
  })
