/**
 * The request core's rules against a misbehaving server (test/support/misbehavingServer.ts), for
 * every service family of the library: images, tasks, metadefs, members, schemas, info, cache,
 * the endpoint's `/versions` and Keystone. Each rule is asserted by what the user gets (the error,
 * its message) and by what the servers saw: no request to a second host (127.0.0.2), the number
 * of requests, and the bytes the server managed to send (bounded when a body is refused).
 *
 * Rules whose proof needs bodies read as they arrive (caps on endless bodies) run on the
 * platform's streaming clients (NodeHttpClient, FetchHttpClient); the others run on those and on
 * glanceclient/node's own client, which the CLI uses.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Cache from "../../src/Cache.js"
import * as CloudConfig from "../../src/CloudConfig.js"
import * as GlanceClient from "../../src/GlanceClient.js"
import type * as GlanceHttp from "../../src/GlanceHttp.js"
import * as Images from "../../src/Images.js"
import * as Info from "../../src/Info.js"
import * as Keystone from "../../src/Keystone.js"
import * as Members from "../../src/Members.js"
import * as Metadefs from "../../src/Metadefs.js"
import * as NodeGlanceHttp from "../../src/node/httpClient.js"
import * as Schemas from "../../src/Schemas.js"
import * as Tasks from "../../src/Tasks.js"
import * as MS from "../support/misbehavingServer.js"
import { serverPair } from "../support/serverPair.js"

const token = "tok-SECRET-hostile-0123456789"
const password = "pw-SECRET-hostile-9876543210"
const id = "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01"
const MiB = 1024 * 1024

const servers = serverPair()
/** The platform's clients that read bodies as they arrive, and the CLI's own. */
const streaming: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeHttpClient", NodeHttpClient.layer],
  ["FetchHttpClient", FetchHttpClient.layer]
]
const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeHttpClient", NodeHttpClient.layer],
  ["glanceclient/node", NodeGlanceHttp.layer()]
]

type Services = GlanceClient.Services

/** Runs `effect` with the whole client on `http`: a token and the server as image endpoint, unless settings say otherwise. */
const attempt = <A, E>(
  effect: Effect.Effect<A, E, Services>,
  http: Layer.Layer<HttpClient.HttpClient>,
  settings: CloudConfig.Settings = {},
  options: Omit<GlanceHttp.Options, "timeout"> = {}
): Promise<Either.Either<A, E | GlanceClient.LayerError>> =>
  Effect.runPromise(
    Effect.either(
      effect.pipe(
        Effect.provide(
          GlanceClient.layer(
            { token: Redacted.make(token), imageUrl: servers.server.url, timeout: 2, ...settings },
            { retries: 0, retryBase: "10 millis", ...options }
          ).pipe(Layer.provide(Layer.merge(http, GlanceClient.portable.pipe(Layer.provide(http)))))
        )
      )
    )
  )

/** The failure of an attempt that must fail, checked for secrets. */
const failure = <A, E>(result: Either.Either<A, E>): E & { readonly _tag: string; readonly message: string } => {
  if (Either.isRight(result)) assert.fail(`expected a failure, got ${JSON.stringify(result.right).slice(0, 200)}`)
  const error = result.left as E & { readonly _tag: string; readonly message: string }
  for (const secret of [token, password]) {
    assert.notInclude(String(error.message), secret)
    assert.notInclude(JSON.stringify(error), secret)
  }
  assert.notInclude(error.message, "\n")
  return error
}

const requestsTo = (s: MS.MisbehavingServer, method: string, path: string) =>
  s.requests.filter((r) => r.method === method && r.path === path)

/** A service family: one read of it, its path and a good answer, and one write that is not a GET. */
interface Family {
  readonly name: string
  readonly path: string
  readonly good: MS.Reply
  readonly read: Effect.Effect<unknown, unknown, Services>
  readonly write: {
    readonly method: string
    readonly path: string
    readonly run: Effect.Effect<unknown, unknown, Services>
  }
}

