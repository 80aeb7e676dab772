/**
 * `--debug`: every request as an equivalent curl command and every response's status and
 * request id, on stderr, with tokens shown only as a short SHA-256 prefix and secrets hidden.
 * Each is one line, what came from the server (URLs, request ids, content types) with its
 * control characters escaped.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import { oneLine } from "./safeText.js"

const secretHeaders = new Set(["x-auth-token", "x-subject-token", "authorization", "cookie", "set-cookie"])
const secretKeys = new Set(["password", "secret", "token", "application_credential_secret"])

/** How a secret header value is shown: `{SHA256}` and the first 16 hex digits of its hash. */
export const fingerprint = (value: string): string =>
  `{SHA256}${Crypto.createHash("sha256").update(value).digest("hex").slice(0, 16)}`

/** A JSON body with every password, secret and token id replaced by `***`. */
export const maskBody = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text, (key, value) => {
      if (secretKeys.has(key) && typeof value === "string") return "***"
      if (key === "token" && typeof value === "object" && value !== null && "id" in value) {
        return { ...value, id: "***" }
      }
      return value
    }))
  } catch {
    return "<body hidden>"
  }
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`

/** The curl command equivalent to a request, with secrets hidden. */
export const curlOf = (request: HttpClientRequest.HttpClientRequest): string => {
  const query = UrlParams.toString(request.urlParams)
  const parts = ["curl -g -i -X", request.method, quote(query.length > 0 ? `${request.url}?${query}` : request.url)]
  for (const [name, value] of Object.entries(request.headers)) {
    parts.push("-H", quote(`${name}: ${secretHeaders.has(name.toLowerCase()) ? fingerprint(value) : value}`))
  }
  const body = request.body
  if (body._tag === "Uint8Array") {
    const text = new TextDecoder().decode(body.body)
    parts.push("-d", quote(body.contentType.includes("json") ? maskBody(text) : "<body hidden>"))
  } else if (body._tag === "Stream") {
    parts.push("-T", quote("<image data>"))
  }
  return parts.join(" ")
}

/** The `REQ:` line of a request: its curl command. */
export const requestLine = (request: HttpClientRequest.HttpClientRequest): string => oneLine(`REQ: ${curlOf(request)}`)

/** The `RESP:` line of a response: status, method, URL without its query, request id, content type. */
export const responseLine = (response: HttpClientResponse.HttpClientResponse): string =>
  oneLine(
    `RESP: [${response.status}] ${response.request.method} ${response.request.url.split("?")[0]}` +
      ` request-id: ${response.headers["x-openstack-request-id"] ?? "-"}` +
      ` content-type: ${response.headers["content-type"] ?? "-"}` +
      (response.headers["x-subject-token"]
        ? ` x-subject-token: ${fingerprint(response.headers["x-subject-token"])}`
        : "")
  )

/** Wraps a client so that each request and response is logged to stderr. */
export const debugClient = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  client.pipe(
    HttpClient.tapRequest((request) => Console.error(requestLine(request))),
    HttpClient.tap((response) => Console.error(responseLine(response))),
    HttpClient.tapError((error) => Effect.ignore(Console.error(`RESP: error ${error._tag}`)))
  )
