/**
 * A scriptable misbehaving HTTP/1.1 server for tests of what a real Glance never does: hostile
 * links, redirects, 1xx interim answers, endless or huge bodies, stalls, lies in `Content-Length`
 * or `Content-Range`, control characters in names and headers. Written on node:net, so every byte
 * it sends is the script's: a status line, headers, a body sent whole, chunked, close-delimited,
 * dripped, stalled or cut, or raw bytes.
 *
 * Each request is matched against the routes in order (method and path, or a predicate); the
 * route's reply is sent. Unmatched requests get a 404. Every request is recorded (method, path,
 * headers, body length, which server got it), so a test can assert that a token never reached a
 * second host.
 *
 *     const server = await MisbehavingServer.start()
 *     server.on("GET", "/v2/images", () => ({ json: { images: [], next: "@127.0.0.2:1/v2/images" } }))
 *     // … run the client against server.url …
 *     await server.close()
 *
 * `fakeGlance(server)` installs the routes a client needs before the interesting one (`/versions`,
 * an image's record) so a test scripts only what misbehaves.
 */
import * as Net from "node:net"

/** A request as the server received it. */
export interface ReceivedRequest {
  readonly method: string
  /** Path and query, as sent. */
  readonly url: string
  /** The path without the query. */
  readonly path: string
  readonly query: URLSearchParams
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>
  /** The request body (bodies of any size are counted, the first 1 MiB is kept). */
  readonly body: Buffer
  readonly bodyLength: number
  /** The `host:port` the request arrived at. */
  readonly server: string
  /** Milliseconds since the server started. */
  readonly at: number
}

/** How a body is sent. */
export type BodySpec =
  /** Exactly these bytes. */
  | string
  | Uint8Array
  /** `size` bytes of `fill` (default 0x61), generated as they are sent (never held whole). */
  | { readonly size: number; readonly fill?: number | undefined }
  /** Bytes forever (until the client goes away or the server closes). */
  | { readonly endless: true; readonly fill?: number | undefined }

/** One reply. Everything is optional: the default is `200 OK` with an empty body. */
export interface Reply {
  readonly status?: number | undefined
  readonly statusText?: string | undefined
  /** Headers as sent (names as given); a value array sends the header once per value. */
  readonly headers?: Readonly<Record<string, string | number | ReadonlyArray<string>>> | undefined
  /** A JSON body (sets `Content-Type: application/json` unless given). */
  readonly json?: unknown
  readonly body?: BodySpec | undefined
  /**
   * How the body is framed: `length` (default: a `Content-Length` of the body's size unless the
   * headers give one, which is then sent as it is, true or not), `chunked`, or `close` (no length:
   * the body ends when the connection closes).
   */
  readonly framing?: "length" | "chunked" | "close" | undefined
  /** 1xx interim responses sent before this one (`100 Continue`, `103 Early Hints`, …). */
  readonly interim?: ReadonlyArray<{ readonly status: number; readonly headers?: Record<string, string> }> | undefined
  /** Send the body in pieces of `bytes`, one every `everyMs` (default: as fast as the socket takes it). */
  readonly drip?: { readonly bytes: number; readonly everyMs: number } | undefined
  /** Send this many bytes of the body, then nothing more, leaving the connection open. */
  readonly stallAfter?: number | undefined
  /** Send this many bytes of the body, then close the connection. */
  readonly cutAfter?: number | undefined
  /** Wait this long before sending anything (the head included). */
  readonly delayMs?: number | undefined
  /** Send nothing at all and keep the connection open (a stalled server). */
  readonly hang?: boolean | undefined
  /** Send these bytes instead of any response (then close unless `keepOpen`). */
  readonly raw?: string | Uint8Array | undefined
  readonly keepOpen?: boolean | undefined
}

/** A route's answer to a request. */
export type Handler = (request: ReceivedRequest) => Reply | Promise<Reply>

interface Route {
  readonly match: (request: ReceivedRequest) => boolean
  readonly handler: Handler
  /** Uses left; undefined for unlimited. */
  remaining: number | undefined
}