const families: ReadonlyArray<Family> = [
  {
    name: "images",
    path: `/v2/images/${id}`,
    good: { json: MS.image() },
    read: Effect.flatMap(Images.Images, (s) => s.get(id)),
    write: { method: "DELETE", path: `/v2/images/${id}`, run: Effect.flatMap(Images.Images, (s) => s.delete(id)) }
  },
  {
    name: "tasks",
    path: "/v2/tasks/t-1",
    good: { json: { id: "t-1", type: "import", status: "success" } },
    read: Effect.flatMap(Tasks.Tasks, (s) => s.get("t-1")),
    write: {
      method: "POST",
      path: "/v2/tasks",
      run: Effect.flatMap(Tasks.Tasks, (s) => s.create({ type: "import", input: {} }))
    }
  },
  {
    name: "metadefs",
    path: "/v2/metadefs/namespaces/ns-1",
    good: { json: { namespace: "ns-1" } },
    read: Effect.flatMap(Metadefs.Metadefs, (s) => s.namespaces.get("ns-1")),
    write: {
      method: "DELETE",
      path: "/v2/metadefs/namespaces/ns-1",
      run: Effect.flatMap(Metadefs.Metadefs, (s) => s.namespaces.delete("ns-1"))
    }
  },
  {
    name: "members",
    path: `/v2/images/${id}/members`,
    good: { json: { members: [] } },
    read: Effect.flatMap(Members.Members, (s) => s.list(id)),
    write: {
      method: "DELETE",
      path: `/v2/images/${id}/members/p-1`,
      run: Effect.flatMap(Members.Members, (s) => s.delete(id, "p-1"))
    }
  },
  {
    name: "schemas",
    path: "/v2/schemas/image",
    good: { json: { name: "image", properties: {} } },
    read: Effect.flatMap(Schemas.Schemas, (s) => s.get("image")),
    write: {
      method: "PUT",
      path: `/v2/cache/${id}`,
      run: Effect.flatMap(Cache.Cache, (s) => s.queue(id))
    }
  },
  {
    name: "info",
    path: "/v2/info/import",
    good: { json: { "import-methods": { value: ["glance-direct"] } } },
    read: Effect.flatMap(Info.Info, (s) => s.importMethods),
    write: {
      method: "POST",
      path: `/v2/images/${id}/actions/deactivate`,
      run: Effect.flatMap(Images.Images, (s) => s.deactivate(id))
    }
  },
  {
    name: "cache",
    path: "/v2/cache",
    good: { json: { cached_images: [], queued_images: [] } },
    read: Effect.flatMap(Cache.Cache, (s) => s.list),
    write: { method: "DELETE", path: "/v2/cache", run: Effect.flatMap(Cache.Cache, (s) => s.clear()) }
  }
]

describe("rule 1: links stay on the endpoint", () => {
  for (const [clientName, http] of clients) {
    describe(clientName, () => {
      for (const family of families) {
        it(`${family.name}: a Location on another host is refused, naming it; nothing is sent there`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, {
            status: 302,
            headers: { Location: `${servers.other.url}${family.path}` }
          })
          const error = failure(await attempt(family.read, http))
          assert.strictEqual(error._tag, "BadResponse")
          assert.include(
            error.message,
            `a redirect to "${servers.other.url}${family.path}", refused: it leads to ${servers.other.url}`
          )
          assert.include(error.message, "nothing was sent there")
          assert.lengthOf(servers.other.requests, 0)
          assert.lengthOf(requestsTo(servers.server, "GET", family.path), 1)
        })

        it(`${family.name}: a Location on the endpoint is followed with the token`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, { status: 302, headers: { Location: `${family.path}?moved=1` } }, {
            times: 1
          })
          servers.server.on("GET", family.path, family.good)
          const result = await attempt(family.read, http)
          assert.isTrue(Either.isRight(result), JSON.stringify(result))
          const seen = requestsTo(servers.server, "GET", family.path)
          assert.deepStrictEqual(seen.map((r) => r.query.get("moved")), [null, "1"])
          assert.strictEqual(seen[1]!.headers["x-auth-token"], token)
        })
      }
    })
  }

  it("a redirect to the endpoint's origin but outside its path prefix is refused", async () => {
    MS.fakeGlance(servers.server)
    servers.server.first("GET", `/image/v2/images/${id}`, { status: 301, headers: { Location: `/v2/images/${id}` } })
    const error = failure(
      await attempt(Effect.flatMap(Images.Images, (s) => s.get(id)), NodeHttpClient.layer, {
        imageUrl: `${servers.server.url}/image`
      })
    )
    assert.strictEqual(error._tag, "BadResponse")
    assert.include(error.message, `its path "/v2/images/${id}" is outside the endpoint's /image/`)
    assert.lengthOf(requestsTo(servers.server, "GET", `/v2/images/${id}`), 0)
  })

  it("a Location with user info is refused and the user info is not repeated", async () => {
    MS.fakeGlance(servers.server)
    servers.server.first("GET", `/v2/images/${id}`, {
      status: 307,
      headers: { Location: `http://admin:hunter2-secret@${servers.server.host}:${servers.server.port}/v2/images/${id}` }
    })
    const error = failure(await attempt(Effect.flatMap(Images.Images, (s) => s.get(id)), NodeHttpClient.layer))
    assert.include(error.message, "it carries user info")
    assert.notInclude(error.message, "hunter2")
    assert.lengthOf(requestsTo(servers.server, "GET", `/v2/images/${id}`), 1)
  })
})

