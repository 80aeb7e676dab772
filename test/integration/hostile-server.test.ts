/**
 * The `glance` command against a misbehaving server (test/support/misbehavingServer.ts), in the
 * token + image URL mode: what a real Glance never does. Each case ends in one line on stderr
 * that says what the server did wrong, exit 1, and no request to a second host (127.0.0.2).
 * Needs `npm run build` first; no lab.
 */
import { assert, describe, it } from "@effect/vitest"
import type { RunResult } from "../support/lab.js"
import { runGlance } from "../support/lab.js"
import * as MS from "../support/misbehavingServer.js"
import { serverPair } from "../support/serverPair.js"

const token = "tok-SECRET-cli-hostile-0123"
const id = "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01"
const MiB = 1024 * 1024

const servers = serverPair()
/** Our glance with a token and the misbehaving server as image endpoint. */
const glance = (args: ReadonlyArray<string>, globals: ReadonlyArray<string> = []) =>
  runGlance(undefined, ["--os-auth-token", token, "--os-image-url", servers.server.url, ...globals, ...args], {
    timeout: 60_000
  })

/** The one line of a failed command. */
const failedWith = (result: RunResult): string => {
  assert.strictEqual(result.status, 1, `exit ${result.status}; stderr: ${result.stderr}`)
  assert.strictEqual(result.stdout, "")
  const lines = result.stderr.split("\n").filter((l) => l.length > 0)
  assert.lengthOf(lines, 1, result.stderr)
  assert.notInclude(result.stderr, token)
  return lines[0]!
}

const requestsTo = (s: MS.MisbehavingServer, method: string, path: string) =>
  s.requests.filter((r) => r.method === method && r.path === path)

