/**
 * Reliability against the real lab: a fault-injecting proxy (test/support/faultProxy.ts) between
 * the client and Glance cuts, corrupts, drips and stalls bodies, answers 502/503/504 and resets
 * connections; Keystone revokes and expires real tokens. Each test checks what the user sees
 * (exit status, one line on stderr), what the proxy saw (requests, Range, tokens), and the end
 * state on the server and on disk.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, beforeAll, beforeEach, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import { createHash, randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { GlanceClient, Images } from "../../src/index.js"
import {
  type FaultProxy,
  isFile,
  isList,
  isShow,
  runGlance,
  type Seen,
  startFaultProxy
} from "../support/faultProxy.js"
import { clientFor, keystoneLogin, openrc, requireLab, settingsFor, uniqueName } from "../support/lab.js"

const up = requireLab()

const MiB = 1024 * 1024
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex")
const lines = (s: string) => s.split("\n").filter((l) => l.trim().length > 0)
const keystone = "http://127.0.0.1:5000/v3"

/** A password login of a lab user straight at Keystone: the token and the user id. */
const passwordToken = (user: "demo" | "admin") => keystoneLogin(user)

/** An application credential of demo that expires in `seconds` (Keystone caps its tokens' expiry there). */
const applicationCredential = async (seconds: number) => {
  const { token, userId } = await passwordToken("demo")
  const expires = new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19)
  const made = await fetch(`${keystone}/users/${userId}/application_credentials`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": token },
    body: JSON.stringify({ application_credential: { name: uniqueName("faults-ac"), expires_at: expires } })
  })
  assert.strictEqual(made.status, 201)
  const { id, secret } = ((await made.json()) as { application_credential: { id: string; secret: string } })
    .application_credential
  return {
    id,
    secret,
    expiresAt: Date.parse(`${expires}Z`),
    /** Whether Keystone still accepts a token (asked with a password token of demo). */
    valid: async (subject: string) =>
      (await fetch(`${keystone}/auth/tokens`, {
        headers: { "x-auth-token": (await passwordToken("demo")).token, "x-subject-token": subject }
      })).status === 200,
    env: {
      OS_AUTH_URL: openrc("demo").OS_AUTH_URL!,
      OS_AUTH_TYPE: "v3applicationcredential",
      OS_APPLICATION_CREDENTIAL_ID: id,
      OS_APPLICATION_CREDENTIAL_SECRET: secret
    },
    remove: async () => {
      const response = await fetch(`${keystone}/users/${userId}/application_credentials/${id}`, {
        method: "DELETE",
        headers: { "x-auth-token": (await passwordToken("demo")).token }
      })
      assert.strictEqual(response.status, 204, `deleting application credential ${id}: ${await response.text()}`)
    }
  }
}