describe("rule 2: only 2xx is success", () => {
  for (const [clientName, http] of clients) {
    describe(clientName, () => {
      for (const family of families) {
        it(`${family.name}: ${family.write.method} answered 302 is an error naming the Location; nothing followed`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first(family.write.method, family.write.path, {
            status: 302,
            headers: { Location: `${family.write.path}/elsewhere` }
          })
          const error = failure(await attempt(family.write.run, http))
          assert.strictEqual(error._tag, "BadResponse")
          assert.strictEqual(
            error.message,
            `${family.write.method} ${servers.server.url}${family.write.path} answered 302, a redirect to "${family.write.path}/elsewhere", which is not followed for a ${family.write.method} request`
          )
          assert.lengthOf(servers.server.requests.filter((r) => r.path.endsWith("/elsewhere")), 0)
        })

        it(`${family.name}: 100 Continue and 103 Early Hints before the answer are skipped`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, { ...family.good, interim: [{ status: 100 }, { status: 103 }] })
          const result = await attempt(family.read, http)
          assert.isTrue(Either.isRight(result), JSON.stringify(result))
        })

        it(`${family.name}: a 300 is not an answer (only /versions answers 300)`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, { status: 300, json: { choices: [] } })
          const error = failure(await attempt(family.read, http))
          assert.strictEqual(error._tag, "BadResponse")
          assert.strictEqual(
            error.message,
            `GET ${servers.server.url}${family.path} answered 300, a redirection that is not followed`
          )
        })
      }
    })
  }

  it("a redirect loop ends after 5 redirects, naming the last Location", async () => {
    MS.fakeGlance(servers.server)
    servers.server.first("GET", `/v2/images/${id}`, { status: 302, headers: { Location: `/v2/images/${id}` } })
    const error = failure(await attempt(Effect.flatMap(Images.Images, (s) => s.get(id)), NodeHttpClient.layer))
    assert.strictEqual(error._tag, "BadResponse")
    assert.include(error.message, `answered 302, a redirect to "/v2/images/${id}", after 5 redirects already`)
    assert.lengthOf(requestsTo(servers.server, "GET", `/v2/images/${id}`), 6)
  })
})

