/**
 * TLS against the lab: a Node TLS terminator (test/support/tlsProxy.ts) with a CA generated for
 * the test sits in front of Glance (and of Keystone); `glance` must verify by default, trust
 * `--os-cacert`, skip verification with `--insecure`, refuse a wrong CA, and present a client
 * certificate with `--os-cert` / `--os-key` — every failure one clear line, exit 1.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import { createHash, randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Images } from "../../src/index.js"
import { runGlance } from "../support/faultProxy.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"
import { makePki, type Pki, startTlsProxy, type TlsProxy } from "../support/tlsProxy.js"

const up = requireLab()

const lines = (s: string) => s.split("\n").filter((l) => l.trim().length > 0)
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex")

describe.skipIf(!up)("TLS between the client and the lab", () => {
  const runtime = ManagedRuntime.make(clientFor("demo"))
  const data = new Uint8Array(randomBytes(2 * 1024 * 1024 + 777))
  let image = ""
  let pki: Pki
  let glanceTls: TlsProxy
  let mutualTls: TlsProxy
  let keystoneTls: TlsProxy

  beforeAll(async () => {
    pki = await makePki()
    glanceTls = await startTlsProxy(pki)
    mutualTls = await startTlsProxy(pki, { requireClientCert: true })
    keystoneTls = await startTlsProxy(pki, { target: "http://127.0.0.1:5000" })
    image = await runtime.runPromise(Effect.gen(function*() {
      const images = yield* Images.Images
      const created = yield* images.create({ name: uniqueName("tls"), disk_format: "raw", container_format: "bare" })
      yield* images.upload(created.id, Stream.make(data), { size: data.length })
      return created.id
    }))
  })

  afterAll(async () => {
    await Promise.all([glanceTls?.close(), mutualTls?.close(), keystoneTls?.close()])
    if (image !== "") await runtime.runPromise(Effect.ignore(Effect.flatMap(Images.Images, (i) => i.delete(image))))
    await runtime.dispose()
    pki?.remove()
  })

  const show = (url: string, flags: ReadonlyArray<string> = []) =>
    runGlance("demo", ["--os-image-url", url, ...flags, "image-show", image, "-f", "value", "-c", "id"])

  /** One line on stderr, exit 1, nothing on stdout, no stack trace. */
  const assertOneLineFailure = (r: { stdout: string; stderr: string; status: number }, pattern: RegExp) => {
    assert.strictEqual(r.status, 1, r.stderr)
    assert.strictEqual(r.stdout, "")
    assert.lengthOf(lines(r.stderr), 1, r.stderr)
    assert.notMatch(r.stderr, /^\s+at /m)
    assert.match(r.stderr, pattern)
    // A certificate refusal is the same on every attempt: not retried.
    assert.notInclude(r.stderr, "attempts")
  }

  it("verifies by default: a certificate from an untrusted CA is one clear line, exit 1", async () => {
    const r = await show(glanceTls.url)
    assertOneLineFailure(
      r,
      new RegExp(
        `^Cannot reach the Image API at ${glanceTls.url}/v2/images/${image}: the server's TLS certificate .*--os-cacert`
      )
    )
  })

  it("--os-cacert with the CA: verified, works (and so does OS_CACERT)", async () => {
    const r = await show(glanceTls.url, ["--os-cacert", pki.ca])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(r.stdout.trim(), image)
    const viaEnv = await runGlance("demo", [
      "--os-image-url",
      glanceTls.url,
      "image-show",
      image,
      "-f",
      "value",
      "-c",
      "id"
    ], {
      env: { OS_CACERT: pki.ca }
    })
    assert.strictEqual(viaEnv.status, 0, viaEnv.stderr)
  })

  it("image-download over TLS with --os-cacert: the file is complete and verified", async () => {
    const out = Path.join(pki.dir, "out.img")
    const r = await runGlance("demo", [
      "--os-image-url",
      glanceTls.url,
      "--os-cacert",
      pki.ca,
      "image-download",
      image,
      "--file",
      out
    ])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(sha512(Fs.readFileSync(out)), sha512(data))
    Fs.rmSync(out)
  })

  it("--insecure: no verification, works", async () => {
    const r = await show(glanceTls.url, ["--insecure"])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(r.stdout.trim(), image)
  })

  it("a wrong CA: one clear line, exit 1", async () => {
    const r = await show(glanceTls.url, ["--os-cacert", pki.otherCa])
    assertOneLineFailure(r, /^Cannot reach the Image API at .*: the server's TLS certificate .*--os-cacert/)
  })

  it("a CA bundle that does not exist: one line naming it, exit 1", async () => {
    const missing = Path.join(pki.dir, "nope.pem")
    const r = await show(glanceTls.url, ["--os-cacert", missing])
    assertOneLineFailure(r, new RegExp(`^Cannot read the CA bundle \\(--os-cacert\\) ${missing}: ENOENT`))
  })

  it("a server that requires a client certificate: --os-cert / --os-key work", async () => {
    const r = await show(mutualTls.url, ["--os-cacert", pki.ca, "--os-cert", pki.clientCert, "--os-key", pki.clientKey])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(r.stdout.trim(), image)
    const out = Path.join(pki.dir, "mutual.img")
    const download = await runGlance("demo", [
      "--os-image-url",
      mutualTls.url,
      "--os-cacert",
      pki.ca,
      "--os-cert",
      pki.clientCert,
      "--os-key",
      pki.clientKey,
      "image-download",
      image,
      "--file",
      out
    ])
    assert.strictEqual(download.status, 0, download.stderr)
    assert.strictEqual(sha512(Fs.readFileSync(out)), sha512(data))
    Fs.rmSync(out)
  })

  it("a server that requires a client certificate: without one, one clear line, exit 1", async () => {
    const r = await show(mutualTls.url, ["--os-cacert", pki.ca])
    assertOneLineFailure(
      r,
      /^Cannot reach the Image API at .*: the server requires a client certificate \(use --os-cert and --os-key\)$/m
    )
  })

  it("Keystone behind TLS: untrusted by default, works with --os-cacert", async () => {
    const authUrl = `${keystoneTls.url}/v3`
    const untrusted = await runGlance("demo", ["image-show", image], { env: { OS_AUTH_URL: authUrl } })
    assertOneLineFailure(
      untrusted,
      new RegExp(
        `^Cannot reach the Identity service at ${keystoneTls.url}/v3/auth/tokens: the server's TLS certificate`
      )
    )
    const trusted = await runGlance("demo", ["--os-cacert", pki.ca, "image-show", image, "-f", "value", "-c", "id"], {
      env: { OS_AUTH_URL: authUrl }
    })
    assert.strictEqual(trusted.status, 0, trusted.stderr)
    assert.strictEqual(trusted.stdout.trim(), image)
  })
})