describe.skipIf(!up)("faults between the client and the lab", () => {
  const runtime = ManagedRuntime.make(clientFor("demo"))
  const run = <A, E>(effect: Effect.Effect<A, E, Images.Images>) => runtime.runPromise(effect)
  const created: Array<string> = []
  const tag = uniqueName("faults")
  const data = new Uint8Array(randomBytes(3 * MiB + 12_345))
  let image = ""
  let others: Array<string> = []
  let proxy: FaultProxy
  let dir = ""

  const newImage = (name: string, tags: Array<string> = []) =>
    run(
      Effect.flatMap(Images.Images, (images) =>
        images.create({ name, disk_format: "raw", container_format: "bare", tags }))
    ).then((i) => {
      created.push(i.id)
      return i
    })

  const statusOf = (id: string) => run(Effect.flatMap(Images.Images, (images) => images.get(id))).then((i) => i.status)

  /**
   * The status an image settles in after a broken upload: Glance may still be taking the cut
   * request in (`saving`) for a while on a busy machine, and must then set the image back.
   */
  const settledStatus = async (id: string) => {
    for (let look = 0; look < 60; look++) {
      const status = await statusOf(id)
      if (status !== "saving") return status
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    return "saving"
  }

  /** Our glance as demo, with the image endpoint pointing at the proxy. */
  const viaProxy = (args: ReadonlyArray<string>, options: Parameters<typeof runGlance>[2] = {}) =>
    runGlance("demo", ["--os-image-url", proxy.url, ...args], options)

  /**
   * The same with a token of demo's taken beforehand: `--timeout` holds for Keystone too, and a
   * short one is then about the Image API alone, whatever the time a login takes on a busy machine.
   */
  const viaProxyWithToken = async (args: ReadonlyArray<string>) =>
    runGlance(undefined, ["--os-auth-token", (await passwordToken("demo")).token, "--os-image-url", proxy.url, ...args])

  /**
   * An upload through its own proxy, fed by a slow pipe until a second after its application
   * credential (and so every token of it) has expired. It runs in the background from the start of
   * the file (a credential needs a generous lifetime on a busy machine: at a load of 15 on two cores,
   * starting glance and logging in took 38 s); a test at the end checks it.
   */
  const outlive = async () => {
    const own = await startFaultProxy()
    const target = await newImage(uniqueName("faults-outlive"))
    const credential = await applicationCredential(90)
    const piece = 256 * 1024
    const sent: Array<Uint8Array> = []
    async function* slowly() {
      for (let i = 0; Date.now() < credential.expiresAt + 1000; i++) {
        const at = (i * piece) % (data.length - piece)
        sent.push(data.subarray(at, at + piece))
        yield sent[sent.length - 1]!
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
    try {
      const result = await runGlance(undefined, ["--os-image-url", own.url, "image-upload", target.id], {
        env: credential.env,
        input: slowly(),
        timeoutMs: 180_000
      })
      const puts = own.requests.filter((s) => s.method === "PUT" && isFile(s))
      const finishedAt = Date.now()
      const tokenStillValid = puts[0]?.token === undefined ? undefined : await credential.valid(puts[0].token)
      return { result, puts, finishedAt, tokenStillValid, id: target.id, expiresAt: credential.expiresAt, sent }
    } finally {
      await credential.remove()
      await own.close()
    }
  }
  let outliving: ReturnType<typeof outlive>

  const fileRequests = () => proxy.requests.filter(isFile)
  const listing = () => proxy.requests.filter(isList)
  const shows = () => proxy.requests.filter(isShow)
  const leftovers = () => Fs.readdirSync(dir)

  beforeAll(async () => {
    proxy = await startFaultProxy()
    const a = await newImage(uniqueName("faults-data"), [tag])
    image = a.id
    await run(Effect.flatMap(Images.Images, (images) => images.upload(image, Stream.make(data), { size: data.length })))
    others = [(await newImage(uniqueName("faults-b"), [tag])).id, (await newImage(uniqueName("faults-c"), [tag])).id]
    outliving = outlive()
    outliving.catch(() => {})
  })

  afterAll(async () => {
    await proxy?.close()
    await run(Effect.forEach(created, (id) => Effect.ignore(Effect.flatMap(Images.Images, (i) => i.delete(id)))))
    await runtime.dispose()
  })

  beforeEach(() => {
    proxy.reset()
    proxy.onForward = undefined
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-faults-"))
  })

  describe("download cut mid-body", () => {
    it("image-download --file resumes with Range from the byte reached; the file is complete and verified", async () => {
      // Past the first 1 MiB block: the block handed on and the part of the next both count.
      proxy.inject(isFile, { _tag: "CutBody", after: 1_500_000 })
      const out = Path.join(dir, "out.img")
      const r = await viaProxy(["image-download", image, "--file", out])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(r.stderr, "")
      assert.deepStrictEqual(fileRequests().map((s) => [s.range, s.status]), [[undefined, 200], [
        "bytes=1500000-",
        206
      ]])
      assert.strictEqual(sha512(Fs.readFileSync(out)), sha512(data))
      assert.deepStrictEqual(leftovers(), ["out.img"])
    })

    it("gives up after 3 resumes: one line naming the failure, exit 1, nothing on disk", async () => {
      proxy.inject(isFile, { _tag: "CutBody", after: 400_000 }, 10)
      const out = Path.join(dir, "out.img")
      const r = await viaProxy(["image-download", image, "--file", out])
      assert.strictEqual(r.status, 1)
      assert.lengthOf(lines(r.stderr), 1, r.stderr)
      assert.match(r.stderr, /^The download from http:\/\/127\.0\.0\.1:\d+\/v2\/images\/[0-9a-f-]+\/file broke off/)
      assert.deepStrictEqual(fileRequests().map((s) => s.range), [
        undefined,
        "bytes=400000-",
        "bytes=800000-",
        "bytes=1200000-"
      ])
      assert.deepStrictEqual(leftovers(), [])
    })

    it("Images.download through the library: the consumer sees each byte once", async () => {
      proxy.inject(isFile, { _tag: "CutBody", after: 1_500_000 })
      proxy.inject(isFile, { _tag: "CutBody", after: 700_000 })
      const viaLibrary = ManagedRuntime.make(clientFor("demo", { imageUrl: proxy.url }))
      try {
        const chunks = await viaLibrary.runPromise(
          Effect.flatMap(Images.Images, (images) => Stream.runCollect(images.download(image)))
        )
        const got = Buffer.concat(Chunk.toReadonlyArray(chunks))
        assert.strictEqual(got.length, data.length)
        assert.isTrue(got.equals(data))
        assert.deepStrictEqual(fileRequests().map((s) => s.range), [undefined, "bytes=1500000-", "bytes=2200000-"])
      } finally {
        await viaLibrary.dispose()
      }
    })
  })

  it("Images.download on FetchHttpClient (the generic body path): resumed from the byte reached too", async () => {
    proxy.inject(isFile, { _tag: "CutBody", after: 700_000 })
    const viaFetch = ManagedRuntime.make(
      GlanceClient.layer(settingsFor("demo", { imageUrl: proxy.url })).pipe(
        Layer.provideMerge(
          Layer.merge(GlanceClient.portable.pipe(Layer.provideMerge(FetchHttpClient.layer)), NodeFileSystem.layer)
        )
      )
    )
    try {
      const chunks = await viaFetch.runPromise(
        Effect.flatMap(Images.Images, (images) => Stream.runCollect(images.download(image)))
      )
      assert.isTrue(Buffer.concat(Chunk.toReadonlyArray(chunks)).equals(data))
      assert.deepStrictEqual(fileRequests().map((s) => s.range), [undefined, "bytes=700000-"])
    } finally {
      await viaFetch.dispose()
    }
  })

  it("a corrupt byte: ChecksumMismatch with both hashes, exit 1, no file and no temporary file", async () => {
    proxy.inject(isFile, { _tag: "Corrupt", at: 2_000_000 })
    const out = Path.join(dir, "out.img")
    const r = await viaProxy(["image-download", image, "--file", out])
    assert.strictEqual(r.status, 1)
    assert.lengthOf(lines(r.stderr), 1, r.stderr)
    const m = /^Image ([0-9a-f-]+) is corrupt: its sha512 is ([0-9a-f]{128}) but Glance recorded ([0-9a-f]{128})$/.exec(
      r.stderr.trim()
    )
    assert.isNotNull(m, r.stderr)
    assert.strictEqual(m![1], image)
    assert.strictEqual(m![3], sha512(data))
    const corrupt = Buffer.from(data)
    corrupt[2_000_000] = corrupt[2_000_000]! ^ 0xff
    assert.strictEqual(m![2], sha512(corrupt))
    assert.deepStrictEqual(leftovers(), [])
    assert.lengthOf(fileRequests(), 1)
  })

  describe("502 / 503 / 504 and resets on idempotent requests", () => {
    const listArgs = () => ["image-list", "--tag", tag, "-f", "value", "-c", "ID"]
    const allIds = () => [image, ...others].sort()

    it("image-list: a burst of three 503s is retried with backoff and succeeds", async () => {
      proxy.inject(isList, { _tag: "Status", status: 503 }, 3)
      const r = await viaProxy(listArgs())
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(lines(r.stdout).sort(), allIds())
      assert.deepStrictEqual(listing().map((s) => s.status), [503, 503, 503, 200])
      // Backoff of 0.5 s doubling, with jitter down to half: at least 0.25 + 0.5 + 1 s.
      assert.isAtLeast(r.elapsedMs, 1750)
    })

    it("image-show: 502s with Retry-After are retried after the time asked", async () => {
      proxy.inject(isShow, { _tag: "Status", status: 502, retryAfter: 1 }, 2)
      const r = await viaProxy(["image-show", image, "-f", "value", "-c", "id"])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(r.stdout.trim(), image)
      assert.deepStrictEqual(shows().map((s) => s.status), [502, 502, 200])
      // Without Retry-After the two backoffs could be as short as 0.25 + 0.5 s.
      assert.isAtLeast(r.elapsedMs, 2000)
    })

    it("image-show: 504s then success", async () => {
      proxy.inject(isShow, { _tag: "Status", status: 504 }, 2)
      const r = await viaProxy(["image-show", image, "-f", "value", "-c", "status"])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(r.stdout.trim(), "active")
      assert.deepStrictEqual(shows().map((s) => s.status), [504, 504, 200])
    })

    it("connections reset on connect and on request are retried", async () => {
      proxy.resetConnections(2)
      proxy.inject(isShow, { _tag: "Reset" }, 1)
      const r = await viaProxy(["image-show", image, "-f", "value", "-c", "id"])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(r.stdout.trim(), image)
      assert.deepStrictEqual(shows().map((s) => s.fault ?? s.status), ["Reset", 200])
    })

    it("a 503 burst longer than the retry budget: one line naming the attempts, exit 1", async () => {
      proxy.inject(isList, { _tag: "Status", status: 503 }, 10)
      const r = await viaProxy(listArgs())
      assert.strictEqual(r.status, 1)
      assert.strictEqual(r.stdout, "")
      assert.lengthOf(lines(r.stderr), 1, r.stderr)
      assert.match(r.stderr, /^HTTP 503 Service Unavailable: .*\(after 4 attempts\)$/m)
      assert.lengthOf(listing(), 4)
    })

    it("resets beyond the retry budget: one line naming the attempts, exit 1", async () => {
      proxy.inject(isShow, { _tag: "Reset" }, 10)
      const r = await viaProxy(["image-show", image])
      assert.strictEqual(r.status, 1)
      assert.deepStrictEqual(lines(r.stderr), [
        `Cannot reach the Image API at ${proxy.url}/v2/images/${image}: connection reset by peer (after 4 attempts)`
      ])
      assert.lengthOf(shows(), 4)
    })
  })

  describe("upload cut mid-body", () => {
    const isUpload = (s: Seen) => s.method === "PUT" && isFile(s)

    it("image-upload --file: one clear error naming the image and its status; the image is not left saving", async () => {
      const target = await newImage(uniqueName("faults-upload"))
      const file = Path.join(dir, "data.img")
      Fs.writeFileSync(file, data)
      proxy.inject(isUpload, { _tag: "CutUpload", after: MiB })
      const r = await viaProxy(["image-upload", target.id, "--file", file])
      assert.strictEqual(r.status, 1)
      assert.lengthOf(proxy.requests.filter(isUpload), 1)
      assert.lengthOf(lines(r.stderr), 1, r.stderr)
      assert.match(
        r.stderr,
        new RegExp(
          `^Uploading the data of image ${target.id} failed: .*connection reset by peer\\. The image is in status (queued: upload its data again|saving: Glance sets it back to queued when it notices the broken upload)$`,
          "m"
        )
      )
      assert.strictEqual(await settledStatus(target.id), "queued")
    })

    it("piped to stdin: never retried, and the same clear error", async () => {
      const target = await newImage(uniqueName("faults-upload-stdin"))
      proxy.inject(isUpload, { _tag: "CutUpload", after: MiB })
      const r = await viaProxy(["image-upload", target.id], { input: Buffer.from(data) })
      assert.strictEqual(r.status, 1)
      assert.lengthOf(proxy.requests.filter(isUpload), 1)
      assert.lengthOf(lines(r.stderr), 1, r.stderr)
      assert.include(r.stderr, `Uploading the data of image ${target.id} failed: `)
      assert.match(r.stderr, /The image is in status (queued|saving)/)
      assert.strictEqual(await settledStatus(target.id), "queued")
    })

    it("image-create --file: the half-made image is deleted and the user is told", async () => {
      const file = Path.join(dir, "data.img")
      Fs.writeFileSync(file, data)
      const name = uniqueName("faults-create")
      proxy.inject(isUpload, { _tag: "CutUpload", after: MiB })
      const r = await viaProxy([
        "image-create",
        "--name",
        name,
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--file",
        file
      ])
      assert.strictEqual(r.status, 1)
      const id = /image ([0-9a-f-]{36}) was deleted/.exec(r.stderr)?.[1]
      assert.isDefined(id, r.stderr)
      const left = await run(
        Effect.flatMap(Images.Images, (images) => Stream.runCollect(images.list({ filters: { name } })))
      )
      assert.strictEqual(Chunk.size(left), 0)
    })
  })

  describe("--timeout is an idle timeout, not a deadline", () => {
    it("a slow but steady body that takes longer than --timeout succeeds", async () => {
      proxy.inject(isFile, { _tag: "Drip", chunk: 256 * 1024, everyMs: 150 })
      const out = Path.join(dir, "out.img")
      const r = await viaProxyWithToken(["--timeout", "1", "image-download", image, "--file", out])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.isAtLeast(r.elapsedMs, 2000)
      assert.strictEqual(sha512(Fs.readFileSync(out)), sha512(data))
      assert.lengthOf(fileRequests(), 1)
    })

    it("a stalled body is resumed, and when every attempt stalls: one timeout line, exit 1", async () => {
      proxy.inject(isFile, { _tag: "Stall", after: 300_000 }, 10)
      const out = Path.join(dir, "out.img")
      const r = await viaProxyWithToken(["--timeout", "1", "image-download", image, "--file", out])
      assert.strictEqual(r.status, 1)
      assert.deepStrictEqual(lines(r.stderr), [
        `The download from ${proxy.url}/v2/images/${image}/file stalled: no data for 1s`
      ])
      assert.deepStrictEqual(fileRequests().map((s) => s.range), [
        undefined,
        "bytes=300000-",
        "bytes=600000-",
        "bytes=900000-"
      ])
      assert.deepStrictEqual(leftovers(), [])
    })

    it("one stall, then the rest with Range", async () => {
      proxy.inject(isFile, { _tag: "Stall", after: 300_000 })
      const out = Path.join(dir, "out.img")
      const r = await viaProxyWithToken(["--timeout", "1", "image-download", image, "--file", out])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(sha512(Fs.readFileSync(out)), sha512(data))
      assert.deepStrictEqual(fileRequests().map((s) => s.range), [undefined, "bytes=300000-"])
    })

    it("response headers later than --timeout: the request is timed out and retried", async () => {
      proxy.inject(isShow, { _tag: "Delay", ms: 5000 })
      const r = await viaProxyWithToken(["--timeout", "2", "image-show", image, "-f", "value", "-c", "id"])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(r.stdout.trim(), image)
      assert.strictEqual(shows()[0]!.fault, "Delay")
      assert.isAtLeast(shows().length, 2)
      assert.isBelow(r.elapsedMs, 30_000)
    })
  })

  describe("tokens that stop working mid-operation (real Keystone)", () => {
    it("an upload that outlives its token completes: Glance checks the token when the request starts", async () => {
      const { expiresAt, finishedAt, id, puts, result, sent, tokenStillValid } = await outliving
      assert.strictEqual(
        result.status,
        0,
        `${result.stderr} (the upload started ${(puts[0]?.at ?? NaN) - expiresAt} ms after the expiry)`
      )
      assert.lengthOf(puts, 1)
      assert.strictEqual(puts[0]!.status, 204)
      // Sent while the token was good; finished after it had expired.
      assert.isBelow(puts[0]!.at, expiresAt)
      assert.isAbove(finishedAt, expiresAt + 1000)
      assert.isFalse(tokenStillValid)
      const image = await run(Effect.flatMap(Images.Images, (images) => images.get(id)))
      assert.strictEqual(image.status, "active")
      assert.strictEqual(image.os_hash_value, sha512(Buffer.concat(sent)))
    }, 180_000)

    it("a token revoked at Keystone: Glance answers 401, the client logs in again and the listing completes", async () => {
      // Glance's keystonemiddleware caches a validated token in-process for 300 s and does not
      // look at revocations of cached tokens, so the revocation is made before Glance first sees it.
      const revoked: Array<string> = []
      proxy.onForward = async (seen) => {
        // Only this test's listing (a delayed request of an earlier test may still be on its way).
        if (seen.token === undefined || revoked.length > 0 || !isList(seen) || !proxy.requests.includes(seen)) return
        // Keystone truncates a revocation's time to the second: a token revoked within the second it
        // was issued stays valid. Revoke in the next second.
        await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)))
        const response = await fetch(`${keystone}/auth/tokens`, {
          method: "DELETE",
          headers: { "x-auth-token": seen.token, "x-subject-token": seen.token }
        })
        assert.strictEqual(response.status, 204)
        revoked.push(seen.token)
      }
      const r = await viaProxy(["image-list", "--tag", tag, "--page-size", "1", "-f", "value", "-c", "ID"])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(lines(r.stdout).sort(), [image, ...others].sort())
      const pages = listing()
      assert.deepStrictEqual(
        pages.map((s) => s.status),
        [401, 200, 200, 200, 200].slice(0, pages.length),
        JSON.stringify(proxy.requests.map((s) => [s.method, s.url, s.status, s.token?.slice(-8)]))
      )
      assert.isAtLeast(pages.length, 4)
      assert.strictEqual(pages[0]!.token, revoked[0])
      const later = new Set(pages.slice(1).map((s) => s.token))
      assert.strictEqual(later.size, 1)
      assert.isFalse(later.has(revoked[0]))
      // Keystone really refuses the first token.
      const check = await fetch(`${keystone}/auth/tokens`, {
        headers: { "x-auth-token": pages[1]!.token!, "x-subject-token": revoked[0]! }
      })
      assert.strictEqual(check.status, 404)
    })

    it("an application credential expiring in ~64 s: Keystone caps the token, the client renews it before it expires", async () => {
      const credential = await applicationCredential(64)
      try {
        // Keystone caps the token's expires_at at the credential's (and writes it without a zone).
        const login = await fetch(`${keystone}/auth/tokens`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            auth: {
              identity: {
                methods: ["application_credential"],
                application_credential: { id: credential.id, secret: credential.secret }
              }
            }
          })
        })
        assert.strictEqual(login.status, 201)
        const capped = ((await login.json()) as { token: { expires_at: string } }).token.expires_at
        assert.strictEqual(Date.parse(capped.endsWith("Z") ? capped : `${capped}Z`), credential.expiresAt)

        // Each page is held 1.5 s: the listing crosses the point where less than 60 s are left.
        proxy.inject(isList, { _tag: "Delay", ms: 1500 }, 10)
        const r = await runGlance(undefined, [
          "--os-image-url",
          proxy.url,
          "image-list",
          "--tag",
          tag,
          "--page-size",
          "1",
          "-f",
          "value",
          "-c",
          "ID"
        ], {
          env: {
            ...credential.env,
            // Keystone's capped expires_at has no zone: it is UTC whatever the local time zone.
            TZ: "America/New_York"
          }
        })
        assert.strictEqual(r.status, 0, r.stderr)
        assert.deepStrictEqual(lines(r.stdout).sort(), [image, ...others].sort())
        const pages = listing()
        assert.isTrue(pages.every((s) => s.status === 200))
        assert.isAtLeast(new Set(pages.map((s) => s.token)).size, 2, "the token was renewed during the listing")
      } finally {
        await credential.remove()
      }
    })
  })
})
