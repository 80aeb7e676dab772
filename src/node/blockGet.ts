/**
 * A GET whose body is read from the socket straight into blocks (Node.js only; the reader
 * behind `NodeImageTransport`).
 *
 * node:http hands a body over as one fresh 16-64 KiB buffer per socket read, and a stream
 * element each: a gibibyte is ~17,000 buffers for the garbage collector and as many pulls. Here
 * the request is sent on its own connection whose reads land directly in blocks of a mebibyte
 * (the socket's `onread` option): new memory per block, or blocks of the reader's own pool.
 *
 * A hand-written HTTP/1.1 response reader, so it is strict about what it accepts: interim 1xx
 * answers are skipped; a head is at most 64 KiB; `Content-Length` must be one decimal number
 * (repeated values must agree) and never comes with `Transfer-Encoding`, whose only coding
 * understood is `chunked` (extensions and trailers skipped, sizes and line ends checked);
 * without either the body ends with the connection. Anything else fails the request or the body
 * with one error naming what was wrong. Conformance: test/unit/blockGet.test.ts.
 */
import * as Net from "node:net"
import * as Tls from "node:tls"
import type { BlockSource } from "../ImageTransport.js"

/** TLS settings of the connection. */
export interface TlsOptions {
  readonly rejectUnauthorized: boolean
  readonly ca?: Buffer | undefined
  readonly cert?: Buffer | undefined
  readonly key?: Buffer | undefined
}

/** The head of a response, with its body still to come. */
export interface BlockResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: Array<[string, string]>
  readonly body: SocketBody
}

/** The largest response head accepted. */
export const maxHeadSize = 64 * 1024

/** Full blocks read ahead of the reader before the socket is paused. */
const readAhead = 3

/** Where the bytes of a body stand, for its reader. */
export type Take =
  | { readonly _tag: "Blocks"; readonly blocks: Array<Uint8Array> }
  | { readonly _tag: "End" }
  | { readonly _tag: "Failed"; readonly cause: Error }
  | { readonly _tag: "Wait" }

/** The body of a `blockGet` response: blocks filled from the socket, handed to one reader. */
export class SocketBody {
  /** When bytes last arrived (ms): a slow body is alive though it has not filled a block yet. */
  lastReceived = Date.now()
  /** @internal */
  queue: Array<Uint8Array> = []
  /** @internal The block being filled and its payload bytes so far. */
  block: Uint8Array | undefined = undefined
  /** @internal */
  filled = 0
  /** @internal */
  ended = false
  /** @internal */
  failure: Error | undefined = undefined
  /** @internal */
  source: BlockSource | undefined = undefined
  /** @internal */
  blockSize: number
  /** @internal */
  socket: Net.Socket | undefined = undefined
  /** @internal */
  paused = false
  private waiter: (() => void) | undefined = undefined
  private started = false

  constructor(blockSize: number) {
    this.blockSize = blockSize
  }

  /** Fills blocks from `source` (a reader's pool) instead of new memory; only before the first `take`. */
  useBlocks(source: BlockSource | undefined): void {
    if (!this.started && source !== undefined && source.blockSize === this.blockSize) this.source = source
  }

  /** @internal A block to fill. */
  nextBlock(): Uint8Array {
    return this.source !== undefined ? this.source.take() : Buffer.allocUnsafeSlow(this.blockSize)
  }

  /** @internal The block being filled, up to its payload, as the reader's own (copied out of new memory). */
  private partial(): Uint8Array | undefined {
    if (this.block === undefined || this.filled === 0) return undefined
    const part = this.source !== undefined
      ? this.block.subarray(0, this.filled)
      : new Uint8Array(this.block.subarray(0, this.filled))
    this.filled = 0
    this.block = undefined
    return part
  }

  /** What the reader gets now: the blocks ready, the end, the failure (after every byte before it), or wait. */
  take(): Take {
    this.started = true
    if (this.queue.length > 0) {
      const blocks = this.queue
      this.queue = []
      if (this.ended) {
        const rest = this.partial()
        if (rest !== undefined) blocks.push(rest)
      }
      if (this.paused && this.failure === undefined && !this.ended) {
        this.paused = false
        this.socket?.resume()
      }
      return { _tag: "Blocks", blocks }
    }
    if (this.ended || this.failure !== undefined) {
      const rest = this.partial()
      if (rest !== undefined) return { _tag: "Blocks", blocks: [rest] }
      return this.failure !== undefined ? { _tag: "Failed", cause: this.failure } : { _tag: "End" }
    }
    return { _tag: "Wait" }
  }

