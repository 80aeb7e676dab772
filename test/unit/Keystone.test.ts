import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as CloudConfig from "../../src/CloudConfig.js"
import * as Keystone from "../../src/Keystone.js"
import {
  type FakeServer,
  fakeServer,
  json,
  type Received,
  refused,
  type Reply,
  requestLines,
  reset
} from "./fakeHttp.js"

const secret = "pa55-w0rd-XYZ"
const password = Redacted.make(secret)

/** v3 tokens of the fake Keystone live for an hour from their issue on the (test) clock, which starts at 0. */
const hour = 3_600_000
const keystoneTime = (millis: number) => new Date(millis).toISOString().replace("Z", "000Z")

const imageService = {
  type: "image",
  name: "glance",
  endpoints: [
    { interface: "public", region_id: "RegionOne", region: "RegionOne", url: "http://glance.pub:9292" },
    { interface: "internal", region_id: "RegionOne", region: "RegionOne", url: "http://glance.int:9292/" },
    { interface: "admin", region: "RegionTwo", url: "http://glance.adm:9292/v2" }
  ]
}

/** A fake Keystone: v3 at /v3, v2.0 at /v2.0, a versions document at /; tokens `token-1`, `token-2`, … */
const keystone = (options: {
  readonly versions?: ReadonlyArray<string> | undefined
  readonly refuse?: ((request: Received) => Reply | typeof reset | undefined) | undefined
} = {}): FakeServer => {
  let issued = 0
  return fakeServer((request) => {
    const denied = options.refuse?.(request)
    if (denied) return denied
    const path = request.url.pathname
    if (request.method === "GET" && (path === "/" || path === "/identity/")) {
      return json(300, {
        versions: {
          values: (options.versions ?? ["v3.14", "v2.0"]).map((id) => ({
            id,
            status: id.startsWith("v3") ? "stable" : "deprecated",
            links: [{ rel: "self", href: `http://${request.url.host}${path}${id.startsWith("v3") ? "v3" : "v2.0"}/` }]
          }))
        }
      })
    }
    if (request.method === "POST" && path.endsWith("/v3/auth/tokens")) {
      issued++
      return Effect.map(Clock.currentTimeMillis, (now) =>
        json(201, {
          token: {
            expires_at: keystoneTime(now + hour),
            user: { id: "user-id-1" },
            project: { id: "project-id-1" },
            catalog: [imageService, {
              type: "identity",
              endpoints: [{ interface: "public", region_id: null, url: "http://ks:5000/v3" }]
            }]
          }
        }, { "x-subject-token": `token-${issued}` }))
    }
    if (request.method === "POST" && path.endsWith("/v2.0/tokens")) {
      issued++
      return json(200, {
        access: {
          token: { id: `token-${issued}`, expires: "1970-01-01T01:00:00Z", tenant: { id: "tenant-id-1" } },
          user: { id: "user-id-2" },
          serviceCatalog: [{
            type: "image",
            name: "glance",
            endpoints: [{
              region: "RegionOne",
              publicURL: "http://glance.pub:9292",
              internalURL: "http://glance.int:9292",
              adminURL: "http://glance.adm:9292"
            }]
          }, { type: "compute", endpoints: [{ region: "RegionOne", publicURL: "http://nova:8774/v2.1" }] }]
        }
      })
    }
    return json(404, { error: { code: 404, message: `No route for ${request.method} ${path}`, title: "Not Found" } })
  })
}

/** Runs `f` with a Keystone logging in to `server` with `settings`. */
const withKeystone = <A, E>(
  server: FakeServer,
  settings: CloudConfig.Settings,
  f: (keystone: Keystone.Service) => Effect.Effect<A, E>
) =>
  Effect.flatMap(Keystone.Keystone, f).pipe(
    Effect.provide(Keystone.layer.pipe(Layer.provide(Layer.merge(CloudConfig.layer(settings), server.layer))))
  )

const loginBody = (server: FakeServer) => server.received.find((r) => r.method === "POST")?.json

