/**
 * Logging in against the lab, through the library and through `glance`: users, regions,
 * token + image URL mode, discovery from an unversioned auth URL, clouds.yaml, and the
 * failures (wrong password, unreachable Keystone, unknown region or cloud), which must each
 * be one line on stderr without any secret.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { CloudConfig, GlanceClient, ImageEndpoint, Images, Keystone } from "../../src/index.js"
import {
  clientFor,
  labDir,
  openrc,
  platform,
  requireLab,
  runGlance,
  type RunResult,
  settingsFor
} from "../support/lab.js"

const up = requireLab()

const cloudsYaml = Path.join(labDir, "clouds.yaml")
const keystoneRoot = "http://127.0.0.1:5000"
const glanceUrl = "http://127.0.0.1:9292"

/** The lines a command wrote to stderr, without blank ones. */
const errorLines = (r: RunResult) => r.stderr.split("\n").filter((l) => l.trim().length > 0)

/** Asserts a run failed with exit 1 and exactly one line on stderr, and returns that line. */
const oneLineFailure = (r: RunResult): string => {
  assert.strictEqual(r.status, 1, `exit status; stderr: ${r.stderr}`)
  assert.strictEqual(r.stdout, "", "nothing on stdout")
  const lines = errorLines(r)
  assert.lengthOf(lines, 1, `one line on stderr, got: ${r.stderr}`)
  assert.notMatch(r.stderr, /^\s+at /m, "no stack trace")
  return lines[0]!
}

/** The header row of the first table in the output. */
const headersOf = (stdout: string): Array<string> => {
  const line = stdout.split("\n").find((l) => l.startsWith("| "))
  return line === undefined ? [] : line.split("|").slice(1, -1).map((c) => c.trim())
}

/** A table of image-list output succeeded: exit 0, the ID | Name header. */
const assertListed = (r: RunResult) => {
  assert.strictEqual(r.status, 0, `exit status; stderr: ${r.stderr}`)
  assert.deepStrictEqual(headersOf(r.stdout), ["ID", "Name"])
}

/** A fresh token for a lab user, from a library Keystone session. */
const tokenFor = (user: "demo" | "admin") =>
  Effect.runPromise(
    Effect.map(Keystone.Keystone, (k) => k.session).pipe(
      Effect.flatten,
      Effect.map((s) => Redacted.value(s.token)),
      Effect.provide(clientFor(user))
    )
  )

/** A Fernet token as Keystone issues them (what must never show in output). */
const fernetLike = /gAAAAA[A-Za-z0-9_-]{20,}/

