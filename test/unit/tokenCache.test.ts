/**
 * The token cache (issue 17): Keystone over the file-based `NodeTokenCache`, each "program" a new
 * Keystone layer over the same directory, against a fake Keystone that counts its logins.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as CloudConfig from "../../src/CloudConfig.js"
import * as Keystone from "../../src/Keystone.js"
import * as NodeTokenCache from "../../src/node/tokenCache.js"
import * as TokenCache from "../../src/TokenCache.js"
import { type FakeServer, fakeServer, json } from "./fakeHttp.js"

const secret = "pa55-w0rd-XYZ"
const hour = 3_600_000

/** A fake Keystone v3 whose tokens (`tok-1-…`, `tok-2-…`) live an hour from their issue on the test clock. */
const keystone = (): FakeServer => {
  let issued = 0
  return fakeServer((request) => {
    if (request.method !== "POST" || !request.url.pathname.endsWith("/v3/auth/tokens")) return json(404, {})
    issued++
    return Effect.map(Clock.currentTimeMillis, (now) =>
      json(201, {
        token: {
          expires_at: new Date(now + hour).toISOString(),
          user: { id: "user-id-1" },
          project: { id: "project-id-1" },
          catalog: [{
            type: "image",
            name: "glance",
            endpoints: [{ interface: "public", region_id: "RegionOne", url: "http://glance.pub:9292" }]
          }]
        }
      }, { "x-subject-token": `tok-${issued}-0123456789abcdef` }))
  })
}

const settings: CloudConfig.Settings = {
  authUrl: "http://ks:5000/v3",
  username: "alice",
  password: Redacted.make(secret),
  projectName: "demo"
}

let directory: string
beforeEach(() => {
  directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "token-cache-test-"))
})
afterEach(() => {
  Fs.rmSync(directory, { recursive: true, force: true })
})

const keyOf = (s: CloudConfig.Settings) => TokenCache.keyOf(s, Keystone.authTypeOf(s))!
const fileOf = (s: CloudConfig.Settings = settings) => NodeTokenCache.fileOf(directory, keyOf(s))

/** Runs `use` as one program: a fresh Keystone over the cache directory; returns what it logged too. */
const program = <A, E>(
  server: FakeServer,
  use: (k: Keystone.Service) => Effect.Effect<A, E>,
  s: CloudConfig.Settings = settings
) =>
  Effect.gen(function*() {
    const logs: Array<{ level: string; text: string }> = []
    const logger = Logger.make(({ logLevel, message }) => {
      logs.push({ level: logLevel.label, text: (Array.isArray(message) ? message : [message]).map(String).join(" ") })
    })
    const result = yield* Effect.flatMap(Keystone.Keystone, use).pipe(
      Effect.provide(
        Keystone.layer.pipe(
          Layer.provide(Layer.mergeAll(CloudConfig.layer(s), server.layer, NodeTokenCache.layer({ directory })))
        )
      ),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Debug)
    )
    return { result, logs }
  })

const tokenOf = (s: Keystone.Session) => Redacted.value(s.token)

