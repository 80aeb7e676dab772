/**
 * Conformance of the hand-written HTTP/1.1 response reader behind `NodeImageTransport`
 * (src/node/blockGet.ts): framing (Content-Length, chunked with extensions and trailers, close
 * delimited), interim 1xx answers, conflicts and malformed heads refused, oversized heads,
 * aborts, stalls, TLS, and blocks from the reader's pool.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import { BlockPool } from "../../src/internal/bytes.js"
import { blockGet, maxHeadSize } from "../../src/node/blockGet.js"
import { socketStream } from "../../src/node/imageTransport.js"
import * as MisbehavingServer from "../support/misbehavingServer.js"
import { makePki, type Pki, startTlsProxy } from "../support/tlsProxy.js"

const tls = { rejectUnauthorized: true }
const data = Crypto.randomBytes(5 * 65536 + 123)

/** The body read to its end (or failure), with the blocks' sizes. */
const read = async (
  url: string,
  options: { readonly blockSize?: number; readonly idleTimeout?: number; readonly ca?: Buffer } = {}
) => {
  const head = await blockGet(new URL(url), { "x-auth-token": "t" }, {
    tls: options.ca ? { rejectUnauthorized: true, ca: options.ca } : tls,
    blockSize: options.blockSize ?? 65536
  })
  const blocks: Array<Uint8Array> = []
  const result = await Effect.runPromise(Effect.either(Stream.runForEach(
    socketStream(head.body, { idleTimeout: options.idleTimeout }),
    (block) => Effect.sync(() => void blocks.push(block))
  )))
  return {
    status: head.status,
    headers: head.headers,
    bytes: Buffer.concat(blocks),
    sizes: blocks.map((b) => b.byteLength),
    failure: Either.isLeft(result) ? result.left : undefined
  }
}

/** The message of a request refused before its body. */
const refused = (url: string) => blockGet(new URL(url), {}, { tls }).then(() => "accepted", (e: Error) => e.message)

