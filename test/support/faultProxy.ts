/**
 * A fault-injecting HTTP proxy for integration tests: it sits on 127.0.0.1 between the client
 * and the lab's Glance and, per request or per connection, answers an error status, resets the
 * connection, cuts or corrupts a response body, drips or stalls it, or cuts an upload.
 *
 * Deterministic: faults are rules matched in order against each request, each used a given number
 * of times. Bounded: at most 64 connections, `maxRequests` requests forwarded (then 500), and
 * `close()` (or the end of `lifetimeMs`) destroys every socket. Records every request (method,
 * path, Range, token, arrival time) and the status it got.
 *
 * Also `runGlance`: our `glance` as a child process without blocking the event loop (a proxy
 * lives in the test's own process), standard input on /dev/null unless given, with its run time.
 */
import * as Http from "node:http"
import type * as Net from "node:net"
import * as Lab from "./lab.js"
import type { LabUser, RunResult } from "./lab.js"

/** What the proxy does to one request. */
export type Fault =
  /** Answer this status without asking Glance (a load balancer's 502/503/504), optionally with `Retry-After`. */
  | { readonly _tag: "Status"; readonly status: number; readonly retryAfter?: number | undefined }
  /** Reset the connection (TCP RST) as soon as the request arrives. */
  | { readonly _tag: "Reset" }
  /** Forward, then close the connection after `after` bytes of the response body. */
  | { readonly _tag: "CutBody"; readonly after: number }
  /** Forward, flipping every bit of the response body's byte at offset `at`. */
  | { readonly _tag: "Corrupt"; readonly at: number }
  /** Forward the response body `chunk` bytes at a time, one chunk every `everyMs`. */
  | { readonly _tag: "Drip"; readonly chunk: number; readonly everyMs: number }
  /** Forward `after` bytes of the response body, then send nothing more (the connection stays open). */
  | { readonly _tag: "Stall"; readonly after: number }
  /** Wait before forwarding. */
  | { readonly _tag: "Delay"; readonly ms: number }
  /** Forward the request body up to `after` bytes, then reset the client's connection and abort Glance's. */
  | { readonly _tag: "CutUpload"; readonly after: number }

/** One request as the proxy saw it. */
export interface Seen {
  readonly index: number
  readonly method: string
  /** Path and query. */
  readonly url: string
  readonly range: string | undefined
  readonly token: string | undefined
  /** When it arrived (epoch milliseconds). */
  readonly at: number
  /** The fault applied, if any. */
  fault: Fault["_tag"] | undefined
  /** The status the client got (from the fault or from Glance); undefined when there was none. */
  status: number | undefined
}