describe("rule 3: bounds", () => {
  for (const [clientName, http] of streaming) {
    describe(clientName, () => {
      for (const family of families) {
        it(`${family.name}: an endless JSON answer stops at the cap, naming it; the body is read no further`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, {
            headers: { "Content-Type": "application/json" },
            body: { endless: true, fill: 0x20 },
            framing: "chunked"
          })
          const error = failure(await attempt(family.read, http, {}, { maxResponseBytes: 256 * 1024 }))
          assert.strictEqual(error._tag, "BadResponse")
          assert.strictEqual(
            error.message,
            `GET ${servers.server.url}${family.path} answered more than 256 KiB, the cap on an answer that is not image data (set maxResponseSize, --max-response-size in the CLI, to allow more)`
          )
          // What the server could push into the socket buffers before the client closed it.
          assert.isBelow(servers.server.bytesSent - servers.sentBefore, 16 * MiB)
        })

        it(`${family.name}: an endless error body is read to a few KiB; the error says what the server said`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, {
            status: 500,
            headers: { "Content-Type": "text/html" },
            body: { endless: true, fill: 0x78 },
            framing: "close"
          })
          const error = failure(await attempt(family.read, http))
          assert.strictEqual(error._tag, "HttpError")
          assert.isBelow(error.message.length, 600)
          assert.isBelow(servers.server.bytesSent - servers.sentBefore, 16 * MiB)
        })
      }

      it("a JSON answer whose Content-Length is over the cap is refused before it is read", async () => {
        MS.fakeGlance(servers.server)
        servers.server.first("GET", "/v2/images", {
          headers: { "Content-Type": "application/json", "Content-Length": String(64 * MiB) },
          body: { size: 64 * MiB, fill: 0x20 },
          drip: { bytes: 64 * 1024, everyMs: 5 }
        })
        const error = failure(
          await attempt(Stream.runDrain(Stream.unwrap(Effect.map(Images.Images, (s) => s.list()))), http)
        )
        assert.strictEqual(error._tag, "BadResponse")
        assert.include(error.message, "answered more than 16 MiB, the cap")
        assert.isBelow(servers.server.bytesSent - servers.sentBefore, 16 * MiB)
      })
    })
  }

  for (const [clientName, http] of clients) {
    describe(clientName, () => {
      for (const family of families) {
        it(`${family.name}: a body that stalls is a TransportError after timeout x attempts`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, {
            headers: { "Content-Type": "application/json", "Content-Length": "100" },
            body: "{\"a\":",
            stallAfter: 5
          })
          const error = failure(await attempt(family.read, http, { timeout: 0.3 }, { retries: 1 }))
          assert.strictEqual(error._tag, "TransportError")
          // A client that reads the body before handing the response on (glanceclient/node's, until it
          // streams) stalls before the head is handed over: the deadline on the answer ends it.
          assert.match(
            error.message,
            clientName === "NodeHttpClient"
              ? /^The answer of the Image API at \S+ stalled: no data for 300ms \(after 2 attempts\)$/
              : /^(The Image API at \S+ did not answer within|The answer of the Image API at \S+ stalled: no data for) 300ms \(after 2 attempts\)$/
          )
          assert.lengthOf(requestsTo(servers.server, "GET", family.path), 2)
        })

        it(`${family.name}: no answer at all is a TransportError after timeout x attempts`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.first("GET", family.path, { hang: true })
          const error = failure(await attempt(family.read, http, { timeout: 0.3 }, { retries: 1 }))
          assert.strictEqual(error._tag, "TransportError")
          assert.strictEqual(
            error.message,
            `The Image API at ${servers.server.url}${family.path} did not answer within 300ms (after 2 attempts)`
          )
          assert.lengthOf(requestsTo(servers.server, "GET", family.path), 2)
        })
      }
    })
  }
})

/** A listing that paginates, with its page shape. */
interface Listing {
  readonly name: string
  readonly path: string
  readonly page: (next: string | undefined, n: number) => unknown
  readonly list: Stream.Stream<unknown, GlanceHttp.GlanceHttpError, Services>
}

const listings: ReadonlyArray<Listing> = [
  {
    name: "images",
    path: "/v2/images",
    page: (next: string | undefined, n: number) => ({ images: [MS.image({ id: `i-${n}` })], next }),
    list: Stream.unwrap(Effect.map(Images.Images, (s) => s.list({ pageSize: 1 })))
  },
  {
    name: "tasks",
    path: "/v2/tasks",
    page: (next: string | undefined, n: number) => ({
      tasks: [{ id: `t-${n}`, type: "import", status: "success" }],
      next
    }),
    list: Stream.unwrap(Effect.map(Tasks.Tasks, (s) => s.list({ pageSize: 1 })))
  },
  {
    name: "metadefs namespaces",
    path: "/v2/metadefs/namespaces",
    page: (next: string | undefined, n: number) => ({ namespaces: [{ namespace: `ns-${n}` }], next }),
    list: Stream.unwrap(Effect.map(Metadefs.Metadefs, (s) => s.namespaces.list({ pageSize: 1 })))
  }
]

/** Runs a listing to its end or its failure: the items delivered, and the failure if any. */
const drain = <A, E>(list: Stream.Stream<A, E, Services>, http: Layer.Layer<HttpClient.HttpClient>) =>
  attempt(
    Effect.gen(function*() {
      const items: Array<A> = []
      const end = yield* Effect.either(Stream.runForEach(list, (a) => Effect.sync(() => items.push(a))))
      return { items, end }
    }),
    http
  ).then(Either.getOrThrow)

