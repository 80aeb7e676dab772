/**
 * Image data straight from the socket into blocks (Node.js only; used by `httpClient.ts`).
 *
 * node:http hands a body over as one fresh 16-64 KiB buffer per socket read: a gibibyte leaves
 * ~17,000 buffers for the garbage collector (measured: 30-50 MiB of dead buffers in RSS at any
 * time, and the copy of every byte into the blocks the hash and the file work on). Here a GET
 * of image data is sent on its own connection whose reads land directly in 1 MiB blocks (the
 * socket's `onread` option), taken from the consumer's `BlockPool` when it offers one, so a
 * download allocates nothing per read and copies nothing.
 *
 * The body is an object-mode `Readable` of whole blocks (the last one may be shorter), with
 * backpressure: when the consumer falls behind, the socket is paused.
 */
import * as Net from "node:net"
import { Readable } from "node:stream"
import * as Tls from "node:tls"
import { allocate } from "../internal/bytes.js"

/** Where blocks come from (a `BlockPool`). */
export interface BlockSupply {
  readonly blockSize: number
  take(): Uint8Array
}

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
  readonly body: BlockBody
}

const headEnd = (bytes: Uint8Array, from: number, to: number): number => {
  for (let i = Math.max(3, from); i < to; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) return i + 1
  }
  return -1
}

const parseHead = (text: string) => {
  const lines = text.split("\r\n")
  const status = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? "")
  if (status === null) return undefined
  const headers: Array<[string, string]> = []
  for (const line of lines.slice(1)) {
    if (line === "") continue
    const colon = line.indexOf(":")
    if (colon <= 0) return undefined
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()])
  }
  return { status: Number(status[1]), statusText: status[2] ?? "", headers }
}

/** Decodes `Transfer-Encoding: chunked` in place, as bytes arrive. */
class Dechunker {
  private state: "size" | "ext" | "sizeLf" | "data" | "dataCr" | "dataLf" | "trailer" | "done" = "size"
  private size = 0
  private left = 0
  private lineEmpty = true
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
          const digit = b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : -1
          if (digit >= 0) this.size = this.size * 16 + digit
          else if (b === 13) this.state = "sizeLf"
          else this.state = "ext"
          i++
          break
        }
        case "ext":
          if (b === 13) this.state = "sizeLf"
          i++
          break
        case "sizeLf":
          this.left = this.size
          this.size = 0
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
          this.state = "dataLf"
          i++
          break
        case "dataLf":
          this.state = "size"
          i++
          break
        case "trailer":
          // Trailer lines until an empty one.
          if (b === 10) {
            if (this.lineEmpty) this.state = "done"
            this.lineEmpty = true
          } else if (b !== 13) this.lineEmpty = false
          i++
          break
      }
    }
    return out
  }
}

/** The body of a `blockGet` response: whole blocks, read straight from the socket. */
export class BlockBody extends Readable {
  /** @internal */
  socket: Net.Socket | undefined
  /** When bytes last arrived (ms): a slow body is alive though it has not filled a block yet. */
  lastReceived = Date.now()
  /** @internal Set by `blockGet`: ends the body and returns the bytes of the block being filled. */
  partial: () => Uint8Array | undefined = () => undefined
  /** After a failure: the bytes received but not handed on (a resumed download asks only for the rest). */
  takeReceived(): Uint8Array | undefined {
    return this.partial()
  }
  private supply: BlockSupply | undefined
  private paused = false
  constructor() {
    super({ objectMode: true, highWaterMark: 2 })
  }
  /** Fills the following blocks from this supply (a `BlockPool`), so they can be reused. */
  useBlocks(supply: BlockSupply): void {
    this.supply = supply
  }
  /** @internal */
  nextBlock(size: number): Uint8Array {
    return this.supply !== undefined && this.supply.blockSize === size ? this.supply.take() : allocate(size)
  }
  /** @internal Hands a block on; false when the consumer is behind (the socket then pauses). */
  deliver(block: Uint8Array): boolean {
    const more = this.push(block)
    if (!more) this.paused = true
    return more
  }
  override _read(): void {
    if (this.paused) {
      this.paused = false
      this.socket?.resume()
    }
  }
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket?.destroy()
    callback(error)
  }
}