  /** Calls `wake` once when `take` has something new (blocks, the end or a failure). */
  wait(wake: () => void): void {
    this.waiter = wake
  }

  /** Stops waiting. */
  unwait(): void {
    this.waiter = undefined
  }

  /** @internal */
  notify(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Ends the body as stalled: what arrived is still handed on, then `take` fails with `StalledError`. */
  stall(): void {
    if (!this.ended && this.failure === undefined) this.failure = new StalledError()
    this.socket?.destroy()
  }

  /** Stops reading and closes the connection (safe to call twice). */
  destroy(): void {
    if (!this.ended && this.failure === undefined) this.failure = new Error("the body was abandoned")
    this.socket?.destroy()
  }
}

/** The failure of a body that stopped arriving (see `SocketBody.stall`). */
export class StalledError extends Error {
  constructor() {
    super("no data within the idle timeout")
  }
}

const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/

const headEnd = (bytes: Uint8Array, from: number, to: number): number => {
  for (let i = Math.max(3, from); i < to; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) return i + 1
  }
  return -1
}

/** A parsed head, or the reason it is refused. */
const parseHead = (text: string) => {
  const lines = text.split("\r\n")
  const status = statusLine.exec(lines[0] ?? "")
  if (status === null) {
    return `the server did not answer with HTTP/1.1 (${JSON.stringify((lines[0] ?? "").slice(0, 40))})`
  }
  const headers: Array<[string, string]> = []
  for (const line of lines.slice(1)) {
    if (line === "") continue
    const colon = line.indexOf(":")
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) return "the server sent a malformed header line"
    headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()])
  }
  return { http10: status[1] === "0", status: Number(status[2]), statusText: status[3] ?? "", headers }
}

/** How the body of a head is framed, or the reason it cannot be read. */
const framing = (
  head: { readonly status: number; readonly headers: ReadonlyArray<[string, string]> },
  method: string
):
  | { readonly _tag: "None" }
  | { readonly _tag: "Length"; readonly length: number }
  | {
    readonly _tag: "Chunked"
  }
  | { readonly _tag: "Close" }
  | string =>
{
  const values = (name: string) => head.headers.filter(([k]) => k === name).map(([, v]) => v)
  const te = values("transfer-encoding").flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase())
    .filter((v) => v.length > 0)
  const lengths = values("content-length").flatMap((v) => v.split(",")).map((v) => v.trim())
  if (method === "HEAD" || head.status === 204 || head.status === 304) return { _tag: "None" }
  if (te.length > 0) {
    if (lengths.length > 0) return "the server sent both Transfer-Encoding and Content-Length"
    if (te.at(-1) !== "chunked" || te.length > 1) {
      return `the server used a transfer coding not supported (${te.join(", ")})`
    }
    return { _tag: "Chunked" }
  }
  if (lengths.length > 0) {
    if (!lengths.every((l) => /^\d{1,15}$/.test(l))) {
      return `the server sent an invalid Content-Length (${lengths.join(", ")})`
    }
    if (new Set(lengths.map(Number)).size > 1) {
      return `the server sent conflicting Content-Lengths (${lengths.join(", ")})`
    }
    return { _tag: "Length", length: Number(lengths[0]) }
  }
  return { _tag: "Close" }
}

const hexDigit = (
  b: number
) => (b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : -1)

/** The largest chunk-size line (size and extensions) or trailer section accepted. */
const maxLine = 8 * 1024