describe("rule 1 and 4: pagination", () => {
  for (const [clientName, http] of clients) {
    describe(clientName, () => {
      for (const listing of listings) {
        it(`${listing.name}: a next on another host is refused after the page that gave it; nothing is sent there`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.on("GET", listing.path, {
            json: listing.page(`${servers.other.url}${listing.path}?marker=x`, 1)
          })
          const { end, items } = await drain(listing.list, http)
          assert.lengthOf(items, 1)
          const error = failure(end)
          assert.strictEqual(error._tag, "BadResponse")
          assert.include(
            error.message,
            `answered a next link "${servers.other.url}${listing.path}?marker=x" that is refused: it leads to ${servers.other.url}`
          )
          assert.lengthOf(servers.other.requests, 0)
          assert.lengthOf(requestsTo(servers.server, "GET", listing.path), 1)
        })

        it(`${listing.name}: the issue's "@host:port/…" next is a path on the endpoint, never the second host`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.on("GET", listing.path, {
            json: listing.page(`@${servers.other.host}:${servers.other.port}${listing.path}`, 1)
          })
          const { end } = await drain(listing.list, http)
          assert.strictEqual(failure(end)._tag, "NotFound")
          assert.lengthOf(servers.other.requests, 0)
          assert.lengthOf(
            requestsTo(servers.server, "GET", `/@${servers.other.host}:${servers.other.port}${listing.path}`),
            1
          )
        })

        it(`${listing.name}: an absolute next on the endpoint is followed`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.on("GET", listing.path, (r) => ({
            json: r.query.get("marker") === null
              ? listing.page(`${servers.server.url}${listing.path}?limit=1&marker=a`, 1)
              : listing.page(undefined, 2)
          }))
          const { end, items } = await drain(listing.list, http)
          assert.isTrue(Either.isRight(end), JSON.stringify(end))
          assert.lengthOf(items, 2)
          assert.lengthOf(requestsTo(servers.server, "GET", listing.path), 2)
        })

        it(`${listing.name}: a next that points to itself is refused after one request`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.on("GET", listing.path, { json: listing.page(`${listing.path}?limit=1`, 1) })
          const { end, items } = await drain(listing.list, http)
          assert.lengthOf(items, 1)
          const error = failure(end)
          assert.strictEqual(error._tag, "BadResponse")
          assert.strictEqual(
            error.message,
            `GET ${servers.server.url}${listing.path} answered a next link that was requested before, "${servers.server.url}${listing.path}?limit=1": the listing would never end`
          )
          assert.lengthOf(requestsTo(servers.server, "GET", listing.path), 1)
        })

        it(`${listing.name}: a cycle of two pages is refused after two requests`, async () => {
          MS.fakeGlance(servers.server)
          servers.server.on("GET", listing.path, (r) => ({
            json: r.query.get("marker") === "b"
              ? listing.page(`${listing.path}?limit=1&marker=a`, 2)
              : listing.page(`${listing.path}?limit=1&marker=b`, 1)
          }))
          const first = await drain(listing.list, http)
          // The first request has no marker: page 1 → b → a → b (seen).
          assert.strictEqual(failure(first.end)._tag, "BadResponse")
          assert.lengthOf(requestsTo(servers.server, "GET", listing.path), 3)
          assert.lengthOf(first.items, 3)
        })

        it(`${listing.name}: pages are fetched as the stream is read, not ahead`, async () => {
          MS.fakeGlance(servers.server)
          let n = 0
          servers.server.on(
            "GET",
            listing.path,
            () => ({ json: listing.page(`${listing.path}?limit=1&marker=${++n}`, n) })
          )
          const result = await attempt(Stream.runCollect(Stream.take(listing.list, 3)), http)
          assert.strictEqual(Chunk.size(Either.getOrThrow(result)), 3)
          assert.lengthOf(requestsTo(servers.server, "GET", listing.path), 3)
        })
      }
    })
  }
})