/**
 * Sends `GET url` on a new connection (closed after the response) and resolves with the head of
 * the response once it has arrived; the body follows as blocks of `blockSize` bytes.
 */
export const blockGet = (
  url: URL,
  headers: Readonly<Record<string, string>>,
  options: { readonly tls: TlsOptions; readonly signal?: AbortSignal | undefined; readonly blockSize?: number }
): Promise<BlockResponse> =>
  new Promise((resolve, reject) => {
    const blockSize = options.blockSize ?? 1024 * 1024
    const body = new BlockBody()
    // A body nobody reads must not crash the process when its connection breaks.
    body.on("error", () => {})
    let block = allocate(blockSize)
    // Bytes received into `block` (`at`), and of those, payload bytes (`filled`, ≤ at).
    let at = 0
    let filled = 0
    let head = true
    let remaining = -1 // payload bytes still to come, -1 when the body ends with the connection
    let dechunk: Dechunker | undefined
    let finished = false
    let settled = false
    const signal = options.signal
    const abort = () => fail(new Error("the request was aborted"))
    const fail = (error: Error) => {
      signal?.removeEventListener("abort", abort)
      if (!settled) {
        settled = true
        finished = true
        socket.destroy()
        reject(error)
      } else if (!finished) {
        finished = true
        body.destroy(error)
      }
    }
    body.partial = () => {
      if (head || filled === 0) return undefined
      const part = block.subarray(0, filled)
      filled = 0
      finished = true
      socket.destroy()
      return part
    }
    const finish = () => {
      signal?.removeEventListener("abort", abort)
      finished = true
      if (filled > 0) body.push(block.subarray(0, filled))
      body.push(null)
      socket.destroy()
    }
    const received = (n: number): boolean => {
      if (finished) return false
      body.lastReceived = Date.now()
      const from = at
      at += n
      if (head) {
        const end = headEnd(block, from, at)
        if (end === -1) {
          if (at === block.byteLength) fail(new Error("the response head is larger than a block"))
          return true
        }
        const parsed = parseHead(new TextDecoder("latin1").decode(block.subarray(0, end)))
        if (parsed === undefined) {
          fail(new Error("the server did not answer with HTTP/1.1"))
          return false
        }
        head = false
        const header = (name: string) => parsed.headers.find(([k]) => k === name)?.[1]
        const noBody = parsed.status === 204 || parsed.status === 304 || (parsed.status >= 100 && parsed.status < 200)
        if (/chunked/i.test(header("transfer-encoding") ?? "")) dechunk = new Dechunker()
        else if (noBody) remaining = 0
        else if (header("content-length") !== undefined) remaining = Number(header("content-length"))
        block.copyWithin(0, end, at)
        at -= end
        filled = 0
        settled = true
        resolve({ ...parsed, body })
        return deliverFrom(0)
      }
      return deliverFrom(from)
    }
    // Accounts for the bytes `block[from, at)`; hands the block on when full or at the end.
    const deliverFrom = (from: number): boolean => {
      // Invariant between reads: at === filled (bytes past the body are dropped).
      if (dechunk !== undefined) filled = dechunk.decode(block, from, at, filled)
      else {
        const n = remaining >= 0 ? Math.min(at - from, remaining) : at - from
        filled = from + n
        if (remaining >= 0) remaining -= n
      }
      at = filled
      if (remaining === 0 || dechunk?.done === true) {
        finish()
        return false
      }
      if (filled < block.byteLength) return true
      const more = body.deliver(block)
      block = body.nextBlock(blockSize)
      at = 0
      filled = 0
      return more
    }
    const connect = {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      onread: { buffer: () => block.subarray(at), callback: received }
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
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`]
    for (const [name, value] of Object.entries(headers)) {
      if (name !== "host" && name !== "connection") lines.push(`${name}: ${value}`)
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