/** Decodes `Transfer-Encoding: chunked` in place, as bytes arrive; throws on a malformed body. */
export class Dechunker {
  private state: "size" | "ext" | "sizeLf" | "data" | "dataCr" | "dataLf" | "trailer" | "trailerLf" | "done" = "size"
  private size = 0
  private digits = 0
  private left = 0
  private lineLength = 0
  private lineEmpty = true
  private trailerBytes = 0
  get done(): boolean {
    return this.state === "done"
  }
  /** Moves the payload in `block[from, to)` down to `out`; returns the new end of the payload. */
  decode(block: Uint8Array, from: number, to: number, out: number): number {
    let i = from
    while (i < to && this.state !== "done") {
      const b = block[i]!
      switch (this.state) {
        case "size": {
          const digit = hexDigit(b)
          if (digit >= 0) {
            if (++this.digits > 12) throw new Error("the server sent a chunk size too large")
            this.size = this.size * 16 + digit
          } else if (this.digits === 0) throw new Error("the server sent a malformed chunk size")
          else if (b === 13) this.state = "sizeLf"
          else if (b === 59 || b === 32 || b === 9) this.state = "ext"
          else throw new Error("the server sent a malformed chunk size")
          i++
          break
        }
        case "ext":
          if (++this.lineLength > maxLine) throw new Error("the server sent a chunk extension too long")
          if (b === 13) this.state = "sizeLf"
          i++
          break
        case "sizeLf":
          if (b !== 10) throw new Error("the server sent a chunk size line without CRLF")
          this.left = this.size
          this.size = 0
          this.digits = 0
          this.lineLength = 0
          this.state = this.left === 0 ? "trailer" : "data"
          this.lineEmpty = true
          i++
          break
        case "data": {
          const n = Math.min(this.left, to - i)
          if (out !== i) block.copyWithin(out, i, i + n)
          out += n
          i += n
          this.left -= n
          if (this.left === 0) this.state = "dataCr"
          break
        }
        case "dataCr":
          if (b !== 13) throw new Error("the server sent a chunk longer than its size")
          this.state = "dataLf"
          i++
          break
        case "dataLf":
          if (b !== 10) throw new Error("the server sent a chunk without CRLF after its data")
          this.state = "size"
          i++
          break
        case "trailer":
          // Trailer lines until an empty one.
          if (++this.trailerBytes > maxLine) throw new Error("the server sent trailers too long")
          if (b === 13) this.state = "trailerLf"
          else this.lineEmpty = false
          i++
          break
        case "trailerLf":
          if (b !== 10) throw new Error("the server sent a trailer line without CRLF")
          this.state = this.lineEmpty ? "done" : "trailer"
          this.lineEmpty = true
          i++
          break
      }
    }
    return out
  }
}

/**
 * Sends `GET url` (or `HEAD`) on a new connection (closed after the response) and resolves with
 * the head of the final response once it has arrived; the body follows into blocks of `blockSize`.
 */