describe("rule 5: errors say what the server did wrong", () => {
  for (const family of families) {
    it(`${family.name}: a body that does not decode names the field`, async () => {
      MS.fakeGlance(servers.server)
      servers.server.first("GET", family.path, {
        json: family.name === "schemas" ? { properties: 5 } : { wrong: true }
      })
      const error = failure(await attempt(family.read, NodeHttpClient.layer))
      assert.strictEqual(error._tag, "ResponseDecodeError")
      assert.match(
        error.message,
        family.name === "schemas"
          ? /answered a body that is not what the Image API documents: properties: expected an object, not 5$/
          : /answered a body that is not what the Image API documents: [\w-]+ is missing$/
      )
    })
  }

  it("a body that is not JSON says so, with its Content-Type escaped (U+202E arrives as latin1 bytes)", async () => {
    MS.fakeGlance(servers.server)
    servers.server.first("GET", `/v2/images/${id}`, { headers: { "Content-Type": "text/html\u202e" }, body: "<html>" })
    const error = failure(await attempt(Effect.flatMap(Images.Images, (s) => s.get(id)), NodeHttpClient.layer))
    assert.strictEqual(error._tag, "ResponseDecodeError")
    assert.strictEqual(
      error.message,
      `GET ${servers.server.url}/v2/images/${id} answered a body that is not what the Image API documents: it is not JSON (Content-Type "text/html\u00e2\\u0080\u00ae")`
    )
  })

  for (const [clientName, http] of clients) {
    it(`${clientName}: an answer that is not valid HTTP is named in words, not by a parser code`, async () => {
      MS.fakeGlance(servers.server)
      servers.server.first("GET", `/v2/images/${id}`, { raw: "HTTP/1.1 200 OK\r\nContent-Length: twelve\r\n\r\n{}" })
      const error = failure(await attempt(Effect.flatMap(Images.Images, (s) => s.get(id)), http))
      assert.strictEqual(error._tag, "TransportError")
      assert.notMatch(error.message, /HPE_|ERR_/)
      assert.include(error.message, "Content-Length is not valid")
    })

    it(`${clientName}: a connection closed in the middle of the answer is named in words`, async () => {
      MS.fakeGlance(servers.server)
      servers.server.first("GET", `/v2/images/${id}`, {
        headers: { "Content-Type": "application/json", "Content-Length": "1000" },
        body: "{\"id\":",
        cutAfter: 6
      })
      const error = failure(await attempt(Effect.flatMap(Images.Images, (s) => s.get(id)), http))
      assert.strictEqual(error._tag, "TransportError")
      assert.notMatch(error.message, /HPE_|ERR_|ECONN/)
    })
  }
})

describe("the endpoint's GET /versions", () => {
  const versionsUsed = Effect.flatMap(Info.Info, (s) => s.importMethods)

  for (const [clientName, http] of clients) {
    it(`${clientName}: a stalled /versions ends within the timeout`, async () => {
      servers.server.on("GET", "/versions", { hang: true })
      const error = failure(await attempt(versionsUsed, http, { timeout: 0.3 }))
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(error.message, `The Image API at ${servers.server.url}/versions did not answer within 300ms`)
    })

    it(`${clientName}: a redirect of /versions to another host is refused; nothing is sent there`, async () => {
      servers.server.on("GET", "/versions", { status: 302, headers: { Location: `${servers.other.url}/versions` } })
      const error = failure(await attempt(versionsUsed, http))
      assert.strictEqual(error._tag, "BadResponse")
      assert.include(error.message, `a redirect to "${servers.other.url}/versions", refused`)
      assert.lengthOf(servers.other.requests, 0)
    })
  }

  for (const [clientName, http] of streaming) {
    it(`${clientName}: an endless /versions stops at the cap`, async () => {
      servers.server.on("GET", "/versions", {
        status: 300,
        headers: { "Content-Type": "application/json" },
        body: { endless: true, fill: 0x20 },
        framing: "chunked"
      })
      const error = failure(await attempt(versionsUsed, http, { maxResponseSize: 1 }))
      assert.strictEqual(error._tag, "BadResponse")
      assert.include(error.message, `GET ${servers.server.url}/versions answered more than 1 MiB, the cap`)
      assert.isBelow(servers.server.bytesSent - servers.sentBefore, 16 * MiB)
    })
  }
})