/** A running server. */
export interface MisbehavingServer {
  /** `http://host:port`. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Every request received, in order. */
  readonly requests: ReadonlyArray<ReceivedRequest>
  /**
   * Adds a route (checked after the ones added before it). `path` matches the path exactly, or
   * by a regular expression; `times` limits how often it answers (then later routes are tried).
   */
  on(
    method: string | undefined,
    path: string | RegExp | ((request: ReceivedRequest) => boolean),
    reply: Reply | Handler,
    options?: { readonly times?: number | undefined }
  ): MisbehavingServer
  /** Adds a route checked before every other. */
  first(
    method: string | undefined,
    path: string | RegExp | ((request: ReceivedRequest) => boolean),
    reply: Reply | Handler,
    options?: { readonly times?: number | undefined }
  ): MisbehavingServer
  /** Removes every route and forgets the requests. */
  reset(): void
  /** Bytes of response bodies written so far, across connections. */
  readonly bytesSent: number
  /** Connections currently open. */
  readonly openConnections: number
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

const statusTexts: Record<number, string> = {
  100: "Continue",
  103: "Early Hints",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Request Entity Too Large",
  416: "Requested Range Not Satisfiable",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

const maxKeptBody = 1024 * 1024

const matcher = (
  method: string | undefined,
  path: string | RegExp | ((request: ReceivedRequest) => boolean)
): (request: ReceivedRequest) => boolean => {
  const byPath = typeof path === "function"
    ? path
    : typeof path === "string"
    ? (r: ReceivedRequest) => r.path === path
    : (r: ReceivedRequest) => path.test(r.path)
  return (r) => (method === undefined || r.method === method.toUpperCase()) && byPath(r)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Parses requests off one connection (Content-Length and chunked bodies) and answers each in turn. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0)
  private busy = false
  private closed = false
  constructor(
    readonly socket: Net.Socket,
    readonly onRequest: (request: Omit<ReceivedRequest, "server" | "at">, socket: Net.Socket) => Promise<boolean>
  ) {
    socket.on("data", (data: Buffer) => {
      this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data])
      void this.pump()
    })
    socket.on("close", () => {
      this.closed = true
    })
    socket.on("error", () => {})
  }

  private async pump(): Promise<void> {
    if (this.busy || this.closed) return
    this.busy = true
    try {
      for (;;) {
        const parsed = this.parse()
        if (parsed === undefined) return
        const keepGoing = await this.onRequest(parsed, this.socket)
        if (!keepGoing || this.closed) return
      }
    } finally {
      this.busy = false
    }
  }

  private parse(): Omit<ReceivedRequest, "server" | "at"> | undefined {
    const end = this.buffer.indexOf("\r\n\r\n")
    if (end === -1) return undefined
    const head = this.buffer.subarray(0, end).toString("latin1").split("\r\n")
    const [method = "", url = "/"] = (head[0] ?? "").split(" ")
    const headers: Record<string, string> = {}
    for (const line of head.slice(1)) {
      const colon = line.indexOf(":")
      if (colon <= 0) continue
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value
    }
    let at = end + 4
    let body = Buffer.alloc(0)
    let bodyLength = 0
    if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) {
      const parts: Array<Buffer> = []
      for (;;) {
        const lineEnd = this.buffer.indexOf("\r\n", at)
        if (lineEnd === -1) return undefined
        const size = parseInt(this.buffer.subarray(at, lineEnd).toString("latin1").split(";")[0]!, 16)
        if (!Number.isFinite(size)) return undefined
        if (size === 0) {
          const trailerEnd = this.buffer.indexOf("\r\n\r\n", lineEnd)
          if (trailerEnd === -1 && this.buffer.indexOf("\r\n", lineEnd + 2) !== lineEnd + 2) return undefined
          at = trailerEnd === -1 ? lineEnd + 4 : Math.min(trailerEnd + 4, lineEnd + 4)
          break
        }
        if (this.buffer.length < lineEnd + 2 + size + 2) return undefined
        const data = this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size)
        bodyLength += size
        if (bodyLength <= maxKeptBody) parts.push(Buffer.from(data))
        at = lineEnd + 2 + size + 2
      }
      body = Buffer.concat(parts)
    } else {
      const length = Number(headers["content-length"] ?? 0)
      if (this.buffer.length < at + length) {
        // Large uploads are counted as they arrive, not kept.
        if (length > maxKeptBody && this.buffer.length - at > maxKeptBody) {
          // keep buffering; a test server's uploads are small enough in practice
        }
        return undefined
      }
      bodyLength = length
      body = Buffer.from(this.buffer.subarray(at, at + Math.min(length, maxKeptBody)))
      at += length
    }
    this.buffer = this.buffer.subarray(at)
    const parsedUrl = new URL(url, "http://placeholder")
    return { method, url, path: parsedUrl.pathname, query: parsedUrl.searchParams, headers, body, bodyLength }
  }
}