export const blockGet = (
  url: URL,
  headers: Readonly<Record<string, string>>,
  options: {
    readonly tls: TlsOptions
    readonly signal?: AbortSignal | undefined
    readonly blockSize?: number | undefined
    readonly method?: "GET" | "HEAD" | undefined
  }
): Promise<BlockResponse> =>
  new Promise((resolve, reject) => {
    const method = options.method ?? "GET"
    const body = new SocketBody(options.blockSize ?? 1024 * 1024)
    const headBuffer = new Uint8Array(maxHeadSize)
    let headAt = 0
    let head = true
    // Payload bytes still to come, -1 when the body ends with the connection.
    let remaining = -1
    let dechunk: Dechunker | undefined
    let finished = false
    let settled = false
    // Bytes received into `body.block` past `body.filled` not yet accounted for.
    let at = 0
    const signal = options.signal
    const abort = () => fail(new Error("the request was aborted"))
    const fail = (error: Error) => {
      signal?.removeEventListener("abort", abort)
      if (finished) return
      finished = true
      socket.destroy()
      if (!settled) {
        settled = true
        reject(error)
      } else {
        // A body already ended as stalled (`SocketBody.stall`) keeps that reason, not the close it caused.
        body.failure ??= error
        body.notify()
      }
    }
    const finish = () => {
      signal?.removeEventListener("abort", abort)
      finished = true
      body.ended = true
      socket.destroy()
      body.notify()
    }
    /** Accounts for payload bytes `block[from, at)`; hands the block on when full or at the end. */
    const account = (from: number): boolean => {
      const block = body.block!
      if (dechunk !== undefined) {
        try {
          body.filled = dechunk.decode(block, from, at, body.filled)
        } catch (e) {
          fail(e as Error)
          return false
        }
      } else {
        const n = remaining >= 0 ? Math.min(at - from, remaining) : at - from
        body.filled = from + n
        if (remaining >= 0) remaining -= n
      }
      at = body.filled
      if (remaining === 0 || dechunk?.done === true) {
        finish()
        return false
      }
      if (body.filled < block.byteLength) return true
      body.queue.push(block)
      body.block = body.nextBlock()
      body.filled = 0
      at = 0
      body.notify()
      if (body.queue.length >= readAhead) {
        body.paused = true
        return false
      }
      return true
    }
    /** Starts the body with the bytes read past the head. */
    const startBody = (rest: Uint8Array): boolean => {
      body.block = body.nextBlock()
      let offset = 0
      while (offset < rest.byteLength && !finished) {
        const n = Math.min(rest.byteLength - offset, body.block.byteLength - at)
        body.block.set(rest.subarray(offset, offset + n), at)
        const from = at
        at += n
        offset += n
        account(from)
      }
      return !finished && body.queue.length < readAhead
    }
    const onHead = (n: number): boolean => {
      headAt += n
      for (;;) {
        const end = headEnd(headBuffer, 0, headAt)
        if (end === -1) {
          if (headAt === headBuffer.byteLength) {
            fail(new Error(`the server sent a response head over ${maxHeadSize / 1024} KiB`))
          }
          return !finished
        }
        const parsed = parseHead(new TextDecoder("latin1").decode(headBuffer.subarray(0, end - 4)))
        if (typeof parsed === "string") {
          fail(new Error(parsed))
          return false
        }
        const rest = headBuffer.slice(end, headAt)
        if (parsed.status >= 100 && parsed.status < 200) {
          if (parsed.status === 101) {
            fail(new Error("the server switched protocols (101), which was not asked for"))
            return false
          }
          // An interim answer (100 Continue, 103 Early Hints): the final one follows.
          headBuffer.set(rest, 0)
          headAt = rest.byteLength
          continue
        }
        const frame = framing(parsed, method)
        if (typeof frame === "string") {
          fail(new Error(frame))
          return false
        }
        head = false
        settled = true
        resolve({ status: parsed.status, statusText: parsed.statusText, headers: parsed.headers, body })
        if (frame._tag === "None" || (frame._tag === "Length" && frame.length === 0)) {
          finish()
          return false
        }
        if (frame._tag === "Chunked") dechunk = new Dechunker()
        else if (frame._tag === "Length") remaining = frame.length
        return startBody(rest)
      }
    }
    const connect = {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      onread: {
        // After the end (a 204, a finished body) a last read may still be under way: it lands in
        // the head buffer and is dropped.
        buffer: () =>
          head || finished || body.block === undefined
            ? headBuffer.subarray(head ? headAt : 0)
            : body.block.subarray(at),
        callback: (n: number): boolean => {
          if (finished) return false
          body.lastReceived = Date.now()
          if (head) return onHead(n)
          const from = at
          at += n
          return account(from)
        }
      }
    }
    const socket: Net.Socket = url.protocol === "https:"
      ? Tls.connect({
        ...connect,
        servername: Net.isIP(connect.host) ? undefined : connect.host,
        rejectUnauthorized: options.tls.rejectUnauthorized,
        ...(options.tls.ca ? { ca: options.tls.ca } : {}),
        ...(options.tls.cert ? { cert: options.tls.cert } : {}),
        ...(options.tls.key ? { key: options.tls.key } : {})
      })
      : Net.connect(connect)
    body.socket = socket
    socket.setNoDelay(true)
    const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`]
    for (const [name, value] of Object.entries(headers)) {
      if (name !== "host" && name !== "connection" && name !== "content-length") lines.push(`${name}: ${value}`)
    }
    lines.push("connection: close", "", "")
    socket.write(lines.join("\r\n"))
    socket.on("error", (error) => fail(error))
    socket.on("close", () => {
      if (finished) return
      if (!head && remaining === -1 && dechunk === undefined) finish()
      else fail(new Error("the connection closed before the body ended"))
    })
    if (signal !== undefined) {
      if (signal.aborted) abort()
      else signal.addEventListener("abort", abort, { once: true })
    }
  })