describe("token cache", () => {
  it.effect("the second program uses the kept token and catalog: no request to Keystone", () =>
    Effect.gen(function*() {
      const server = keystone()
      const first = yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 1)
      const second = yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 1, "the second program asked Keystone")
      assert.strictEqual(tokenOf(second.result), tokenOf(first.result))
      assert.deepStrictEqual(second.result.catalog, first.result.catalog)
      assert.strictEqual(second.result.projectId, "project-id-1")
      assert.strictEqual(second.result.expiresAt, first.result.expiresAt)
      // --debug says so, with the token's {SHA256} form only.
      const debug = second.logs.filter((l) => l.level === "DEBUG").map((l) => l.text)
      assert.deepStrictEqual(debug, [`using cached token ${TokenCache.fingerprint(first.result.token)}`])
      assert.match(debug[0]!, /^using cached token \{SHA256\}[0-9a-f]{16}$/)
      assert.notInclude(debug[0]!, tokenOf(first.result))
      assert.isEmpty(first.logs.filter((l) => l.level === "DEBUG"), "a login is not a cached token")
    }))

  it.effect("the file is mode 600 in a directory of mode 700, and holds no password", () =>
    Effect.gen(function*() {
      yield* program(keystone(), (k) => k.session)
      const stat = Fs.statSync(fileOf())
      assert.strictEqual(stat.mode & 0o777, 0o600)
      assert.strictEqual(Fs.statSync(directory).mode & 0o777, 0o700)
      const text = Fs.readFileSync(fileOf(), "utf8")
      assert.notInclude(text, secret)
      assert.include(text, "tok-1-")
      assert.notInclude(Path.basename(fileOf()), secret)
      assert.deepStrictEqual(Fs.readdirSync(directory), [Path.basename(fileOf())], "no temporary file left")
    }))

  it.effect("a kept token with less than a minute left is not used: the next program logs in and keeps the new one", () =>
    Effect.gen(function*() {
      const server = keystone()
      yield* program(server, (k) => k.session)
      yield* TestClock.adjust(hour - 59_000)
      const second = yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 2)
      assert.match(tokenOf(second.result), /^tok-2-/)
      const third = yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 2)
      assert.match(tokenOf(third.result), /^tok-2-/)
    }))

  it.effect("a refused token (invalidate, after a 401) is dropped from the file and the program logs in again", () =>
    Effect.gen(function*() {
      const server = keystone()
      yield* program(server, (k) => k.session)
      const { result } = yield* program(server, (k) =>
        Effect.gen(function*() {
          const kept = yield* k.session
          yield* k.invalidate(kept.token)
          const gone = !Fs.existsSync(fileOf())
          const fresh = yield* k.session
          return { kept, gone, fresh }
        }))
      assert.match(tokenOf(result.kept), /^tok-1-/)
      assert.isTrue(result.gone, "the refused token was left in the cache")
      assert.match(tokenOf(result.fresh), /^tok-2-/)
      assert.strictEqual(server.received.length, 2)
      assert.include(Fs.readFileSync(fileOf(), "utf8"), "tok-2-")
    }))

  it.effect("invalidating another token leaves the kept one", () =>
    Effect.gen(function*() {
      const server = keystone()
      yield* program(server, (k) => k.session)
      yield* program(server, (k) => k.invalidate(Redacted.make("some-other-token")))
      assert.isTrue(Fs.existsSync(fileOf()))
      yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 1)
    }))

  it.effect("a file other users can read is ignored with a warning, and replaced by one of mode 600", () =>
    Effect.gen(function*() {
      const server = keystone()
      yield* program(server, (k) => k.session)
      Fs.chmodSync(fileOf(), 0o644)
      const second = yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 2, "a world-readable token was used")
      const warnings = second.logs.filter((l) => l.level === "WARN").map((l) => l.text)
      assert.deepStrictEqual(warnings, [
        `The token cache file ${fileOf()} is ignored: other users can read or write it (mode 644, not 600)`
      ])
      assert.strictEqual(Fs.statSync(fileOf()).mode & 0o777, 0o600)
      assert.include(Fs.readFileSync(fileOf(), "utf8"), "tok-2-")
    }))

  it.effect("a symbolic link in place of the file is ignored with a warning, never followed", () =>
    Effect.gen(function*() {
      const server = keystone()
      yield* program(server, (k) => k.session)
      const elsewhere = Path.join(directory, "elsewhere.json")
      Fs.renameSync(fileOf(), elsewhere)
      Fs.symlinkSync(elsewhere, fileOf())
      const second = yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 2)
      assert.deepStrictEqual(second.logs.filter((l) => l.level === "WARN").map((l) => l.text), [
        `The token cache file ${fileOf()} is ignored: it is a symbolic link`
      ])
      assert.isFalse(Fs.lstatSync(fileOf()).isSymbolicLink(), "the link was replaced by a file")
    }))

  it.effect("a damaged file is a miss", () =>
    Effect.gen(function*() {
      const server = keystone()
      yield* program(server, (k) => k.session)
      Fs.writeFileSync(fileOf(), "{\"version\":1,\"token\":", { mode: 0o600 })
      const second = yield* program(server, (k) => k.session)
      assert.strictEqual(server.received.length, 2)
      assert.match(tokenOf(second.result), /^tok-2-/)
    }))

  it.effect("another user or project is another entry", () =>
    Effect.gen(function*() {
      const server = keystone()
      yield* program(server, (k) => k.session)
      const other = { ...settings, projectName: "other" }
      yield* program(server, (k) => k.session, other)
      assert.strictEqual(server.received.length, 2)
      assert.notStrictEqual(fileOf(other), fileOf())
      assert.strictEqual(Fs.readdirSync(directory).length, 2)
    }))

  it.effect("a token login (--os-auth-token without an image URL) is not cached", () =>
    Effect.gen(function*() {
      const server = keystone()
      const tokenSettings: CloudConfig.Settings = { authUrl: settings.authUrl, token: Redacted.make("given-token") }
      yield* program(server, (k) => k.session, tokenSettings)
      yield* program(server, (k) => k.session, tokenSettings)
      assert.strictEqual(server.received.length, 2)
      assert.deepStrictEqual(Fs.readdirSync(directory), [])
    }))
})