describe("blockGet: an HTTP/1.1 response reader", () => {
  let server: MisbehavingServer.MisbehavingServer
  beforeAll(async () => {
    server = await MisbehavingServer.start()
  })
  afterAll(() => server.close())
  const at = (path: string, reply: MisbehavingServer.Reply) => {
    server.reset()
    server.on("GET", path, reply)
    return `${server.url}${path}`
  }

  it("a Content-Length body arrives in whole blocks (the last shorter), with the request's headers sent", async () => {
    const got = await read(at("/file", { body: data, headers: { "x-openstack-request-id": "req-1" } }))
    expect(got.status).toBe(200)
    expect(got.headers).toContainEqual(["x-openstack-request-id", "req-1"])
    expect(got.sizes).toEqual([65536, 65536, 65536, 65536, 65536, 123])
    expect(got.bytes.equals(data)).toBe(true)
    expect(server.requests[0]!.headers["x-auth-token"]).toBe("t")
    expect(got.failure).toBeUndefined()
  })

  it("a chunked body, dripped in pieces across reads", async () => {
    const got = await read(at("/file", { body: data, framing: "chunked", drip: { bytes: 10_000, everyMs: 1 } }))
    expect(got.bytes.equals(data)).toBe(true)
    expect(got.sizes.slice(0, -1).every((n) => n === 65536)).toBe(true)
  })

  it("chunk extensions and trailers are skipped", async () => {
    const raw = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" +
      "5;name=value;other\r\nhello\r\n6 ; ext\r\n world\r\n0;last\r\nx-trailer: 1\r\nchecksum: abc\r\n\r\n"
    const got = await read(at("/file", { raw }))
    expect(got.bytes.toString()).toBe("hello world")
    expect(got.failure).toBeUndefined()
  })

  for (
    const [name, chunked] of [
      ["a size that is not hex", "zz\r\nhello\r\n0\r\n\r\n"],
      ["a chunk longer than its size", "3\r\nhello\r\n0\r\n\r\n"],
      ["a size line without CRLF", "5\nhello\r\n0\r\n\r\n"]
    ]
  ) {
    it(`a malformed chunked body fails: ${name}`, async () => {
      const got = await read(at("/file", { raw: `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked}` }))
      expect(got.failure?._tag).toBe("BodyBroken")
      expect(String((got.failure as { cause: Error }).cause.message)).toMatch(/chunk/)
    })
  }

  it("a 204 and a Content-Length of 0 end at once, whatever the socket still reads", async () => {
    for (let i = 0; i < 5; i++) {
      const none = await read(at("/file", { status: 204, raw: "HTTP/1.1 204 No Content\r\nx-a: b\r\n\r\ntrailing" }))
      expect([none.status, none.bytes.length, none.failure]).toEqual([204, 0, undefined])
      const empty = await read(at("/file", { body: "" }))
      expect([empty.status, empty.bytes.length, empty.failure]).toEqual([200, 0, undefined])
    }
  })

  it("a body without a length ends with the connection (close-delimited)", async () => {
    const got = await read(at("/file", { body: data, framing: "close" }))
    expect(got.bytes.equals(data)).toBe(true)
    expect(got.failure).toBeUndefined()
  })

  it("interim 1xx answers (100 Continue, 103 Early Hints) are skipped: the final answer is read", async () => {
    const got = await read(at("/file", {
      interim: [{ status: 100 }, { status: 103, headers: { link: "</x>; rel=preload" } }],
      body: "the data"
    }))
    expect(got.status).toBe(200)
    expect(got.bytes.toString()).toBe("the data")
  })

  it("Content-Length conflicts, Content-Length with Transfer-Encoding, and unknown codings are refused", async () => {
    expect(await refused(at("/file", { body: "abc", headers: { "content-length": ["3", "4"] } }))).toMatch(
      "conflicting Content-Lengths (3, 4)"
    )
    expect(await refused(at("/file", { body: "abc", headers: { "content-length": "3, 3" } }))).toBe("accepted")
    expect(await refused(at("/file", { body: "abc", headers: { "content-length": "-3" } }))).toMatch(
      "invalid Content-Length"
    )
    expect(await refused(at("/file", { body: "abc", framing: "chunked", headers: { "content-length": "3" } })))
      .toMatch("both Transfer-Encoding and Content-Length")
    expect(await refused(at("/file", { raw: "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nxx" }))).toMatch(
      "transfer coding not supported (gzip)"
    )
  })

  it("a head over 64 KiB, a malformed status line, or a 101 is refused with one message", async () => {
    const big = { "x-big": "a".repeat(maxHeadSize) }
    expect(await refused(at("/file", { body: "abc", headers: big }))).toMatch("response head over 64 KiB")
    expect(await refused(at("/file", { raw: "ICY 200 OK\r\n\r\nabc" }))).toMatch("did not answer with HTTP/1.1")
    expect(await refused(at("/file", { raw: "HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n" }))).toMatch(
      "switched protocols"
    )
  })

  it("a head split across reads, and a small error body", async () => {
    const body = JSON.stringify({ message: "no such image" })
    const got = await read(at("/file", {
      status: 404,
      json: { message: "no such image" },
      drip: { bytes: 7, everyMs: 2 }
    }))
    expect(got.status).toBe(404)
    expect(got.bytes.toString()).toBe(body)
  })

  it("a connection cut before Content-Length bytes: every byte received is handed on, then the failure", async () => {
    const got = await read(at("/file", { body: data, cutAfter: 100_000 }))
    expect(got.failure?._tag).toBe("BodyBroken")
    expect(got.bytes.length).toBe(100_000)
    expect(got.bytes.equals(data.subarray(0, 100_000))).toBe(true)
  })

  it("nothing listening: the connection error", async () => {
    const gone = await MisbehavingServer.start()
    const url = gone.url
    await gone.close()
    await expect(blockGet(new URL(url), {}, { tls })).rejects.toMatchObject({ code: "ECONNREFUSED" })
  })

  it("an abort stops reading and fails the body", async () => {
    const controller = new AbortController()
    const head = await blockGet(new URL(at("/file", { body: data, stallAfter: 1000 })), {}, {
      tls,
      signal: controller.signal
    })
    controller.abort()
    const result = await Effect.runPromise(Effect.either(Stream.runDrain(socketStream(head.body))))
    expect(Either.isLeft(result) && String((result.left as { cause: Error }).cause?.message)).toMatch("aborted")
  })

  it("a slow body that has not filled a block is not idle; a stalled one is", async () => {
    const slow = await read(at("/file", { body: { size: 2000 }, drip: { bytes: 100, everyMs: 30 } }), {
      idleTimeout: 250
    })
    expect(slow.failure).toBeUndefined()
    expect(slow.bytes.length).toBe(2000)
    const stalled = await read(at("/file", { body: { size: 2000 }, stallAfter: 300 }), { idleTimeout: 250 })
    expect(stalled.failure?._tag).toBe("BodyStalled")
    // What arrived before the stall is handed on first (a resume asks only for the rest).
    expect(stalled.bytes.length).toBe(300)
  })

  it("blocks come from the reader's pool when it offers one", async () => {
    const url = at("/file", { body: data })
    const head = await blockGet(new URL(url), {}, { tls, blockSize: 65536 })
    const pool = new BlockPool(65536, 4)
    const handedOut = new Set<Uint8Array>()
    const take = pool.take.bind(pool)
    const source = {
      blockSize: 65536,
      take: () => {
        const block = take()
        handedOut.add(block)
        return block
      }
    }
    const hash = Crypto.createHash("sha256")
    let fromPool = 0
    await Effect.runPromise(
      Stream.runForEach(socketStream(head.body, { blocks: source }), (block) =>
        Effect.sync(() => {
          hash.update(block)
          if (handedOut.has(block)) fromPool++
          pool.release(block)
        }))
    )
    expect(hash.digest("hex")).toBe(Crypto.createHash("sha256").update(data).digest("hex"))
    // The first block may be taken before the reader offers its pool (it holds the bytes read with the head).
    expect(fromPool).toBeGreaterThanOrEqual(4)
    // Reused: far fewer distinct blocks than blocks read.
    expect(handedOut.size).toBeLessThanOrEqual(4)
  })

  describe("over TLS", () => {
    let pki: Pki
    beforeAll(async () => {
      pki = await makePki()
    })
    afterAll(() => pki.remove())

    it("reads the body through a TLS connection verified with the CA; refuses an untrusted one", async () => {
      const proxy = await startTlsProxy(pki, { target: server.url })
      try {
        const url = at("/file", { body: data }).replace(server.url, proxy.url)
        const got = await read(url, { ca: Fs.readFileSync(pki.ca) })
        expect(got.bytes.equals(data)).toBe(true)
        await expect(blockGet(new URL(url), {}, { tls })).rejects.toMatchObject({ code: "SELF_SIGNED_CERT_IN_CHAIN" })
      } finally {
        await proxy.close()
      }
    })
  })
})
