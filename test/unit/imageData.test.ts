/**
 * The data path over both transports (glanceclient/node's `NodeGlanceHttp.layer()` and the portable
 * default on the platform's HttpClient), against a loopback fake Glance:
 * - ownership: compositions where several consumers see the same blocks (broadcast, a tap that
 *   keeps them, rechunk, a slow consumer behind a buffer) get the exact bytes, verified, and the
 *   blocks they kept never change afterwards;
 * - failing closed: unknown hash algorithms, more bytes than the size, resume answers that are
 *   not 206, redirects and endless error bodies on the data path, stalls.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { GlanceClient, Images } from "../../src/index.js"
import { NodeGlanceHttp } from "../../src/node/index.js"
import { serveImage, sharedDownloads, tempFile } from "../support/compositions.js"
import * as MisbehavingServer from "../support/misbehavingServer.js"

const id = "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01"
const data = Crypto.randomBytes(5 * 1024 * 1024 + 12_345)
const sha512 = (bytes: Uint8Array) => Crypto.createHash("sha512").update(bytes).digest("hex")
const md5 = (bytes: Uint8Array) => Crypto.createHash("md5").update(bytes).digest("hex")
const fields = { os_hash_algo: "sha512", os_hash_value: sha512(data), checksum: md5(data), size: data.byteLength }

const transports = {
  node: NodeGlanceHttp.layer(),
  portable: GlanceClient.portable.pipe(Layer.provideMerge(NodeHttpClient.layer))
} as const

const joined = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks])

let server: MisbehavingServer.MisbehavingServer
beforeAll(async () => {
  server = await MisbehavingServer.start()
})
afterAll(() => server.close())

/** The fake Glance with one image (its record with `record`), whose data is answered with `file`. */
const serve = (record: Record<string, unknown>, ...files: Array<MisbehavingServer.Reply>) =>
  serveImage(server, id, record, ...files)

const clientOn = (transport: keyof typeof transports, timeout?: number) =>
  GlanceClient.layer({
    token: Redacted.make("token"),
    imageUrl: server.url,
    ...(timeout === undefined ? {} : { timeout })
  }).pipe(Layer.provideMerge(Layer.merge(transports[transport], NodeFileSystem.layer)))