describe("Keystone", () => {
  describe("v3 request bodies", () => {
    it.effect("password with user and project by name, with their domains", () =>
      Effect.gen(function*() {
        const server = keystone()
        const session = yield* withKeystone(server, {
          authUrl: "http://ks:5000/v3",
          username: "alice",
          password,
          userDomainName: "UserDom",
          projectName: "demo",
          projectDomainName: "ProjDom"
        }, (k) => k.session)
        assert.deepStrictEqual(requestLines(server), ["POST /v3/auth/tokens"])
        assert.deepStrictEqual(loginBody(server), {
          auth: {
            identity: {
              methods: ["password"],
              password: { user: { name: "alice", domain: { name: "UserDom" }, password: secret } }
            },
            scope: { project: { name: "demo", domain: { name: "ProjDom" } } }
          }
        })
        assert.strictEqual(server.received[0]!.headers["content-type"], "application/json")
        assert.strictEqual(server.received[0]!.headers["accept"], "application/json")
        assert.strictEqual(Redacted.value(session.token), "token-1")
        assert.strictEqual(session.identityVersion, "v3")
        assert.strictEqual(session.userId, "user-id-1")
        assert.strictEqual(session.projectId, "project-id-1")
        assert.strictEqual(session.expiresAt, hour)
      }))

    it.effect("password by ids; names without a domain get Default, domain ids win over names", () =>
      Effect.gen(function*() {
        const byId = keystone()
        yield* withKeystone(
          byId,
          { authUrl: "http://ks:5000/v3/", userId: "u-1", password, projectId: "p-1" },
          (k) => k.session
        )
        assert.deepStrictEqual(loginBody(byId), {
          auth: {
            identity: { methods: ["password"], password: { user: { id: "u-1", password: secret } } },
            scope: { project: { id: "p-1" } }
          }
        })
        const defaults = keystone()
        yield* withKeystone(defaults, {
          authUrl: "http://ks:5000/v3",
          username: "alice",
          password,
          projectName: "demo",
          projectDomainId: "default",
          projectDomainName: "Ignored"
        }, (k) => k.session)
        assert.deepStrictEqual(loginBody(defaults), {
          auth: {
            identity: {
              methods: ["password"],
              password: { user: { name: "alice", domain: { name: "Default" }, password: secret } }
            },
            scope: { project: { name: "demo", domain: { id: "default" } } }
          }
        })
      }))

    it.effect("token, scoped to a project", () =>
      Effect.gen(function*() {
        const server = keystone()
        yield* withKeystone(server, {
          authUrl: "http://ks:5000/v3",
          token: Redacted.make("old-token"),
          projectName: "demo",
          projectDomainId: "default"
        }, (k) => k.session)
        assert.deepStrictEqual(loginBody(server), {
          auth: {
            identity: { methods: ["token"], token: { id: "old-token" } },
            scope: { project: { name: "demo", domain: { id: "default" } } }
          }
        })
      }))

    it.effect("application credential by id, unscoped", () =>
      Effect.gen(function*() {
        const server = keystone()
        yield* withKeystone(server, {
          authUrl: "http://ks:5000/v3",
          applicationCredentialId: "ac-1",
          applicationCredentialSecret: Redacted.make("ac-secret"),
          projectName: "demo"
        }, (k) => k.session)
        assert.deepStrictEqual(loginBody(server), {
          auth: {
            identity: {
              methods: ["application_credential"],
              application_credential: { id: "ac-1", secret: "ac-secret" }
            }
          }
        })
      }))

    it.effect("application credential by name and its user", () =>
      Effect.gen(function*() {
        const server = keystone()
        yield* withKeystone(server, {
          authUrl: "http://ks:5000/v3",
          authType: "v3applicationcredential",
          applicationCredentialName: "ci",
          applicationCredentialSecret: Redacted.make("ac-secret"),
          username: "alice",
          userDomainName: "UserDom"
        }, (k) => k.session)
        assert.deepStrictEqual(loginBody(server), {
          auth: {
            identity: {
              methods: ["application_credential"],
              application_credential: {
                name: "ci",
                secret: "ac-secret",
                user: { name: "alice", domain: { name: "UserDom" } }
              }
            }
          }
        })
      }))
  })

  describe("v2.0", () => {
    it.effect("an auth URL ending in /v2.0 posts {url}/tokens with tenantName", () =>
      Effect.gen(function*() {
        const server = keystone()
        const session = yield* withKeystone(server, {
          authUrl: "http://ks:5000/v2.0",
          username: "alice",
          password,
          projectName: "demo"
        }, (k) => k.session)
        assert.deepStrictEqual(requestLines(server), ["POST /v2.0/tokens"])
        assert.deepStrictEqual(loginBody(server), {
          auth: { passwordCredentials: { username: "alice", password: secret }, tenantName: "demo" }
        })
        assert.strictEqual(Redacted.value(session.token), "token-1")
        assert.strictEqual(session.identityVersion, "v2.0")
        assert.strictEqual(session.projectId, "tenant-id-1")
        assert.strictEqual(session.userId, "user-id-2")
        assert.strictEqual(session.expiresAt, hour)
      }))

    it.effect("with a project id it sends tenantId", () =>
      Effect.gen(function*() {
        const server = keystone()
        yield* withKeystone(
          server,
          { authUrl: "http://ks:5000/v2.0/", username: "alice", password, projectId: "t-1", projectName: "demo" },
          (k) => k.session
        )
        assert.deepStrictEqual(loginBody(server), {
          auth: { passwordCredentials: { username: "alice", password: secret }, tenantId: "t-1" }
        })
      }))
  })

  describe("version discovery", () => {
    it.effect("an unversioned auth URL reads the versions document and picks v3", () =>
      Effect.gen(function*() {
        const server = keystone()
        const session = yield* withKeystone(
          server,
          { authUrl: "http://ks:5000", username: "alice", password },
          (k) => k.session
        )
        assert.deepStrictEqual(requestLines(server), ["GET /", "POST /v3/auth/tokens"])
        assert.strictEqual(session.identityVersion, "v3")
      }))

    it.effect("a path prefix is kept: the self link of the chosen version is followed", () =>
      Effect.gen(function*() {
        const server = keystone()
        yield* withKeystone(
          server,
          { authUrl: "https://cloud/identity/", username: "alice", password },
          (k) => k.session
        )
        assert.deepStrictEqual(requestLines(server), ["GET /identity/", "POST /identity/v3/auth/tokens"])
      }))

    it.effect("picks v2.0 when only v2.0 is listed", () =>
      Effect.gen(function*() {
        const server = keystone({ versions: ["v2.0"] })
        const session = yield* withKeystone(
          server,
          { authUrl: "http://ks:5000/", username: "alice", password },
          (k) => k.session
        )
        assert.deepStrictEqual(requestLines(server), ["GET /", "POST /v2.0/tokens"])
        assert.strictEqual(session.identityVersion, "v2.0")
      }))

    it.effect("picks v2.0 when identity_api_version is 2, even with v3 listed", () =>
      Effect.gen(function*() {
        const server = keystone()
        yield* withKeystone(
          server,
          { authUrl: "http://ks:5000/", username: "alice", password, identityApiVersion: "2" },
          (k) => k.session
        )
        assert.deepStrictEqual(requestLines(server), ["GET /", "POST /v2.0/tokens"])
      }))

    it.effect("a versions document without v3 or v2.0 is an AuthenticationError", () =>
      Effect.gen(function*() {
        const server = keystone({ versions: ["v1.0"] })
        const error = yield* withKeystone(server, { authUrl: "http://ks:5000", username: "a", password }, (k) =>
          Effect.flip(k.session))
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.include(error.message, "does not list an Identity v3 or v2.0 API")
      }))
  })

  describe("catalog", () => {
    it.effect("is normalized from a v3 token", () =>
      Effect.gen(function*() {
        const session = yield* withKeystone(
          keystone(),
          { authUrl: "http://ks:5000/v3", username: "alice", password },
          (k) => k.session
        )
        assert.deepStrictEqual(session.catalog, [
          {
            type: "image",
            name: "glance",
            endpoints: [
              { interface: "public", region: "RegionOne", url: "http://glance.pub:9292" },
              { interface: "internal", region: "RegionOne", url: "http://glance.int:9292/" },
              { interface: "admin", region: "RegionTwo", url: "http://glance.adm:9292/v2" }
            ]
          },
          {
            type: "identity",
            name: undefined,
            endpoints: [{ interface: "public", region: undefined, url: "http://ks:5000/v3" }]
          }
        ])
      }))

    it.effect("is normalized from a v2.0 token: one endpoint per publicURL/internalURL/adminURL", () =>
      Effect.gen(function*() {
        const session = yield* withKeystone(
          keystone(),
          { authUrl: "http://ks:5000/v2.0", username: "alice", password },
          (k) => k.session
        )
        assert.deepStrictEqual(session.catalog, [
          {
            type: "image",
            name: "glance",
            endpoints: [
              { interface: "public", region: "RegionOne", url: "http://glance.pub:9292" },
              { interface: "internal", region: "RegionOne", url: "http://glance.int:9292" },
              { interface: "admin", region: "RegionOne", url: "http://glance.adm:9292" }
            ]
          },
          {
            type: "compute",
            name: undefined,
            endpoints: [{ interface: "public", region: "RegionOne", url: "http://nova:8774/v2.1" }]
          }
        ])
      }))
  })

  describe("token cache", () => {
    const settings = { authUrl: "http://ks:5000/v3", username: "alice", password }

    it.effect("two sessions log in once", () =>
      Effect.gen(function*() {
        const server = keystone()
        const [a, b] = yield* withKeystone(server, settings, (k) => Effect.all([k.session, k.session]))
        assert.strictEqual(server.received.length, 1)
        assert.strictEqual(Redacted.value(a.token), "token-1")
        assert.strictEqual(Redacted.value(b.token), "token-1")
      }))

    it.effect("concurrent sessions share one login", () =>
      Effect.gen(function*() {
        const server = keystone()
        yield* withKeystone(server, settings, (k) => Effect.all([k.session, k.session], { concurrency: 2 }))
        assert.strictEqual(server.received.length, 1)
      }))

    it.effect("a token is re-issued once less than a minute of it is left", () =>
      Effect.gen(function*() {
        const server = keystone()
        const tokens = yield* withKeystone(server, settings, (k) =>
          Effect.gen(function*() {
            const first = yield* k.session
            yield* TestClock.adjust(hour - 61_000)
            const stillFirst = yield* k.session
            yield* TestClock.adjust(2_000)
            const second = yield* k.session
            const secondAgain = yield* k.session
            return [first, stillFirst, second, secondAgain].map((s) => Redacted.value(s.token))
          }))
        assert.deepStrictEqual(tokens, ["token-1", "token-1", "token-2", "token-2"])
        assert.strictEqual(server.received.length, 2)
      }))

    it.effect("invalidate(token) forces a new login; invalidating another token does not", () =>
      Effect.gen(function*() {
        const server = keystone()
        const tokens = yield* withKeystone(server, settings, (k) =>
          Effect.gen(function*() {
            const first = yield* k.session
            yield* k.invalidate(Redacted.make("some-other-token"))
            const same = yield* k.session
            yield* k.invalidate(first.token)
            const fresh = yield* k.session
            return [first, same, fresh].map((s) => Redacted.value(s.token))
          }))
        assert.deepStrictEqual(tokens, ["token-1", "token-1", "token-2"])
        assert.strictEqual(server.received.length, 2)
      }))

    it.effect("layerToken hands out the given token and never expires it", () =>
      Effect.gen(function*() {
        const k = yield* Keystone.Keystone
        const session = yield* k.session
        yield* k.invalidate(session.token)
        yield* TestClock.adjust(10 * hour)
        const again = yield* k.session
        assert.strictEqual(Redacted.value(again.token), "static")
        assert.strictEqual(again.identityVersion, "static")
        assert.isUndefined(again.expiresAt)
      }).pipe(Effect.provide(Keystone.layerToken(Redacted.make("static")))))
  })

  describe("failures", () => {
    const isLeaky = (error: unknown) =>
      [String(error), JSON.stringify(error), (error as { message: string }).message].some((s) => s.includes(secret))

    it.effect("a 401 is an AuthenticationError that says the credentials are invalid", () =>
      Effect.gen(function*() {
        const server = keystone({
          refuse: () =>
            json(401, {
              error: { code: 401, message: "The request you have made requires authentication.", title: "Unauthorized" }
            }, { "x-openstack-request-id": "req-abc" })
        })
        const error = yield* withKeystone(
          server,
          { authUrl: "http://ks:5000/v3", username: "alice", password },
          (k) => Effect.flip(k.session)
        )
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.isTrue(error.message.startsWith("Invalid OpenStack Identity credentials"))
        assert.include(error.message, "requires authentication")
        if (error._tag === "AuthenticationError") {
          assert.strictEqual(error.status, 401)
          assert.strictEqual(error.requestId, "req-abc")
          assert.strictEqual(error.url, "http://ks:5000/v3/auth/tokens")
        }
        assert.isFalse(isLeaky(error))
      }))

    it.effect("another status names the Identity service and the status", () =>
      Effect.gen(function*() {
        const server = keystone({ refuse: () => ({ status: 500, body: "Internal Server Error\n\nboom" }) })
        const error = yield* withKeystone(
          server,
          { authUrl: "http://ks:5000/v2.0", username: "alice", password },
          (k) => Effect.flip(k.session)
        )
        assert.strictEqual(error.message, "The Identity service at http://ks:5000/v2.0/tokens answered 500: boom")
        assert.isFalse(isLeaky(error))
      }))

    it.effect("a missing password is a ConfigError naming the password setting, sent nowhere", () =>
      Effect.gen(function*() {
        const server = keystone()
        for (const authUrl of ["http://ks:5000/v3", "http://ks:5000/v2.0"]) {
          const error = yield* withKeystone(server, { authUrl, username: "alice" }, (k) => Effect.flip(k.session))
          assert.isTrue(error._tag === "ConfigError" && error.setting === "password")
          assert.strictEqual(
            error.message,
            "You must provide a password: the password setting, or OS_PASSWORD in the environment"
          )
        }
        assert.strictEqual(server.received.length, 0)
      }))

    it.effect("a missing username is a ConfigError that does not show the password", () =>
      Effect.gen(function*() {
        const error = yield* withKeystone(
          keystone(),
          { authUrl: "http://ks:5000/v3", password },
          (k) => Effect.flip(k.session)
        )
        assert.strictEqual(error._tag, "ConfigError")
        assert.isTrue(error._tag === "ConfigError" && error.setting === "username")
        assert.include(error.message, "the username setting")
        assert.isFalse(isLeaky(error))
      }))

    it.effect("auth type token without a token is a ConfigError, not a defect", () =>
      Effect.gen(function*() {
        for (const authUrl of ["http://ks:5000/v3", "http://ks:5000/v2.0"]) {
          const error = yield* withKeystone(
            keystone(),
            { authUrl, authType: "token" },
            (k) => Effect.flip(k.session)
          )
          assert.strictEqual(error._tag, "ConfigError")
          assert.isTrue(error._tag === "ConfigError" && error.setting === "token")
          assert.include(error.message, "the token setting")
        }
      }))

    it.effect("a missing or non-http auth URL is a ConfigError", () =>
      Effect.gen(function*() {
        const none = yield* withKeystone(keystone(), { username: "a", password }, (k) => Effect.flip(k.session))
        assert.isTrue(none._tag === "ConfigError" && none.setting === "authUrl")
        assert.include(none.message, "the authUrl setting, or OS_AUTH_URL in the environment")
        const ftp = yield* withKeystone(
          keystone(),
          { authUrl: "ftp://ks/v3", username: "a", password },
          (k) => Effect.flip(k.session)
        )
        assert.strictEqual(ftp.message, `The auth URL "ftp://ks/v3" is not an http(s) URL`)
      }))

    it.effect("an unreachable Keystone is a TransportError that does not carry the password", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => refused)
        const error = yield* withKeystone(
          server,
          { authUrl: "http://ks:5000/v3", username: "alice", password },
          (k) => Effect.flip(k.session)
        )
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual(
          error.message,
          "Cannot reach the Identity service at http://ks:5000/v3/auth/tokens: connection refused"
        )
        assert.isFalse(isLeaky(error))
      }))

    it.live("a connection Keystone drops before answering is tried again; one that keeps dropping fails after 3", () =>
      Effect.gen(function*() {
        const settings = { authUrl: "http://ks:5000/v3", username: "alice", password }
        let dropped = 0
        const once = keystone({ refuse: () => dropped++ === 0 ? reset : undefined })
        const session = yield* withKeystone(once, settings, (k) => k.session)
        assert.strictEqual(Redacted.value(session.token), "token-1")
        assert.deepStrictEqual(requestLines(once), ["POST /v3/auth/tokens", "POST /v3/auth/tokens"])

        const down = fakeServer(() => reset)
        const error = yield* withKeystone(down, settings, (k) => Effect.flip(k.session))
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual(
          error.message,
          "Cannot reach the Identity service at http://ks:5000/v3/auth/tokens: connection reset by peer"
        )
        assert.strictEqual(down.received.length, 3)
        assert.isFalse(isLeaky(error))

        // A refused connection is not a dropped one: no answer will come, so it is not asked again.
        const closed = fakeServer(() => refused)
        yield* withKeystone(closed, settings, (k) => Effect.flip(k.session))
        assert.strictEqual(closed.received.length, 1)
      }))

    it.effect("a v3 answer without x-subject-token is an AuthenticationError", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => json(201, { token: { expires_at: keystoneTime(hour) } }))
        const error = yield* withKeystone(
          server,
          { authUrl: "http://ks:5000/v3", username: "alice", password },
          (k) => Effect.flip(k.session)
        )
        assert.strictEqual(error.message, "The Identity service at http://ks:5000/v3/auth/tokens returned no token")
      }))
  })

  describe("layerFromConfig", () => {
    it.effect("a token with an image URL needs no Identity service", () =>
      Effect.gen(function*() {
        const server = keystone()
        const session = yield* Effect.flatMap(Keystone.Keystone, (k) => k.session).pipe(
          Effect.provide(Keystone.layerFromConfig.pipe(Layer.provide(Layer.merge(
            CloudConfig.layer({ token: Redacted.make("tok"), imageUrl: "http://glance:9292", authUrl: "http://ks/v3" }),
            server.layer
          ))))
        )
        assert.strictEqual(Redacted.value(session.token), "tok")
        assert.strictEqual(server.received.length, 0)
      }))
  })
})