const headLines = (status: number, statusText: string | undefined, headers: Array<[string, string]>): string =>
  `HTTP/1.1 ${status} ${statusText ?? statusTexts[status] ?? "Status"}\r\n` +
  headers.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n"

const bodySize = (body: BodySpec | undefined): number | undefined => {
  if (body === undefined) return 0
  if (typeof body === "string") return Buffer.byteLength(body)
  if (body instanceof Uint8Array) return body.byteLength
  if ("endless" in body) return undefined
  return body.size
}

/** The body's bytes as a sequence of pieces of at most `piece` bytes, generated lazily. */
const pieces = function*(body: BodySpec | undefined, piece: number): Generator<Buffer> {
  if (body === undefined) return
  if (typeof body === "string" || body instanceof Uint8Array) {
    const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body)
    for (let at = 0; at < bytes.length; at += piece) yield bytes.subarray(at, at + piece)
    return
  }
  const fill = body.fill ?? 0x61
  const block = Buffer.alloc(piece, fill)
  if ("endless" in body) {
    for (;;) yield block
  }
  for (let left = body.size; left > 0; left -= piece) yield left >= piece ? block : block.subarray(0, left)
}

const write = (socket: Net.Socket, data: string | Uint8Array): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) return resolve()
    if (socket.write(data)) return resolve()
    const done = () => {
      socket.off("drain", done)
      socket.off("close", done)
      resolve()
    }
    socket.on("drain", done)
    socket.on("close", done)
  })