describe("Keystone", () => {
  const login = Effect.flatMap(Keystone.Keystone, (k) => k.session)
  const settings = (authUrl: string): CloudConfig.Settings => ({
    authUrl,
    username: "alice",
    password: Redacted.make(password),
    projectName: "p",
    timeout: 2
  })
  const keystoneRun = <A, E>(
    effect: Effect.Effect<A, E, Keystone.Keystone>,
    http: Layer.Layer<HttpClient.HttpClient>,
    s: CloudConfig.Settings
  ) =>
    Effect.runPromise(
      Effect.either(
        effect.pipe(Effect.provide(Keystone.layer.pipe(Layer.provide(Layer.merge(CloudConfig.layer(s), http)))))
      )
    )
  const token201 = {
    status: 201,
    headers: { "X-Subject-Token": "keystone-token" },
    json: { token: { expires_at: "2099-01-01T00:00:00Z", catalog: [] } }
  }

  for (const [clientName, http] of clients) {
    describe(clientName, () => {
      it("a stalled Identity service ends within the timeout", async () => {
        servers.server.on("POST", "/v3/auth/tokens", { hang: true })
        const error = failure(await keystoneRun(login, http, { ...settings(`${servers.server.url}/v3`), timeout: 0.3 }))
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual(
          error.message,
          `The Identity service at ${servers.server.url}/v3/auth/tokens did not answer within 300ms`
        )
      })

      it("a login answered 302 is refused naming the Location; the password goes nowhere else", async () => {
        servers.server.on("POST", "/v3/auth/tokens", {
          status: 302,
          headers: { Location: `${servers.other.url}/v3/auth/tokens` }
        })
        const error = failure(await keystoneRun(login, http, settings(`${servers.server.url}/v3`)))
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.strictEqual(
          error.message,
          `POST ${servers.server.url}/v3/auth/tokens answered 302, a redirect to "${servers.other.url}/v3/auth/tokens", which is not followed for a POST request`
        )
        assert.lengthOf(servers.other.requests, 0)
        assert.lengthOf(requestsTo(servers.server, "POST", "/v3/auth/tokens"), 1)
      })

      it("a discovered version link on another host is not followed: the version is asked for under the auth URL", async () => {
        servers.server.on("GET", "/identity/", {
          status: 300,
          json: {
            versions: { values: [{ id: "v3.14", links: [{ rel: "self", href: `${servers.other.url}/identity/v3/` }] }] }
          }
        })
        servers.server.on("POST", "/identity/v3/auth/tokens", token201)
        const result = await keystoneRun(login, http, settings(`${servers.server.url}/identity/`))
        assert.isTrue(Either.isRight(result), JSON.stringify(result))
        assert.lengthOf(servers.other.requests, 0)
        assert.lengthOf(requestsTo(servers.server, "POST", "/identity/v3/auth/tokens"), 1)
      })

      it("a discovery redirected to another host is refused; nothing is sent there", async () => {
        servers.server.on("GET", "/", { status: 301, headers: { Location: `${servers.other.url}/` } })
        const error = failure(await keystoneRun(login, http, settings(`${servers.server.url}/`)))
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.include(
          error.message,
          `a redirect to "${servers.other.url}/", refused: it leads to ${servers.other.url}`
        )
        assert.lengthOf(servers.other.requests, 0)
      })

      it("a token body that does not decode names the field", async () => {
        servers.server.on("POST", "/v3/auth/tokens", { ...token201, json: { token: { catalog: [] } } })
        const error = failure(await keystoneRun(login, http, settings(`${servers.server.url}/v3`)))
        assert.strictEqual(
          error.message,
          `The Identity service at ${servers.server.url}/v3/auth/tokens answered with an unexpected body: token.expires_at is missing`
        )
      })
    })
  }

  for (const [clientName, http] of streaming) {
    it(`${clientName}: an endless token body stops at the cap`, async () => {
      servers.server.on("POST", "/v3/auth/tokens", {
        ...token201,
        json: undefined,
        body: { endless: true, fill: 0x20 },
        framing: "chunked"
      })
      const error = failure(
        await keystoneRun(login, http, { ...settings(`${servers.server.url}/v3`), maxResponseSize: 1 })
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, `POST ${servers.server.url}/v3/auth/tokens answered more than 1 MiB, the cap`)
      assert.isBelow(servers.server.bytesSent - servers.sentBefore, 16 * MiB)
    })

    it(`${clientName}: an endless error body of the Identity service is read to a few KiB`, async () => {
      servers.server.on("POST", "/v3/auth/tokens", { status: 500, body: { endless: true }, framing: "close" })
      const error = failure(await keystoneRun(login, http, settings(`${servers.server.url}/v3`)))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, `The Identity service at ${servers.server.url}/v3/auth/tokens answered 500`)
      assert.isBelow(servers.server.bytesSent - servers.sentBefore, 16 * MiB)
    })
  }
})