interface Rule {
  readonly match: (seen: Seen) => boolean
  readonly fault: Fault
  remaining: number
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`, to give as the image endpoint. */
  readonly url: string
  /** Every request so far, in arrival order. */
  readonly requests: ReadonlyArray<Seen>
  /** Applies `fault` to the next `times` requests that `match` (rules are tried in the order added). */
  readonly inject: (match: (seen: Seen) => boolean, fault: Fault, times?: number) => void
  /** Resets the next `count` TCP connections as they are accepted, before any HTTP. */
  readonly resetConnections: (count: number) => void
  /** Runs before a request is forwarded to Glance (after faults that answer by themselves). */
  onForward: ((seen: Seen) => Promise<void>) | undefined
  /** Forgets the rules and the recorded requests. */
  readonly reset: () => void
  readonly close: () => Promise<void>
}

/** Requests for an image's data (`/v2/images/ID/file`). */
export const isFile = (seen: Seen) => /^\/v2\/images\/[^/?]+\/file(\?|$)/.test(seen.url)

/** Listing requests (`/v2/images?…`). */
export const isList = (seen: Seen) => /^\/v2\/images(\?|$)/.test(seen.url) && seen.method === "GET"

/** Requests for one image's record (`GET /v2/images/ID`). */
export const isShow = (seen: Seen) => seen.method === "GET" && /^\/v2\/images\/[0-9a-f-]{36}(\?|$)/.test(seen.url)

const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "upgrade", "te", "trailer"])

/** Starts a proxy in front of `target` (default the lab's Glance). */
export const startFaultProxy = async (
  options: {
    readonly target?: string | undefined
    readonly maxRequests?: number | undefined
    /** The proxy closes itself after this long, whatever happens to the test (default 10 minutes). */
    readonly lifetimeMs?: number | undefined
  } = {}
): Promise<FaultProxy> => {
  const target = new URL(options.target ?? "http://127.0.0.1:9292")
  const maxRequests = options.maxRequests ?? 500
  const requests: Array<Seen> = []
  let rules: Array<Rule> = []
  let resets = 0
  const sockets = new Set<Net.Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => (timers.delete(t), f()), ms)
    timers.add(t)
  }

  const forward = (req: Http.IncomingMessage, res: Http.ServerResponse, seen: Seen, fault: Fault | undefined) => {
    const headers: Http.OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (!hopByHop.has(name) && value !== undefined) headers[name] = value
    }
    headers.host = target.host
    const upstream = Http.request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: false
    })
    upstream.on("error", () => {
      if (!res.headersSent) {
        seen.status = 502
        res.writeHead(502, { "content-type": "text/plain" }).end("fault proxy: Glance did not answer")
      } else res.destroy()
    })
    if (fault?._tag === "CutUpload") {
      let sent = 0
      req.on("data", (b: Buffer) => {
        if (sent >= fault.after) return
        const part = b.subarray(0, fault.after - sent)
        sent += part.byteLength
        upstream.write(part)
        if (sent >= fault.after) {
          req.socket.resetAndDestroy()
          upstream.destroy()
        }
      })
      req.on("end", () => upstream.end())
    } else {
      req.pipe(upstream)
    }
    upstream.on("response", (incoming) => {
      seen.status = incoming.statusCode
      const out: Array<[string, string]> = []
      for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
        const name = incoming.rawHeaders[i]!
        if (!hopByHop.has(name.toLowerCase())) out.push([name, incoming.rawHeaders[i + 1]!])
      }
      res.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, out.flat())
      const body = fault !== undefined && ["CutBody", "Corrupt", "Drip", "Stall"].includes(fault._tag)
        ? fault
        : undefined
      if (body === undefined) {
        incoming.pipe(res)
        return
      }
      let offset = 0
      switch (body._tag) {
        case "CutBody":
        case "Stall": {
          incoming.on("data", (b: Buffer) => {
            if (offset >= body.after) return
            const part = b.subarray(0, body.after - offset)
            offset += part.byteLength
            res.write(part)
            if (offset >= body.after) {
              incoming.destroy()
              // A clean close (FIN) after the bytes written: the client gets them all, then a short body.
              if (body._tag === "CutBody") res.socket?.end()
            }
          })
          incoming.on("end", () => res.end())
          return
        }
        case "Corrupt": {
          incoming.on("data", (b: Buffer) => {
            if (body.at >= offset && body.at < offset + b.byteLength) {
              b = Buffer.from(b)
              b[body.at - offset] = b[body.at - offset]! ^ 0xff
            }
            offset += b.byteLength
            res.write(b)
          })
          incoming.on("end", () => res.end())
          return
        }
        case "Drip": {
          const queue: Array<Buffer> = []
          let ended = false
          incoming.on("data", (b: Buffer) => queue.push(b))
          incoming.on("end", () => (ended = true))
          const tick = () => {
            if (res.destroyed) return
            let want = body.chunk
            const parts: Array<Buffer> = []
            while (want > 0 && queue.length > 0) {
              const head = queue[0]!
              const part = head.subarray(0, want)
              parts.push(part)
              want -= part.byteLength
              if (part.byteLength === head.byteLength) queue.shift()
              else queue[0] = head.subarray(part.byteLength)
            }
            if (parts.length > 0) res.write(Buffer.concat(parts))
            if (ended && queue.length === 0) res.end()
            else later(body.everyMs, tick)
          }
          later(body.everyMs, tick)
          return
        }
      }
    })
  }

  const server = Http.createServer((req, res) => {
    const token = req.headers["x-auth-token"]
    const seen: Seen = {
      index: requests.length,
      method: req.method ?? "GET",
      url: req.url ?? "/",
      range: req.headers.range,
      token: typeof token === "string" ? token : undefined,
      at: Date.now(),
      fault: undefined,
      status: undefined
    }
    requests.push(seen)
    if (requests.length > maxRequests) {
      seen.status = 500
      res.writeHead(500, { "content-type": "text/plain" }).end("fault proxy: too many requests")
      return
    }
    const rule = rules.find((r) => r.remaining > 0 && r.match(seen))
    if (rule) rule.remaining--
    const fault = rule?.fault
    seen.fault = fault?._tag
    switch (fault?._tag) {
      case "Status": {
        seen.status = fault.status
        const reason = Http.STATUS_CODES[fault.status] ?? "Error"
        req.resume()
        res.writeHead(fault.status, {
          "content-type": "text/html",
          ...(fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {})
        }).end(`<html><body><h1>${fault.status} ${reason}</h1>The fault proxy says no.</body></html>\n`)
        return
      }
      case "Reset":
        req.socket.resetAndDestroy()
        return
      case "Delay":
        later(fault.ms, () => void go(req, res, seen, fault))
        return
      default:
        void go(req, res, seen, fault)
    }
  })

  const proxy: FaultProxy = {
    url: "",
    requests,
    inject: (match, fault, times = 1) => void rules.push({ match, fault, remaining: times }),
    resetConnections: (count) => void (resets = count),
    onForward: undefined,
    reset: () => {
      rules = []
      requests.length = 0
      resets = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }

  const go = async (req: Http.IncomingMessage, res: Http.ServerResponse, seen: Seen, fault: Fault | undefined) => {
    if (proxy.onForward) await proxy.onForward(seen)
    forward(req, res, seen, fault)
  }

  server.on("connection", (socket: Net.Socket) => {
    if (resets > 0) {
      resets--
      socket.resetAndDestroy()
      return
    }
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  server.maxConnections = 64
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  setTimeout(() => void proxy.close(), options.lifetimeMs ?? 10 * 60_000).unref()
  const address = server.address() as Net.AddressInfo
  return Object.assign(proxy, { url: `http://127.0.0.1:${address.port}` })
}

/**
 * Runs our `glance` as lab.ts's `runGlance` does, with standard input on /dev/null unless `input`
 * is given, and says how long it ran. Past `timeoutMs` (default 60 s) it is killed and the promise
 * rejects, naming the command.
 */
export const runGlance = async (
  user: LabUser | undefined,
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Record<string, string>
    /** Standard input: all at once, or piece by piece as the iterable yields (a slow pipe). */
    readonly input?: string | Buffer | AsyncIterable<Uint8Array>
    readonly timeoutMs?: number
  } = {}
): Promise<RunResult & { readonly elapsedMs: number }> => {
  const started = Date.now()
  const r = await Lab.runGlance(user, args, {
    env: options.env,
    input: options.input,
    stdin: options.input === undefined ? "ignore" : "pipe",
    timeout: options.timeoutMs ?? 60_000
  })
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, elapsedMs: Date.now() - started }
}
