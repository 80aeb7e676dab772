/** Helpers shared by the HTTP layers: redaction, transport error wording, error-body parsing. */

/** Headers whose values never appear in logs, spans or errors. */
export const redactedHeaderNames: ReadonlyArray<string> = ["x-auth-token", "x-subject-token"]

const codes: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EPIPE: "connection closed by peer",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed by peer",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_HEADERS_TIMEOUT: "timed out waiting for response headers",
  UND_ERR_BODY_TIMEOUT: "timed out waiting for response data",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate does not match its host name",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's TLS certificate chain is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate cannot be verified",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's TLS certificate issuer is not trusted",
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  EPROTO: "TLS handshake failed",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "the server requires a client certificate",
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: "the server refused the TLS handshake (a client certificate may be required)",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: "the server refused the client certificate",
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: "the server does not trust the client certificate's CA",
  // Node's HTTP parser (llhttp) when the server's answer is not what HTTP allows.
  HPE_CLOSED_CONNECTION: "the server closed the connection before its answer was complete",
  HPE_HEADER_OVERFLOW: "the server's response headers are too large",
  HPE_INVALID_CONTENT_LENGTH: "the server's Content-Length is not valid",
  HPE_UNEXPECTED_CONTENT_LENGTH: "the server sent a Content-Length where HTTP allows none",
  HPE_INVALID_CHUNK_SIZE: "the server's chunked body is malformed",
  HPE_INVALID_TRANSFER_ENCODING: "the server's Transfer-Encoding is not valid",
  ERR_STREAM_PREMATURE_CLOSE: "the server closed the connection before its answer was complete",
  UND_ERR_RESPONSE_STATUS_CODE: "the server's status line is not valid"
}

/** What a TLS handshake lacked that the caller can give (`TransportError.tls`). */
export type TlsNeed = "ca" | "client-certificate"

const tlsNeeds: Record<string, TlsNeed> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "ca",
  SELF_SIGNED_CERT_IN_CHAIN: "ca",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "ca",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "ca",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "client-certificate"
}

/**
 * The library's words for each fix, in parentheses after the reason: the TLS options of the HTTP
 * client (`NodeGlanceHttp.layer`'s, node:tls's), where a program gives them. The `glance` command
 * puts its flags in their place (src/cli/errors.ts).
 */
export const tlsHints: Record<TlsNeed, string> = {
  ca: "trust its CA with the ca TLS option",
  "client-certificate": "give a client certificate with the cert and key TLS options"
}

/** What the TLS handshake of a failure lacked, if the caller can give it. */
export const tlsNeed = (error: unknown): TlsNeed | undefined => {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string" && code in tlsNeeds) return tlsNeeds[code]
  }
  return undefined
}

const tlsCodes = new Set([
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED"
])

/** Whether a failure is a TLS certificate or handshake refusal: the same on every attempt, so not worth retrying. */
export const isTlsRefusal = (error: unknown): boolean => {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string" && (tlsCodes.has(code) || code.startsWith("ERR_SSL_"))) return true
  }
  return false
}

/** Codes of a connection the server dropped before it answered (reset, closed, hung up). */
const droppedCodes = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "HPE_CLOSED_CONNECTION"])

/**
 * Whether a failure is a connection the server dropped without an answer: what a busy server's
 * worker does when it is restarted or overloaded, and gone on the next connection.
 */
export const isConnectionDropped = (error: unknown): boolean => {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string" && droppedCodes.has(code)) return true
  }
  return false
}

const causes = function*(error: unknown): Generator<unknown> {
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    yield current
    current = (current as { cause?: unknown }).cause
  }
}

/** One short phrase for why a request got no answer. */
export const describeTransport = (error: unknown): string => {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string" && codes[code]) {
      const need = tlsNeeds[code]
      return need === undefined ? codes[code] : `${codes[code]} (${tlsHints[need]})`
    }
    if ((cause as { _tag?: unknown })._tag === "TimeoutException") return "timed out"
    if ((cause as { name?: unknown }).name === "TimeoutError") return "timed out"
  }
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string" && code.startsWith("HPE_")) return "the server's answer is not valid HTTP"
    if (typeof code === "string") return code
  }
  const last = [...causes(error)].pop() as { message?: unknown } | undefined
  return typeof last?.message === "string" && last.message.length > 0 ? last.message : "no response"
}

/** The human message inside one of Glance's (or a proxy's) error bodies. */
export const errorBodyMessage = (text: string): string | undefined => {
  const trimmed = text.trim()
  if (trimmed.length === 0) return undefined
  if (trimmed.startsWith("{")) {
    try {
      const json = JSON.parse(trimmed) as Record<string, unknown>
      const pick = (o: unknown): string | undefined => {
        if (typeof o !== "object" || o === null) return undefined
        const r = o as Record<string, unknown>
        if (typeof r.message === "string") return r.message
        if (typeof r.explanation === "string") return r.explanation
        if (typeof r.detail === "string") return r.detail
        for (const v of Object.values(r)) {
          const found = pick(v)
          if (found) return found
        }
        return undefined
      }
      const found = pick(json)
      if (found) return clean(found.replace(/<[^>]+>/g, " "))
    } catch {
      // not JSON after all: fall through to text handling
    }
  }
  const withoutTags = trimmed.replace(/<title>.*?<\/title>/is, "").replace(/<[^>]+>/g, "\n")
  const lines = withoutTags.split("\n").map((l) => l.trim()).filter((l) => l.length > 0)
  // Glance's plain-text bodies open with the status line ("404 Not Found"); skip it.
  const body = lines.filter((l, i) => !(i === 0 && /^\d{3}\s/.test(l) && lines.length > 1))
  const message = body.join(" ")
  return message.length > 0 ? clean(message).slice(0, 500) : undefined
}

const clean = (s: string) => s.replace(/\s+/g, " ").trim()

/**
 * What to keep as the `cause` of an HTTP client failure: its own cause, without the request
 * it carries, whose headers (`x-auth-token`) and JSON body (a password) print in clear.
 */
export const withoutRequest = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "request" in error ? (error as { cause?: unknown }).cause : error

/** The URL without its query string, for error messages. */
export const displayUrl = (url: string): string => {
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}