describe("TokenCache.keyOf", () => {
  it("is a SHA-256 of who logs in where, without the password or secret", () => {
    const key = keyOf(settings)
    assert.match(key, /^[0-9a-f]{64}$/)
    assert.strictEqual(keyOf({ ...settings, password: Redacted.make("another") }), key)
    assert.strictEqual(keyOf({ ...settings, authUrl: "http://ks:5000/v3/" }), key)
    for (
      const changed of [
        { authUrl: "http://other:5000/v3" },
        { username: "bob" },
        { userDomainName: "Other" },
        { projectName: "other" },
        { projectId: "p-1" },
        { projectDomainId: "d-1" }
      ]
    ) {
      assert.notStrictEqual(keyOf({ ...settings, ...changed }), key, JSON.stringify(changed))
    }
    const credential = { authUrl: settings.authUrl, applicationCredentialId: "ac-1" }
    assert.strictEqual(
      keyOf({ ...credential, applicationCredentialSecret: Redacted.make("s1") }),
      keyOf({ ...credential, applicationCredentialSecret: Redacted.make("s2") })
    )
    assert.isUndefined(TokenCache.keyOf({ token: Redacted.make("t") }, "password"), "no auth URL, no key")
    assert.isUndefined(TokenCache.keyOf(settings, "token"))
  })
})

describe("NodeTokenCache.directoryFrom", () => {
  it("is $XDG_CACHE_HOME/glanceclient, or ~/.cache/glanceclient when it is unset or relative", () => {
    assert.strictEqual(NodeTokenCache.directoryFrom({ XDG_CACHE_HOME: "/x/cache" }), "/x/cache/glanceclient")
    assert.strictEqual(NodeTokenCache.directoryFrom({}), Path.join(Os.homedir(), ".cache", "glanceclient"))
    assert.strictEqual(
      NodeTokenCache.directoryFrom({ XDG_CACHE_HOME: "relative" }),
      Path.join(Os.homedir(), ".cache", "glanceclient")
    )
  })

  it("a session without an expiry (a caller's token) is not kept", () => {
    assert.isTrue(Option.isNone(TokenCache.encodeSession({
      token: Redacted.make("t"),
      expiresAt: undefined,
      catalog: [],
      userId: undefined,
      projectId: undefined,
      identityVersion: "static"
    })))
  })
})
