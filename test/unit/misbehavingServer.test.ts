/** The scriptable misbehaving server (test/support) does what its scripts say, byte for byte. */
import * as Net from "node:net"
import { describe, expect, it } from "vitest"
import * as MisbehavingServer from "../support/misbehavingServer.js"

/** Sends raw request bytes and collects what comes back until the server closes or `ms` pass. */
const exchange = (port: number, host: string, request: string, ms = 300, until?: RegExp): Promise<string> =>
  new Promise((resolve) => {
    const socket = Net.connect(port, host)
    const parts: Array<Buffer> = []
    socket.on("data", (b: Buffer) => {
      parts.push(b)
      // A reply on a connection kept open: done once it is in, not after a fixed wait.
      if (until?.test(Buffer.concat(parts).toString("latin1"))) done()
    })
    const done = () => {
      socket.destroy()
      resolve(Buffer.concat(parts).toString("latin1"))
    }
    socket.on("close", done)
    socket.on("error", done)
    setTimeout(done, ms)
    socket.write(request)
  })

describe("MisbehavingServer", () => {
  it("answers scripted replies: interim 1xx, JSON, chunked, a lying Content-Length", async () => {
    const server = await MisbehavingServer.start()
    try {
      server.on("GET", "/a", { interim: [{ status: 100 }], json: { x: 1 } })
      server.on("GET", "/b", { body: "hello", framing: "chunked" })
      server.on("GET", "/c", { body: "short", headers: { "Content-Length": "100" } })
      const a = await exchange(server.port, server.host, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(a).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/)
      expect(a.endsWith("{\"x\":1}")).toBe(true)
      const b = await exchange(server.port, server.host, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(b).toContain("Transfer-Encoding: chunked")
      expect(b.endsWith("5\r\nhello\r\n0\r\n\r\n")).toBe(true)
      const c = await exchange(server.port, server.host, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(c).toContain("Content-Length: 100\r\n")
      expect(c.endsWith("\r\n\r\nshort")).toBe(true)
      const missing = await exchange(server.port, server.host, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(missing).toMatch(/^HTTP\/1\.1 404 /)
    } finally {
      await server.close()
    }
  })

  it("cuts, stalls and streams endless bodies without holding them", async () => {
    const server = await MisbehavingServer.start()
    try {
      server.on("GET", "/cut", { body: { size: 1000 }, cutAfter: 10 })
      server.on("GET", "/stall", { body: { size: 1000 }, stallAfter: 7 })
      server.on("GET", "/endless", { body: { endless: true }, framing: "close" })
      const cut = await exchange(server.port, server.host, "GET /cut HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(cut.endsWith("\r\n\r\n" + "a".repeat(10))).toBe(true)
      const stall = await exchange(server.port, server.host, "GET /stall HTTP/1.1\r\nHost: x\r\n\r\n", 200)
      expect(stall.endsWith("\r\n\r\n" + "a".repeat(7))).toBe(true)
      const endless = await exchange(server.port, server.host, "GET /endless HTTP/1.1\r\nHost: x\r\n\r\n", 200)
      expect(endless.length).toBeGreaterThan(100_000)
      expect(server.bytesSent).toBeGreaterThan(100_000)
    } finally {
      await server.close()
    }
  })

  it("listens on another loopback address and records which server got each request", async () => {
    const other = await MisbehavingServer.start({ host: "127.0.0.2" })
    try {
      other.on(undefined, /.*/, { status: 204 })
      const reply = await exchange(
        other.port,
        other.host,
        "DELETE /v2/x?y=1 HTTP/1.1\r\nHost: x\r\nX-Auth-Token: t\r\n\r\n",
        30_000,
        /^HTTP\/1\.1 204 .*\r\n\r\n/s
      )
      expect(reply).toMatch(/^HTTP\/1\.1 204 /)
      expect(other.requests).toHaveLength(1)
      expect(other.requests[0]).toMatchObject({
        method: "DELETE",
        path: "/v2/x",
        server: `127.0.0.2:${other.port}`,
        headers: { "x-auth-token": "t" }
      })
      expect(other.requests[0]!.query.get("y")).toBe("1")
    } finally {
      await other.close()
    }
  })
})