for (const transport of ["node", "portable"] as const) {
  describe(`image data over the ${transport} transport`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, Images.Images | FileSystem.FileSystem>) =>
      Effect.provide(effect, clientOn(transport))

    describe("every block a download emits is the consumer's", () => {
      it.live("broadcast (two collectors; the file sink and a collector), a tap that keeps blocks, rechunk, a slow consumer behind a buffer: every consumer gets the exact bytes, verified", () =>
        run(Effect.gen(function*() {
          serve(fields, { body: data })
          for (const [name, bytes] of yield* sharedDownloads(id)) assert.isTrue(bytes.equals(data), name)
        })))

      it.live("downloadToFile and downloadEach (lent blocks, copied by the writer) give the exact bytes", () =>
        run(Effect.gen(function*() {
          serve(fields, { body: data })
          const images = yield* Images.Images
          const path = tempFile()
          yield* Images.downloadToFile(id, path)
          assert.isTrue(Fs.readFileSync(path).equals(data))
          const copies: Array<Uint8Array> = []
          yield* images.downloadEach(id, (block) => Effect.sync(() => void copies.push(Uint8Array.from(block))))
          assert.isTrue(joined(copies).equals(data))
        })))

      it.live("a corrupt body fails with ChecksumMismatch at the end; downloadToFile leaves no file", () =>
        run(Effect.gen(function*() {
          const corrupt = Buffer.from(data)
          corrupt[1_000_000]! ^= 1
          serve(fields, { body: corrupt })
          const images = yield* Images.Images
          const error = yield* Effect.flip(Stream.runDrain(images.download(id)))
          assert.strictEqual(error._tag, "ChecksumMismatch")
          const path = tempFile()
          const again = yield* Effect.flip(Images.downloadToFile(id, path))
          assert.strictEqual(again._tag, "ChecksumMismatch")
          assert.deepStrictEqual(Fs.readdirSync(Path.dirname(path)), [])
        })))
    })

    describe("the data path fails closed", () => {
      for (const algo of ["none", "../../x", ""]) {
        it.live(`os_hash_algo ${JSON.stringify(algo)}: UnverifiableImage naming it, the data never requested`, () =>
          run(Effect.gen(function*() {
            serve({ ...fields, os_hash_algo: algo, checksum: "0".repeat(32) }, { body: data })
            const images = yield* Images.Images
            const error = yield* Effect.flip(Stream.runDrain(images.download(id)))
            assert.strictEqual(error._tag, "UnverifiableImage")
            assert.include(error.message, JSON.stringify(algo))
            assert.isFalse(server.requests.some((r) => r.path.endsWith("/file")))
            // The md5 fallback, asked for, checks the (wrong) checksum: never ignored.
            const fallback = yield* Effect.flip(Stream.runDrain(images.download(id, { allowMd5Fallback: true })))
            assert.strictEqual(fallback._tag, "ChecksumMismatch")
          })))
      }

      it.live("sha1 and md5 verify, with one warning logged per download", () =>
        run(Effect.gen(function*() {
          const warnings: Array<string> = []
          const capture = Logger.replace(
            Logger.defaultLogger,
            Logger.make(({ logLevel, message }) => {
              if (logLevel._tag === "Warning") warnings.push(String(message))
            })
          )
          const images = yield* Images.Images
          serve({
            ...fields,
            os_hash_algo: "sha1",
            os_hash_value: Crypto.createHash("sha1").update(data).digest("hex")
          }, {
            body: data
          })
          const got = yield* Stream.runCollect(images.download(id)).pipe(Effect.provide(capture))
          assert.isTrue(joined(got).equals(data))
          serve({ checksum: md5(data), size: data.byteLength }, { body: data })
          yield* Stream.runDrain(images.download(id)).pipe(Effect.provide(capture))
          assert.strictEqual(warnings.length, 2)
          assert.include(warnings[0], "verified with sha1 only")
          assert.include(warnings[1], "verified with md5 only")
        })))

      it.live("more bytes than the recorded size: stopped and failed at once (SizeMismatch)", () =>
        run(Effect.gen(function*() {
          serve({ ...fields, size: 100_000 }, {
            body: { endless: true },
            headers: { "content-length": "999999999999" }
          })
          const images = yield* Images.Images
          const error = yield* Effect.flip(Stream.runDrain(images.download(id)))
          assert.strictEqual(error._tag, "SizeMismatch")
          if (error._tag === "SizeMismatch") assert.isFalse(error.complete)
        })))

      it.live("a resume answered 200 (an endless body) is refused without reading it", () =>
        run(Effect.gen(function*() {
          serve(fields, { body: data, cutAfter: 1_500_000 }, { body: { endless: true } })
          const images = yield* Images.Images
          const error = yield* Effect.flip(Stream.runDrain(images.download(id)))
          assert.strictEqual(error._tag, "TransportError")
          assert.include(error.message, "answered 200 instead of 206 Partial Content")
          const ranged = server.requests.filter((r) => r.headers["range"] !== undefined)
          assert.deepStrictEqual(ranged.map((r) => r.headers["range"]), ["bytes=1500000-"])
        })))

      it.live("a redirect on the data path is an error naming its Location, never data", () =>
        run(Effect.gen(function*() {
          serve(fields, {
            status: 302,
            headers: { location: "http://127.0.0.2:1/elsewhere" },
            body: "<html>moved</html>"
          })
          const images = yield* Images.Images
          const path = tempFile()
          const error = yield* Effect.flip(Images.downloadToFile(id, path))
          assert.include(error.message, "302")
          assert.include(error.message, "http://127.0.0.2:1/elsewhere")
          assert.deepStrictEqual(Fs.readdirSync(Path.dirname(path)), [])
          void images
        })))

      it.live("a 500 with an endless body: its message from the first few KiB, the rest never read", () =>
        run(Effect.gen(function*() {
          serve(fields, { status: 500, body: { endless: true, fill: 0x78 } })
          const before = server.bytesSent
          const images = yield* Images.Images
          const error = yield* Effect.flip(Stream.runDrain(images.download(id)).pipe(Effect.timeout("20 seconds")))
          assert.notStrictEqual(error._tag, "TimeoutException")
          assert.isBelow(server.bytesSent - before, 64 * 1024 * 1024)
        })))
    })

    it.live("an upload the server takes but never answers ends within the timeout", () =>
      Effect.provide(
        Effect.gen(function*() {
          serve(fields)
          server.on("PUT", `/v2/images/${id}/file`, { hang: true })
          const images = yield* Images.Images
          const started = Date.now()
          const error = yield* Effect.flip(
            images.upload(id, Stream.make(data.subarray(0, 100_000)), { size: 100_000 }).pipe(
              Effect.timeout("30 seconds")
            )
          )
          assert.strictEqual(error._tag, "TransportError")
          assert.include(error.message, "stalled")
          assert.isBelow(Date.now() - started, 20_000)
        }),
        clientOn(transport, 1)
      ))

    it.live("a stalled body ends within the timeout (with its resumes)", () =>
      Effect.provide(
        Effect.gen(function*() {
          serve(fields, { body: data, stallAfter: 200_000 })
          const images = yield* Images.Images
          const error = yield* Effect.flip(Stream.runDrain(images.download(id)).pipe(Effect.timeout("30 seconds")))
          assert.strictEqual(error._tag, "TransportError")
          assert.include(error.message, "stalled")
        }),
        clientOn(transport, 1)
      ))
  })
}

describe("glanceclient/node's client for small requests", () => {
  it.live("an answer's body is a stream: an endless JSON body does not have to be read whole", () =>
    Effect.gen(function*() {
      server.reset()
      server.on("GET", "/big.json", { headers: { "content-type": "application/json" }, body: { endless: true } })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.execute(HttpClientRequest.get(`${server.url}/big.json`))
      const first = yield* Stream.runHead(response.stream)
      assert.isTrue(first._tag === "Some" && first.value.byteLength > 0)
    }).pipe(Effect.scoped, Effect.provide(NodeGlanceHttp.layerHttpClient())))
})
