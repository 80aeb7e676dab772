import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import * as Net from "node:net"
import type { AddressInfo } from "node:net"
import { BlockPool } from "../../src/internal/bytes.js"
import { fromNodeReadable } from "../../src/internal/nodeBody.js"
import { blockGet } from "../../src/node/blockGet.js"

const tls = { rejectUnauthorized: true }

/** Runs `f` against a loopback server answering with `handler`. */
const withServer = async <A>(
  handler: (request: Http.IncomingMessage, response: Http.ServerResponse) => void,
  f: (url: string, seen: Array<Http.IncomingMessage>) => Promise<A>
): Promise<A> => {
  const seen: Array<Http.IncomingMessage> = []
  const server = Http.createServer((request, response) => {
    seen.push(request)
    handler(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  try {
    return await f(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

/** Runs `f` against a raw TCP server that writes `reply` and closes. */
const withRawServer = async <A>(reply: Array<Buffer>, f: (url: string) => Promise<A>): Promise<A> => {
  const server = Net.createServer((socket) => {
    socket.once("data", async () => {
      for (const part of reply) {
        socket.write(part)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      socket.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  try {
    return await f(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

const collect = async (body: AsyncIterable<unknown>): Promise<Array<Uint8Array>> => {
  const blocks: Array<Uint8Array> = []
  for await (const block of body) blocks.push(block as Uint8Array)
  return blocks
}

const data = Crypto.randomBytes(5 * 65536 + 123)

describe("blockGet", () => {
  it("reads a Content-Length body into whole blocks and sends the request's headers", async () => {
    await withServer((_, response) => {
      response.writeHead(200, { "content-length": data.byteLength, "x-openstack-request-id": "req-1" })
      response.end(data)
    }, async (url, seen) => {
      const head = await blockGet(new URL(`${url}/v2/images/x/file?a=1`), { "x-auth-token": "t" }, {
        tls,
        blockSize: 65536
      })
      expect(head.status).toBe(200)
      expect(head.headers).toContainEqual(["x-openstack-request-id", "req-1"])
      const blocks = await collect(head.body)
      expect(blocks.map((b) => b.byteLength)).toEqual([65536, 65536, 65536, 65536, 65536, 123])
      expect(Buffer.concat(blocks).equals(data)).toBe(true)
      expect(seen[0]!.url).toBe("/v2/images/x/file?a=1")
      expect(seen[0]!.headers["x-auth-token"]).toBe("t")
    })
  })

  it("decodes a chunked body", async () => {
    await withServer((_, response) => {
      response.writeHead(200, { "content-type": "application/octet-stream" })
      for (let at = 0; at < data.byteLength; at += 10_000) response.write(data.subarray(at, at + 10_000))
      response.end()
    }, async (url) => {
      const head = await blockGet(new URL(url), {}, { tls, blockSize: 65536 })
      const blocks = await collect(head.body)
      expect(Buffer.concat(blocks).equals(data)).toBe(true)
      expect(blocks.slice(0, -1).every((b) => b.byteLength === 65536)).toBe(true)
    })
  })

  it("takes its blocks from the consumer's pool", async () => {
    await withServer((_, response) => {
      response.writeHead(200, { "content-length": data.byteLength })
      response.end(data)
    }, async (url) => {
      const head = await blockGet(new URL(url), {}, { tls, blockSize: 65536 })
      const pool = new BlockPool(65536, 4)
      const handedOut = new Set<Uint8Array>()
      const take = pool.take.bind(pool)
      pool.take = () => {
        const block = take()
        handedOut.add(block)
        return block
      }
      head.body.useBlocks(pool)
      const hash = Crypto.createHash("sha256")
      let fromPool = 0
      for await (const block of head.body) {
        hash.update(block as Uint8Array)
        if (handedOut.has(block as Uint8Array)) fromPool++
        pool.release(block as Uint8Array)
      }
      expect(hash.digest("hex")).toBe(Crypto.createHash("sha256").update(data).digest("hex"))
      expect(fromPool).toBeGreaterThan(0)
    })
  })

  it("reads a head split across reads, and a small error body", async () => {
    const body = JSON.stringify({ message: "no such image" })
    await withRawServer(
      [
        Buffer.from("HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-len"),
        Buffer.from(`gth: ${body.length}\r\n\r\n${body.slice(0, 5)}`),
        Buffer.from(body.slice(5))
      ],
      async (url) => {
        const head = await blockGet(new URL(url), {}, { tls })
        expect(head.status).toBe(404)
        expect(head.statusText).toBe("Not Found")
        expect(Buffer.concat(await collect(head.body)).toString()).toBe(body)
      }
    )
  })

  it("fails the body when the connection closes before Content-Length bytes arrived", async () => {
    await withRawServer(
      [Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n"), Buffer.alloc(400, 1)],
      async (url) => {
        const head = await blockGet(new URL(url), {}, { tls })
        await expect(collect(head.body)).rejects.toThrow("the connection closed before the body ended")
      }
    )
  })

  it("fails with the connection error when nothing listens", async () => {
    const server = Net.createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise((resolve) => server.close(resolve))
    await expect(blockGet(new URL(`http://127.0.0.1:${port}/`), {}, { tls })).rejects.toMatchObject({
      code: "ECONNREFUSED"
    })
  })

  it("stops reading when aborted", async () => {
    await withServer((_, response) => {
      response.writeHead(200, { "content-length": data.byteLength })
      response.write(data.subarray(0, 1000))
    }, async (url) => {
      const controller = new AbortController()
      const head = await blockGet(new URL(url), {}, { tls, signal: controller.signal })
      controller.abort()
      await expect(collect(head.body)).rejects.toThrow("aborted")
    })
  })

  it("a slow body that has not filled a block yet is not idle; a stalled one is", async () => {
    const drip = (stopAfter: number) => (_: Http.IncomingMessage, response: Http.ServerResponse) => {
      response.writeHead(200, { "content-length": 2000 })
      let sent = 0
      const timer = setInterval(() => {
        if (sent >= stopAfter) return clearInterval(timer)
        response.write(Buffer.alloc(100, 7))
        sent += 100
        if (sent === 2000) {
          clearInterval(timer)
          response.end()
        }
      }, 30)
      response.on("close", () => clearInterval(timer))
    }
    const read = (url: string) =>
      Effect.runPromise(
        Effect.gen(function*() {
          const head = yield* Effect.promise(() => blockGet(new URL(url), {}, { tls, blockSize: 65536 }))
          const body = fromNodeReadable(head.body, (failure) => failure._tag, { idleTimeout: 250 })
          return yield* Stream.runFold(body, 0, (n, b) => n + b.byteLength)
        }).pipe(Effect.either)
      )
    // 2,000 bytes over ~600 ms, 100 bytes every 30 ms: never 250 ms without data.
    expect(await withServer(drip(2000), read)).toMatchObject({ _tag: "Right", right: 2000 })
    // 300 bytes, then nothing.
    expect(await withServer(drip(300), read)).toMatchObject({ _tag: "Left", left: "Stalled" })
  })
})