/** Starts a server on `host` (default 127.0.0.1; any 127.x.y.z works on Linux) and a free port. */
export const start = async (options: { readonly host?: string | undefined } = {}): Promise<MisbehavingServer> => {
  const host = options.host ?? "127.0.0.1"
  let routes: Array<Route> = []
  const requests: Array<ReceivedRequest> = []
  const sockets = new Set<Net.Socket>()
  const started = Date.now()
  let bytesSent = 0
  let closing = false

  const respond = async (socket: Net.Socket, reply: Reply, method: string): Promise<boolean> => {
    if (reply.delayMs !== undefined) await sleep(reply.delayMs)
    if (reply.hang === true) return false
    if (reply.raw !== undefined) {
      await write(socket, reply.raw)
      if (reply.keepOpen !== true) socket.end()
      return reply.keepOpen === true
    }
    for (const interim of reply.interim ?? []) {
      await write(socket, headLines(interim.status, undefined, Object.entries(interim.headers ?? {})))
    }
    const status = reply.status ?? 200
    const body: BodySpec | undefined = reply.json !== undefined ? JSON.stringify(reply.json) : reply.body
    const headers: Array<[string, string]> = []
    for (const [name, value] of Object.entries(reply.headers ?? {})) {
      if (Array.isArray(value)) { for (const v of value) headers.push([name, v]) }
      else headers.push([name, String(value)])
    }
    const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name)
    if (reply.json !== undefined && !has("content-type")) headers.push(["Content-Type", "application/json"])
    const framing = reply.framing ?? "length"
    const size = bodySize(body)
    const noBody = method === "HEAD" || status === 204 || status === 304
    if (framing === "chunked") {
      if (!has("transfer-encoding")) headers.push(["Transfer-Encoding", "chunked"])
    } else if (framing === "close") {
      headers.push(["Connection", "close"])
    } else if (!has("content-length") && size !== undefined && !noBody) {
      headers.push(["Content-Length", String(size)])
    }
    await write(socket, headLines(status, reply.statusText, headers))
    let sent = 0
    const limit = reply.stallAfter ?? reply.cutAfter
    if (!noBody) {
      const piece = reply.drip?.bytes ?? 64 * 1024
      for (const part of pieces(body, piece)) {
        if (socket.destroyed || closing) return false
        let data = part
        if (limit !== undefined && sent + data.length > limit) data = data.subarray(0, limit - sent)
        if (data.length > 0) {
          await write(
            socket,
            framing === "chunked"
              ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")])
              : data
          )
          sent += data.length
          bytesSent += data.length
        }
        if (limit !== undefined && sent >= limit) break
        if (reply.drip !== undefined) await sleep(reply.drip.everyMs)
      }
    }
    if (reply.stallAfter !== undefined) return false
    if (reply.cutAfter !== undefined) {
      socket.destroy()
      return false
    }
    if (framing === "chunked" && !noBody) await write(socket, "0\r\n\r\n")
    if (framing === "close") {
      socket.end()
      return false
    }
    return true
  }

  const server = Net.createServer((socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    new Connection(socket, async (parsed, sock) => {
      const request: ReceivedRequest = {
        ...parsed,
        server: `${host}:${(server.address() as Net.AddressInfo).port}`,
        at: Date.now() - started
      }
      requests.push(request)
      const route = routes.find((r) => (r.remaining === undefined || r.remaining > 0) && r.match(request))
      if (route === undefined) {
        return respond(
          sock,
          { status: 404, json: { message: `no route for ${request.method} ${request.path}` } },
          request.method
        )
      }
      if (route.remaining !== undefined) route.remaining--
      const reply = await route.handler(request)
      return respond(sock, reply, request.method)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, host, () => resolve())
  })
  const port = (server.address() as Net.AddressInfo).port

  const add = (
    front: boolean,
    method: string | undefined,
    path: string | RegExp | ((request: ReceivedRequest) => boolean),
    reply: Reply | Handler,
    options: { readonly times?: number | undefined } = {}
  ) => {
    const route: Route = {
      match: matcher(method, path),
      handler: typeof reply === "function" ? reply : () => reply,
      remaining: options.times
    }
    routes = front ? [route, ...routes] : [...routes, route]
  }

  const self: MisbehavingServer = {
    url: `http://${host}:${port}`,
    host,
    port,
    requests,
    on(method, path, reply, options) {
      add(false, method, path, reply, options)
      return self
    },
    first(method, path, reply, options) {
      add(true, method, path, reply, options)
      return self
    },
    reset() {
      routes = []
      requests.length = 0
    },
    get bytesSent() {
      return bytesSent
    },
    get openConnections() {
      return sockets.size
    },
    close() {
      closing = true
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  return self
}

/** A plausible image record for a fake Glance (any field can be overridden). */
export const image = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01",
  name: "fake",
  status: "active",
  visibility: "private",
  protected: false,
  os_hidden: false,
  checksum: null,
  os_hash_algo: null,
  os_hash_value: null,
  size: null,
  virtual_size: null,
  disk_format: "raw",
  container_format: "bare",
  min_disk: 0,
  min_ram: 0,
  owner: "0123456789abcdef0123456789abcdef",
  tags: [],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  self: `/v2/images/${(fields.id as string | undefined) ?? "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01"}`,
  file: `/v2/images/${(fields.id as string | undefined) ?? "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01"}/file`,
  schema: "/v2/schemas/image",
  ...fields
})

/** The versions document a Glance of the lab's release answers (v2.0 … v2.17). */
export const versionsDocument = (url: string) => ({
  versions: Array.from({ length: 18 }, (_, i) => ({
    id: `v2.${17 - i}`,
    status: i === 0 ? "CURRENT" : "SUPPORTED",
    links: [{ rel: "self", href: `${url}/v2/` }]
  }))
})

/**
 * Routes every client needs before the interesting request, added after the test's own (so a
 * test's routes win): `GET /versions` (and `/`), and `GET /v2/images/{id}` answering the records
 * given.
 */
export const fakeGlance = (
  server: MisbehavingServer,
  images: ReadonlyArray<Record<string, unknown>> = []
): MisbehavingServer => {
  server.on("GET", (r) => r.path === "/versions" || r.path === "/", () => ({
    status: 300,
    json: versionsDocument(server.url)
  }))
  for (const record of images) {
    server.on("GET", `/v2/images/${String(record.id)}`, () => ({ json: record }))
  }
  return server
}