describe.skipIf(!up)("authentication: library", () => {
  it.layer(clientFor("demo"))("demo", (it) => {
    it.effect("logs in with a v3 password and lists images", () =>
      Effect.gen(function*() {
        const session = yield* Effect.flatMap(Keystone.Keystone, (k) => k.session)
        assert.strictEqual(session.identityVersion, "v3")
        assert.isDefined(session.projectId)
        const images = yield* Images.Images
        const listed = yield* Stream.runCollect(images.list({ limit: 5 }))
        assert.isAtMost(Chunk.size(listed), 5)
      }))

    it.effect("uses the RegionOne endpoint from the catalog", () =>
      Effect.gen(function*() {
        const endpoint = yield* ImageEndpoint.ImageEndpoint
        assert.strictEqual(endpoint.url, glanceUrl)
        assert.strictEqual(endpoint.region, "RegionOne")
        const versions = yield* endpoint.versions
        assert.include(versions, "2.0")
      }))
  })

  it.layer(clientFor("admin"))("admin", (it) => {
    it.effect("logs in and lists images", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const listed = yield* Stream.runCollect(images.list({ limit: 3 }))
        assert.isAtMost(Chunk.size(listed), 3)
      }))
  })

  it.layer(clientFor("demo", { regionName: "RegionTwo" }))("RegionTwo", (it) => {
    it.effect("picks the RegionTwo endpoint (http://localhost:9292) and lists", () =>
      Effect.gen(function*() {
        const endpoint = yield* ImageEndpoint.ImageEndpoint
        assert.strictEqual(endpoint.url, "http://localhost:9292")
        assert.strictEqual(endpoint.region, "RegionTwo")
        const images = yield* Images.Images
        yield* Stream.runCollect(images.list({ limit: 1 }))
      }))
  })

  it.effect("an unknown region fails with a ConfigError naming the known regions", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(ImageEndpoint.ImageEndpoint, clientFor("demo", { regionName: "RegionNowhere" }))
      )
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "RegionNowhere")
      assert.include(error.message, "RegionOne")
      assert.include(error.message, "RegionTwo")
    }))

  it.effect("an unversioned auth URL is discovered as v3", () =>
    Effect.gen(function*() {
      const session = yield* Effect.flatMap(Keystone.Keystone, (k) => k.session).pipe(
        Effect.provide(clientFor("demo", { authUrl: keystoneRoot }))
      )
      assert.strictEqual(session.identityVersion, "v3")
      const images = yield* Effect.provide(Images.Images, clientFor("demo", { authUrl: `${keystoneRoot}/` }))
      yield* Stream.runCollect(images.list({ limit: 1 }))
    }))

  it.effect("the lab's Keystone does not serve Identity v2.0 (so v2.0 is covered by unit tests)", () =>
    Effect.promise(async () => {
      const response = await fetch(`${keystoneRoot}/v2.0`)
      await response.body?.cancel()
      assert.strictEqual(response.status, 404)
    }))

  it.effect("a token and an image URL need no Identity service", () =>
    Effect.gen(function*() {
      const token = yield* Effect.promise(() => tokenFor("demo"))
      const client = GlanceClient.layer({ token: Redacted.make(token), imageUrl: glanceUrl }).pipe(
        Layer.provideMerge(platform)
      )
      const result = yield* Effect.gen(function*() {
        const session = yield* Effect.flatMap(Keystone.Keystone, (k) => k.session)
        const images = yield* Images.Images
        const listed = yield* Stream.runCollect(images.list({ limit: 2 }))
        return { session, listed }
      }).pipe(Effect.provide(client))
      assert.strictEqual(result.session.identityVersion, "static")
      assert.isAtMost(Chunk.size(result.listed), 2)
    }))

  it.effect("a wrong password fails with a 401 AuthenticationError that does not carry the password", () =>
    Effect.gen(function*() {
      const wrong = `wrong-${Math.random().toString(36).slice(2)}`
      const error = yield* Effect.flip(
        Effect.provide(Images.Images, clientFor("demo", { password: Redacted.make(wrong) }))
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual((error as Keystone.AuthenticationError).status, 401)
      assert.include(error.message, "Invalid OpenStack Identity credentials")
      assert.notInclude(error.message, wrong)
      assert.notInclude(JSON.stringify(error), wrong)
      assert.notInclude(String(error), wrong)
    }))

  it.effect("an unreachable Keystone fails with a TransportError naming the URL", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(Images.Images, clientFor("demo", { authUrl: "http://127.0.0.1:1/v3" }))
      )
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "http://127.0.0.1:1/v3")
    }))

  it.effect("clouds.yaml: lab-demo resolves to the same user and lists", () =>
    Effect.gen(function*() {
      const settings = yield* CloudConfig.fromCloudsYaml("lab-demo", { configFile: cloudsYaml })
      const expected = settingsFor("demo")
      assert.strictEqual(settings.authUrl, expected.authUrl)
      assert.strictEqual(settings.username, "demo")
      assert.strictEqual(settings.projectName, "demo")
      assert.strictEqual(settings.regionName, "RegionOne")
      assert.strictEqual(Redacted.value(settings.password!), openrc("demo").OS_PASSWORD)
      const images = yield* Effect.provide(Images.Images, GlanceClient.layer(settings).pipe(Layer.provide(platform)))
      yield* Stream.runCollect(images.list({ limit: 1 }))
    }).pipe(Effect.provide(platform)))

  it.effect("clouds.yaml: an unknown cloud is a ConfigError listing the known ones", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(CloudConfig.fromCloudsYaml("lab-nowhere", { configFile: cloudsYaml }))
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "lab-nowhere")
      assert.include(error.message, "lab-demo")
    }).pipe(Effect.provide(platform)))
})