describe("glance against a misbehaving server", () => {
  describe("links", () => {
    it("image-list: a next on another host is refused, naming it; the token never goes there", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", {
        json: { images: [MS.image()], next: `${servers.other.url}/v2/images?marker=x` }
      })
      const line = failedWith(await glance(["image-list"]))
      assert.strictEqual(
        line,
        `GET ${servers.server.url}/v2/images answered a next link "${servers.other.url}/v2/images?marker=x" that is refused: it leads to ${servers.other.url}, not ${servers.server.url} (nothing was sent there; links are followed only on ${servers.server.url}/)`
      )
      assert.lengthOf(servers.other.requests, 0)
    })

    it("image-list: the issue's \"@127.0.0.2:PORT/…\" next never reaches the second host", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", {
        json: { images: [MS.image()], next: `@${servers.other.host}:${servers.other.port}/v2/images?marker=x` }
      })
      const result = await glance(["image-list"])
      assert.strictEqual(result.status, 1)
      assert.lengthOf(servers.other.requests, 0)
      assert.lengthOf(requestsTo(servers.server, "GET", `/@${servers.other.host}:${servers.other.port}/v2/images`), 1)
    })

    it("image-list: an absolute next on the endpoint is followed", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", (r) => ({
        json: r.query.get("marker") === null
          ? { images: [MS.image({ id: "i-1", name: "first" })], next: `${servers.server.url}/v2/images?marker=i-1` }
          : { images: [MS.image({ id: "i-2", name: "second" })] }
      }))
      const result = await glance(["image-list"])
      assert.strictEqual(result.status, 0, result.stderr)
      assert.include(result.stdout, "first")
      assert.include(result.stdout, "second")
      assert.lengthOf(requestsTo(servers.server, "GET", "/v2/images"), 2)
    })

    it("image-show: a redirect to another host is refused naming it, not a schema dump", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", `/v2/images/${id}`, {
        status: 302,
        headers: { Location: `${servers.other.url}/v2/images/${id}` }
      })
      const line = failedWith(await glance(["image-show", id]))
      assert.include(line, `answered 302, a redirect to "${servers.other.url}/v2/images/${id}", refused: it leads to`)
      assert.isBelow(line.length, 400)
      assert.lengthOf(servers.other.requests, 0)
    })
  })

  describe("statuses", () => {
    it("image-delete answered 302: exit 1 naming the Location, not a silent success", async () => {
      MS.fakeGlance(servers.server, [MS.image()])
      servers.server.first("DELETE", `/v2/images/${id}`, { status: 302, headers: { Location: "/somewhere/else" } })
      const result = await glance(["image-delete", id])
      assert.strictEqual(result.status, 1, result.stderr)
      assert.include(
        result.stderr,
        `DELETE ${servers.server.url}/v2/images/${id} answered 302, a redirect to "/somewhere/else", which is not followed for a DELETE request`
      )
      assert.lengthOf(requestsTo(servers.server, "GET", "/somewhere/else"), 0)
    })

    it("100 Continue before the answer is skipped", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", {
        interim: [{ status: 100 }],
        json: { images: [MS.image({ name: "seen" })] }
      })
      const result = await glance(["image-list"])
      assert.strictEqual(result.status, 0, result.stderr)
      assert.include(result.stdout, "seen")
    })
  })

  describe("bounds", () => {
    it("a JSON answer over --max-response-size is refused naming the cap", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", {
        headers: { "Content-Type": "application/json" },
        body: { size: 3 * MiB, fill: 0x20 }
      })
      const line = failedWith(await glance(["image-list"], ["--max-response-size", "1"]))
      assert.strictEqual(
        line,
        `GET ${servers.server.url}/v2/images answered more than 1 MiB, the cap on an answer that is not image data (set maxResponseSize, --max-response-size in the CLI, to allow more)`
      )
    })

    it("the default cap is 16 MiB", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", {
        headers: { "Content-Type": "application/json" },
        body: { size: 17 * MiB, fill: 0x20 }
      })
      const line = failedWith(await glance(["image-list"]))
      assert.include(line, "answered more than 16 MiB, the cap")
    })

    it("--max-response-size that is not a whole number of MiB is refused before any request", async () => {
      MS.fakeGlance(servers.server)
      const line = failedWith(await glance(["image-list"], ["--max-response-size", "0.5"]))
      assert.strictEqual(line, `--max-response-size must be a whole number of MiB (at least 1), not "0.5"`)
      assert.lengthOf(servers.server.requests, 0)
    })

    it("a big HTML error page gives one line with what it says", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", `/v2/images/${id}`, {
        status: 500,
        headers: { "Content-Type": "text/html" },
        body: `<html><body><h1>500</h1>Proxy exploded${" ".repeat(8 * MiB)}</body></html>`
      })
      const line = failedWith(await glance(["image-show", id], ["--timeout", "5"]))
      assert.match(line, /^HTTP 500 Internal Server Error: 500 Proxy exploded/)
      assert.isBelow(line.length, 600)
    })

    it("import-info --timeout 1 with a stalled /versions ends within the timeout", async () => {
      servers.server.on("GET", "/versions", { hang: true })
      const line = failedWith(await glance(["import-info"], ["--timeout", "1"]))
      assert.strictEqual(line, `The Image API at ${servers.server.url}/versions did not answer within 1s`)
    })

    it("a stalled Identity service ends within --timeout", async () => {
      servers.server.on("POST", "/v3/auth/tokens", { hang: true })
      const result = await runGlance(undefined, [
        "--os-auth-url",
        `${servers.server.url}/v3`,
        "--os-username",
        "alice",
        "--os-password",
        "pw-SECRET-cli",
        "--os-project-name",
        "p",
        "--timeout",
        "1",
        "image-list"
      ], { timeout: 60_000 })
      const line = failedWith(result)
      assert.strictEqual(line, `The Identity service at ${servers.server.url}/v3/auth/tokens did not answer within 1s`)
      assert.notInclude(result.stderr, "pw-SECRET-cli")
    })

    it("a listing that stalls ends after --timeout x attempts, naming them", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", { hang: true })
      const line = failedWith(await glance(["image-list"], ["--timeout", "1"]))
      assert.strictEqual(
        line,
        `The Image API at ${servers.server.url}/v2/images did not answer within 1s (after 4 attempts)`
      )
      assert.lengthOf(requestsTo(servers.server, "GET", "/v2/images"), 4)
    })
  })

  describe("pagination", () => {
    it("a next that points to itself: one line, after one request", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", (r) => ({ json: { images: [MS.image()], next: r.url } }))
      const line = failedWith(await glance(["image-list"]))
      const first = requestsTo(servers.server, "GET", "/v2/images")[0]!
      assert.strictEqual(
        line,
        `GET ${servers.server.url}/v2/images answered a next link that was requested before, "${servers.server.url}${first.url}": the listing would never end`
      )
      assert.lengthOf(requestsTo(servers.server, "GET", "/v2/images"), 1)
    })
  })

  describe("every service family", () => {
    it("task-list: a next on another host is refused; nothing is sent there", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/tasks", {
        json: { tasks: [{ id: "t-1", type: "import", status: "success" }], next: `${servers.other.url}/v2/tasks` }
      })
      const line = failedWith(await glance(["task-list"]))
      assert.include(line, `answered a next link "${servers.other.url}/v2/tasks" that is refused`)
      assert.lengthOf(servers.other.requests, 0)
    })

    it("md-namespace-list: a next that points to itself is stopped after one request", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/metadefs/namespaces", (r) => ({
        json: { namespaces: [{ namespace: "ns-1" }], next: r.url }
      }))
      const line = failedWith(await glance(["md-namespace-list"]))
      assert.include(line, "answered a next link that was requested before")
      assert.lengthOf(requestsTo(servers.server, "GET", "/v2/metadefs/namespaces"), 1)
    })

    it("member-delete answered 302: exit 1 naming the Location, nothing followed", async () => {
      MS.fakeGlance(servers.server, [MS.image()])
      servers.server.on("DELETE", `/v2/images/${id}/members/p-1`, { status: 302, headers: { Location: "/x" } })
      const line = failedWith(await glance(["member-delete", id, "p-1"]))
      assert.include(line, `answered 302, a redirect to "/x", which is not followed for a DELETE request`)
      assert.lengthOf(requestsTo(servers.server, "GET", "/x"), 0)
    })

    it("cache-queue answered 302: exit 1, nothing followed", async () => {
      MS.fakeGlance(servers.server, [MS.image()])
      servers.server.on("PUT", `/v2/cache/${id}`, { status: 302, headers: { Location: `${servers.other.url}/x` } })
      const result = await glance(["cache-queue", id])
      assert.strictEqual(result.status, 1, result.stderr)
      assert.lengthOf(servers.other.requests, 0)
      assert.lengthOf(requestsTo(servers.server, "PUT", `/v2/cache/${id}`), 1)
    })

    it("explain image: the schema redirected to another host is refused; nothing is sent there", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/schemas/image", {
        status: 302,
        headers: { Location: `${servers.other.url}/v2/schemas/image` }
      })
      const line = failedWith(await glance(["explain", "image"]))
      assert.include(line, `a redirect to "${servers.other.url}/v2/schemas/image", refused`)
      assert.lengthOf(servers.other.requests, 0)
    })

    it("import-info: an answer over the cap is refused naming it", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/info/import", {
        headers: { "Content-Type": "application/json" },
        body: { size: 2 * MiB, fill: 0x20 }
      })
      const line = failedWith(await glance(["import-info"], ["--max-response-size", "1"]))
      assert.include(line, `GET ${servers.server.url}/v2/info/import answered more than 1 MiB, the cap`)
    })
  })

  describe("errors", () => {
    it("a body that does not decode names the field, on one short line", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", `/v2/images/${id}`, { json: MS.image({ status: 5 }) })
      const line = failedWith(await glance(["image-show", id]))
      assert.strictEqual(
        line,
        `GET ${servers.server.url}/v2/images/${id} answered a body that is not what the Image API documents: status: expected string, not 5`
      )
    })

    it("an answer that is not valid HTTP is said in words", async () => {
      MS.fakeGlance(servers.server)
      servers.server.on("GET", "/v2/images", { raw: "HTTP/1.1 200 OK\r\nContent-Length: twelve\r\n\r\n{}" })
      const line = failedWith(await glance(["image-list"], ["--timeout", "2"]))
      assert.notMatch(line, /HPE_|ERR_/)
      assert.include(line, "the server's Content-Length is not valid")
    })
  })
})