describe.skipIf(!up)("authentication: glance CLI", () => {
  const demoPassword = up ? openrc("demo").OS_PASSWORD! : ""
  const adminPassword = up ? openrc("admin").OS_PASSWORD! : ""
  const temps: Array<string> = []
  const tempDir = () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-auth-it-"))
    temps.push(dir)
    return dir
  }

  afterAll(() => {
    for (const dir of temps) Fs.rmSync(dir, { recursive: true, force: true })
  })

  it("demo and admin can list", async () => {
    assertListed(await runGlance("demo", ["image-list"]))
    assertListed(await runGlance("admin", ["image-list"]))
  })

  it("--os-region-name RegionTwo uses http://localhost:9292", async () => {
    const r = await runGlance("demo", ["--debug", "--os-region-name", "RegionTwo", "image-list"])
    assertListed(r)
    assert.match(r.stderr, /curl .*'http:\/\/localhost:9292\/v2\/images/)
    assert.notMatch(r.stderr, /curl .*127\.0\.0\.1:9292/)
  })

  it("OS_REGION_NAME=RegionTwo works too", async () => {
    assertListed(await runGlance("demo", ["image-list"], { env: { OS_REGION_NAME: "RegionTwo" } }))
  })

  it("an unknown region: exit 1, one line naming it and the known regions", async () => {
    const line = oneLineFailure(await runGlance("demo", ["--os-region-name", "RegionNowhere", "image-list"]))
    assert.include(line, "RegionNowhere")
    assert.include(line, "RegionOne, RegionTwo")
  })

  it("--os-auth-token + --os-image-url with no auth URL or password in the environment", async () => {
    const token = await tokenFor("demo")
    const r = await runGlance(undefined, ["--os-auth-token", token, "--os-image-url", glanceUrl, "image-list"])
    assertListed(r)
    assert.notInclude(r.stderr, token)
  })

  it("OS_AUTH_TOKEN + OS_IMAGE_URL in the environment", async () => {
    const token = await tokenFor("admin")
    const r = await runGlance(undefined, ["image-list"], { env: { OS_AUTH_TOKEN: token, OS_IMAGE_URL: glanceUrl } })
    assertListed(r)
    // A versioned image URL is accepted too.
    assertListed(
      await runGlance(undefined, ["image-list"], { env: { OS_AUTH_TOKEN: token, OS_IMAGE_URL: `${glanceUrl}/v2` } })
    )
  })

  it("a bad token with an image URL: exit 1, one line, the token not shown", async () => {
    const bogus = `bogus-token-${Math.random().toString(36).slice(2)}`
    const r = await runGlance(undefined, ["--os-auth-token", bogus, "--os-image-url", glanceUrl, "image-list"])
    const line = oneLineFailure(r)
    assert.include(line, "Invalid OpenStack Identity credentials")
    assert.notInclude(r.stderr, bogus)
  })

  it("an unversioned auth URL is discovered (flag and OS_AUTH_URL)", async () => {
    assertListed(await runGlance("demo", ["--os-auth-url", keystoneRoot, "image-list"]))
    assertListed(await runGlance("demo", ["image-list"], { env: { OS_AUTH_URL: `${keystoneRoot}/` } }))
  })

  it("--os-cloud lab-demo with OS_CLIENT_CONFIG_FILE", async () => {
    const r = await runGlance(undefined, ["--os-cloud", "lab-demo", "image-list"], {
      env: { OS_CLIENT_CONFIG_FILE: cloudsYaml }
    })
    assertListed(r)
    assert.strictEqual(r.stderr, "")
    assertListed(
      await runGlance(undefined, ["image-list"], { env: { OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: "lab-admin" } })
    )
  })

  it("--os-cloud lab-demo with ./clouds.yaml in the working directory", async () => {
    const dir = tempDir()
    const copy = Path.join(dir, "clouds.yaml")
    Fs.copyFileSync(cloudsYaml, copy)
    Fs.chmodSync(copy, 0o600)
    const r = await runGlance(undefined, ["--os-cloud", "lab-demo", "image-list"], { cwd: dir })
    assertListed(r)
    assert.strictEqual(r.stderr, "")
  })

  it("a clouds.yaml readable by others still works, with a warning", async () => {
    const dir = tempDir()
    const copy = Path.join(dir, "clouds.yaml")
    Fs.copyFileSync(cloudsYaml, copy)
    Fs.chmodSync(copy, 0o644)
    const r = await runGlance(undefined, ["--os-cloud", "lab-demo", "image-list"], { cwd: dir })
    assertListed(r)
    assert.match(r.stderr, /warning: .*clouds\.yaml/)
    assert.notInclude(r.stderr, demoPassword)
  })

  it("flags beat clouds.yaml: --os-cloud lab-demo --os-region-name RegionTwo", async () => {
    const r = await runGlance(undefined, [
      "--debug",
      "--os-cloud",
      "lab-demo",
      "--os-region-name",
      "RegionTwo",
      "image-list"
    ], {
      env: { OS_CLIENT_CONFIG_FILE: cloudsYaml }
    })
    assertListed(r)
    assert.match(r.stderr, /localhost:9292/)
  })

  it("an unknown cloud: exit 1, one line naming it", async () => {
    const line = oneLineFailure(
      await runGlance(undefined, ["--os-cloud", "lab-nowhere", "image-list"], {
        env: { OS_CLIENT_CONFIG_FILE: cloudsYaml }
      })
    )
    assert.include(line, "lab-nowhere")
    assert.include(line, "lab-demo")
  })

  it("--os-cloud with no clouds.yaml anywhere: exit 1, one line", async () => {
    const line = oneLineFailure(
      await runGlance(undefined, ["--os-cloud", "lab-demo", "image-list"], { cwd: tempDir() })
    )
    assert.include(line, "lab-demo")
    assert.include(line, "clouds.yaml")
  })

  it("a clouds.yaml that is not YAML: exit 1, one line naming the file", async () => {
    const dir = tempDir()
    const bad = Path.join(dir, "clouds.yaml")
    Fs.writeFileSync(bad, "clouds:\n  lab-demo: [unclosed\n    auth: {\n", { mode: 0o600 })
    const line = oneLineFailure(
      await runGlance(undefined, ["--os-cloud", "lab-demo", "image-list"], { env: { OS_CLIENT_CONFIG_FILE: bad } })
    )
    assert.include(line, bad)
    assert.include(line, "YAML")
  })

  it("a wrong password: exit 1, one line, no stack trace, the password not echoed", async () => {
    const wrong = `Wr0ng-${Math.random().toString(36).slice(2)}`
    for (const how of ["flag", "env"] as const) {
      const r = how === "flag"
        ? await runGlance("demo", ["--os-password", wrong, "image-list"])
        : await runGlance("demo", ["image-list"], { env: { OS_PASSWORD: wrong } })
      const line = oneLineFailure(r)
      assert.include(line, "Invalid OpenStack Identity credentials")
      assert.notInclude(r.stdout + r.stderr, wrong)
    }
    // And with --debug: the request body is shown, the password is not.
    const r = await runGlance("demo", ["--debug", "--os-password", wrong, "image-list"])
    assert.strictEqual(r.status, 1)
    assert.match(r.stderr, /curl /)
    assert.notInclude(r.stdout + r.stderr, wrong)
    assert.include(errorLines(r).at(-1)!, "Invalid OpenStack Identity credentials")
  })

  it("an unreachable auth URL: exit 1, one line naming the URL", async () => {
    const line = oneLineFailure(await runGlance("demo", ["--os-auth-url", "http://127.0.0.1:1/v3", "image-list"]))
    assert.include(line, "http://127.0.0.1:1/v3")
  })

  it("an unreachable image URL: exit 1, one line naming it", async () => {
    const token = await tokenFor("demo")
    const r = await runGlance(undefined, [
      "--os-auth-token",
      token,
      "--os-image-url",
      "http://127.0.0.1:1",
      "image-list"
    ])
    const line = oneLineFailure(r)
    assert.include(line, "http://127.0.0.1:1")
    assert.notInclude(r.stderr, token)
  })

  it("no auth URL at all: exit 1, one line that says what to set", async () => {
    const line = oneLineFailure(await runGlance(undefined, ["image-list"], { cwd: tempDir() }))
    assert.match(line, /--os-auth-url|OS_AUTH_URL/)
  })

  it("--debug shows curl lines, never the password or the token", async () => {
    for (const [user, password] of [["demo", demoPassword], ["admin", adminPassword]] as const) {
      const r = await runGlance(user, ["--debug", "image-list"])
      assertListed(r)
      assert.match(r.stderr, /^REQ: curl -g -i -X POST '[^']*\/v3\/auth\/tokens'/m)
      assert.match(r.stderr, /^REQ: curl -g -i -X GET '[^']*\/v2\/images\?[^']*sort_key=name/m)
      assert.notInclude(r.stdout + r.stderr, password)
      assert.notMatch(r.stdout + r.stderr, fernetLike)
      assert.match(r.stderr, /x-auth-token: \{SHA256\}[0-9a-f]{16}/)
    }
    // The token of a library session, handed to the CLI: used, and shown only as a fingerprint.
    const token = await tokenFor("demo")
    const r = await runGlance("demo", ["--debug", "--os-auth-token", token, "--os-image-url", glanceUrl, "image-list"])
    assertListed(r)
    assert.match(r.stderr, /curl /)
    assert.notInclude(r.stdout + r.stderr, token)
    assert.notInclude(r.stdout + r.stderr, demoPassword)
    assert.notMatch(r.stdout + r.stderr, fernetLike)
    // Token + Keystone (no image URL): the token goes in a token-auth body, hidden too.
    const viaKeystone = await runGlance(undefined, ["--debug", "--os-auth-token", token, "image-list"], {
      env: { OS_AUTH_URL: openrc("demo").OS_AUTH_URL!, OS_PROJECT_NAME: "demo", OS_PROJECT_DOMAIN_NAME: "Default" }
    })
    assertListed(viaKeystone)
    assert.notInclude(viaKeystone.stdout + viaKeystone.stderr, token)
    assert.notMatch(viaKeystone.stdout + viaKeystone.stderr, fernetLike)
  })
})
