import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as GlanceClient from "../../src/GlanceClient.js"
import * as GlanceHttp from "../../src/GlanceHttp.js"
import * as ImageData from "../../src/ImageData.js"
import * as ImageEndpoint from "../../src/ImageEndpoint.js"
import * as Images from "../../src/Images.js"
import * as Info from "../../src/Info.js"
import * as Keystone from "../../src/Keystone.js"
import { breaksAfter, type FakeServer, fakeServer, json, type Received, type Reply, requestLines } from "./fakeHttp.js"

const id = "1bea47ed-f6a9-463b-b423-14b9cca9ad27"

/** For tests that would wait forever on the TestClock if the code under test slept: fail in seconds, not a minute. */
const failFast = 5_000

/** Runs `f` with the images service over `server`, the Image API being at `http://cloud/image` (a path prefix). */
const withImages = <A, E>(
  server: FakeServer,
  f: (images: Images.Service) => Effect.Effect<A, E, Images.Images | Info.Info>
) =>
  Effect.flatMap(Images.Images, f).pipe(
    Effect.provide(
      Layer.merge(Images.layer, Info.layer).pipe(
        Layer.provide(Layer.merge(GlanceHttp.layer(), ImageData.layer())),
        Layer.provide(
          Layer.merge(Keystone.layerToken(Redacted.make("tok")), ImageEndpoint.layerUrl("http://cloud/image"))
        ),
        Layer.provide(GlanceClient.portable),
        Layer.provide(server.layer)
      )
    )
  )

const image = (imageId: string, extra: Record<string, unknown> = {}) => ({
  id: imageId,
  name: `image ${imageId}`,
  status: "active",
  visibility: "public",
  tags: [],
  ...extra
})

const collect = <E>(stream: Stream.Stream<Uint8Array, E>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks)))

const hash = (algorithm: string, data: Uint8Array) => Crypto.createHash(algorithm).update(data).digest("hex")

describe("Images", () => {
  describe("createViaImport", () => {
    it.effect("an import method the cloud does not offer: NotSupported naming what it offers, nothing created", () =>
      Effect.gen(function*() {
        const server = fakeServer((request) => {
          if (request.url.pathname === "/image/versions" || request.url.pathname === "/image/") {
            return json(300, { versions: [{ id: "v2.16", status: "CURRENT" }, { id: "v2.6", status: "SUPPORTED" }] })
          }
          if (request.url.pathname === "/image/v2/info/import") {
            return json(200, { "import-methods": { value: ["glance-direct", "copy-image"] } })
          }
          return json(500, {})
        })
        const error = yield* Effect.flip(
          withImages(
            server,
            () =>
              Images.createViaImport({ name: "x", disk_format: "raw", container_format: "bare" }, {
                method: "glance-download",
                remoteRegion: "RegionTwo",
                remoteImageId: id
              })
          )
        )
        assert.strictEqual(error._tag, "NotSupported")
        assert.include(
          error.message,
          "does not offer the glance-download import (it offers: glance-direct, copy-image)"
        )
        assert.isFalse(server.received.some((r) => r.method === "POST"))
      }))
  })

  describe("waitFor", () => {
    it.live("waiting for stores waits until the import that adds them has let go of its task lock", () =>
      Effect.gen(function*() {
        // Glance lists the new store a moment before the copy-image task drops its lock.
        const states = [
          { stores: "fast", os_glance_import_task: "task-1" },
          { stores: "fast,cheap", os_glance_import_task: "task-1" },
          { stores: "fast,cheap" }
        ]
        const server = fakeServer((_, index) => json(200, image(id, states[Math.min(index, 2)])))
        const done = yield* withImages(
          server,
          () => Images.waitFor(id, { stores: ["cheap"], interval: "1 millis" })
        )
        assert.strictEqual(done.os_glance_import_task, undefined)
        assert.strictEqual(server.received.length, 3)
      }))
    describe("afterImport: an import that failed before the first look", () => {
      // An image's tasks are listed from v2.12 on.
      const versions = json(300, {
        versions: [{ id: "v2.16", status: "CURRENT" }, { id: "v2.12", status: "SUPPORTED" }]
      })
      const task = (taskId: string, status: string, createdAt: string, message = "") => ({
        id: taskId,
        type: "api_image_import",
        status,
        message,
        created_at: createdAt
      })
      /** The image as it is once Glance has reverted a failed import: queued, no task lock. */
      const server = (
        tasks: (look: number) => ReadonlyArray<unknown>,
        status: (look: number) => string = () => "queued"
      ) => {
        let looks = 0
        let taskLooks = 0
        return fakeServer((request) => {
          const path = request.url.pathname
          if (path === "/image/versions" || path === "/image/") return versions
          if (path === `/image/v2/images/${id}/tasks`) return json(200, { tasks: tasks(taskLooks++) })
          return json(200, image(id, { status: status(looks++) }))
        })
      }
      const failedLast = () => [
        task("t-old", "success", "2026-12-01T10:00:00.000000"),
        task("t-new", "failure", "2026-12-06T01:44:12.000000", "URI does not pass filtering")
      ]

      it.live("fails at the first look, with the newest task's message", () =>
        Effect.gen(function*() {
          const fake = server(failedLast)
          const error = yield* Effect.flip(
            withImages(
              fake,
              () => Images.waitFor(id, { afterImport: true, interval: "1 millis", timeout: "5 seconds" })
            )
          )
          assert.strictEqual(error._tag, "ImageFailed")
          if (error._tag !== "ImageFailed") return
          assert.strictEqual(error.reason, "import-failed")
          assert.strictEqual(
            error.message,
            `Image ${id} failed to import: URI does not pass filtering (it is back in status queued)`
          )
          assert.strictEqual(fake.received.filter((r) => r.url.pathname === `/image/v2/images/${id}`).length, 1)
        }))

      it.live("without it the same image is waited for until the timeout (it could be waiting for an upload)", () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(
            withImages(server(failedLast), () => Images.waitFor(id, { interval: "1 millis", timeout: "100 millis" }))
          )
          assert.strictEqual(error._tag, "ImageFailed")
          if (error._tag !== "ImageFailed") return
          assert.strictEqual(error.reason, "timeout")
        }))

      it.live("a task still under way, or a newest task that did not fail, is waited for", () =>
        Effect.gen(function*() {
          // Look 0: the import's task is still processing; look 1: it succeeded, the image not yet
          // active; look 2: active.
          const fake = server(
            (look) =>
              look === 0
                ? [task("t-new", "processing", "2026-12-06T01:44:12.000000")]
                : [
                  task("t-old", "failure", "2026-12-01T10:00:00.000000", "an earlier import"),
                  task("t-new", "success", "2026-12-06T01:44:12.000000")
                ],
            (look) => (look < 2 ? "queued" : "active")
          )
          const done = yield* withImages(
            fake,
            () => Images.waitFor(id, { afterImport: true, interval: "1 millis", timeout: "5 seconds" })
          )
          assert.strictEqual(done.status, "active")
          assert.strictEqual(fake.received.filter((r) => r.url.pathname === `/image/v2/images/${id}`).length, 3)
        }))
    })
  })

  describe("list", () => {
    it.effect("follows next against the path-prefixed endpoint and stops when there is none", () =>
      Effect.gen(function*() {
        const server = fakeServer((request) => {
          const marker = request.url.searchParams.get("marker")
          return marker === null
            ? json(200, { images: [image("a1"), image("a2")], next: "/v2/images?marker=a2", first: "/v2/images" })
            : marker === "a2"
            ? json(200, { images: [image("a3")], next: "/v2/images?marker=a3&limit=20" })
            : json(200, { images: [image("a4")] })
        })
        const listed = yield* withImages(server, (images) => Stream.runCollect(images.list()))
        assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((i) => i.id), ["a1", "a2", "a3", "a4"])
        assert.deepStrictEqual(server.received.map((r) => r.url.href), [
          "http://cloud/image/v2/images?limit=200",
          "http://cloud/image/v2/images?marker=a2",
          "http://cloud/image/v2/images?marker=a3&limit=20"
        ])
      }))

    it.effect("stops on an empty page even when it has a next link", () =>
      Effect.gen(function*() {
        const server = fakeServer((_, index) =>
          index === 0
            ? json(200, { images: [image("a1")], next: "/v2/images?marker=a1" })
            : index === 1
            ? json(200, { images: [], next: "/v2/images?marker=a1" })
            : json(200, { images: [image("never")] })
        )
        const listed = yield* withImages(server, (images) => Stream.runCollect(images.list()))
        assert.strictEqual(Chunk.size(listed), 1)
        assert.strictEqual(server.received.length, 2)
      }))

    it.effect("limit caps the total and the page size, and no page past it is fetched", () =>
      Effect.gen(function*() {
        const server = fakeServer((request) => {
          const marker = request.url.searchParams.get("marker")
          const n = marker === null ? 0 : Number(marker)
          return json(200, { images: [image(`${n + 1}`), image(`${n + 2}`)], next: `/v2/images?marker=${n + 2}` })
        })
        const listed = yield* withImages(server, (images) => Stream.runCollect(images.list({ limit: 3 })))
        assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((i) => i.id), ["1", "2", "3"])
        assert.deepStrictEqual(requestLines(server), ["GET /image/v2/images?limit=3", "GET /image/v2/images?marker=2"])
      }))

    it.effect("encodes filters, repeated tags and sort parameters", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => json(200, { images: [] }))
        yield* withImages(server, (images) =>
          Stream.runDrain(images.list({
            filters: { tag: ["db", "prod env"], status: "active", size_min: 1024, os_hidden: true, name: "in:a,b" },
            sortKey: ["name", "created_at"],
            sortDir: ["asc", "desc"],
            pageSize: 50
          })))
        const params = server.received[0]!.url.searchParams
        assert.deepStrictEqual(params.getAll("tag"), ["db", "prod env"])
        assert.strictEqual(params.get("status"), "active")
        assert.strictEqual(params.get("size_min"), "1024")
        assert.strictEqual(params.get("os_hidden"), "true")
        assert.strictEqual(params.get("name"), "in:a,b")
        assert.deepStrictEqual(params.getAll("sort_key"), ["name", "created_at"])
        assert.deepStrictEqual(params.getAll("sort_dir"), ["asc", "desc"])
        assert.strictEqual(params.get("limit"), "50")
        assert.include(server.received[0]!.url.search, "tag=prod+env")
      }))

    it("listParams puts sort in one parameter", () => {
      assert.deepStrictEqual(Images.listParams({ sort: "name:asc,status" }), [["limit", "200"], [
        "sort",
        "name:asc,status"
      ]])
    })
  })

  describe("update", () => {
    it.effect("sends one JSON-patch request of the v2.1 media type", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => json(200, image(id, { name: "renamed" })))
        const updated = yield* withImages(server, (images) =>
          images.update(id, { set: { name: "renamed", hw_disk_bus: "scsi" }, remove: ["old_prop"] }))
        assert.strictEqual(updated.name, "renamed")
        const [request] = server.received
        assert.strictEqual(request!.method, "PATCH")
        assert.strictEqual(request!.url.href, `http://cloud/image/v2/images/${id}`)
        assert.strictEqual(request!.headers["content-type"], "application/openstack-images-v2.1-json-patch")
        assert.deepStrictEqual(request!.json, [
          { op: "add", path: "/name", value: "renamed" },
          { op: "add", path: "/hw_disk_bus", value: "scsi" },
          { op: "remove", path: "/old_prop" }
        ])
      }))
  })

  describe("download", () => {
    const data = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) % 256)
    const corrupted = Uint8Array.from(data, (b, i) => (i === 123_456 ? b ^ 0x01 : b))

    /** Glance serving `record` as the image and `bytes` (or 204 when undefined) as its data. */
    const serving = (record: Record<string, unknown>, bytes: Uint8Array | undefined) =>
      fakeServer((request: Received): Reply => {
        if (request.url.pathname === `/image/v2/images/${id}`) return json(200, record)
        if (request.url.pathname === `/image/v2/images/${id}/file`) {
          return bytes === undefined
            ? { status: 204 }
            : {
              status: 200,
              headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length) },
              body: bytes
            }
        }
        return json(404, { message: "No such thing" })
      })

    const sha512Image = image(id, {
      size: data.length,
      checksum: hash("md5", data),
      os_hash_algo: "sha512",
      os_hash_value: hash("sha512", data)
    })

    it.live("resumes a broken download with Range from the byte reached; the consumer sees each byte once", () =>
      Effect.gen(function*() {
        const cut = 70_000
        const server = fakeServer((request: Received): Reply => {
          if (request.url.pathname === `/image/v2/images/${id}`) return json(200, sha512Image)
          const range = request.headers["range"]
          if (range === undefined) {
            return {
              status: 200,
              headers: { "content-length": String(data.length) },
              body: breaksAfter(data.slice(0, cut))
            }
          }
          const from = Number(/bytes=(\d+)-/.exec(range)![1])
          return {
            status: 206,
            headers: { "content-range": `bytes ${from}-${data.length - 1}/${data.length}` },
            body: data.slice(from)
          }
        })
        const bytes = yield* withImages(server, (images) => collect(images.download(id)))
        assert.isTrue(bytes.equals(data))
        // Bytes not yet handed to the consumer when the connection broke are asked for again.
        const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.received[2]!.headers["range"] ?? "")?.[1] ?? NaN)
        assert.isTrue(resumedAt >= 0 && resumedAt <= cut)
      }))

    it.live("gives up after maxResumes broken attempts with a TransportError", () =>
      Effect.gen(function*() {
        const server = fakeServer((request: Received): Reply => {
          if (request.url.pathname === `/image/v2/images/${id}`) return json(200, sha512Image)
          const from = Number(/bytes=(\d+)-/.exec(request.headers["range"] ?? "bytes=0-")![1])
          return {
            status: request.headers["range"] === undefined ? 200 : 206,
            headers: { "content-range": `bytes ${from}-${data.length - 1}/${data.length}` },
            body: breaksAfter(data.slice(from, from + 1000))
          }
        })
        const error = yield* withImages(server, (images) => Effect.flip(collect(images.download(id))))
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual(server.received.length, 2 + Images.maxResumes)
      }))

    it.effect("passes bytes whose sha512 matches os_hash_value", () =>
      Effect.gen(function*() {
        const server = serving(sha512Image, data)
        const bytes = yield* withImages(server, (images) => collect(images.download(id)))
        assert.isTrue(bytes.equals(data))
        assert.deepStrictEqual(requestLines(server), [`GET /image/v2/images/${id}`, `GET /image/v2/images/${id}/file`])
        assert.strictEqual(server.received[1]!.headers["accept"], "application/octet-stream")
      }))

    it.effect("fails with ChecksumMismatch, carrying both hashes, when one byte is corrupt", () =>
      Effect.gen(function*() {
        const error = yield* withImages(
          serving(sha512Image, corrupted),
          (images) => Effect.flip(collect(images.download(id)))
        )
        assert.strictEqual(error._tag, "ChecksumMismatch")
        if (error._tag === "ChecksumMismatch") {
          assert.strictEqual(error.imageId, id)
          assert.strictEqual(error.algorithm, "sha512")
          assert.strictEqual(error.expected, hash("sha512", data))
          assert.strictEqual(error.actual, hash("sha512", corrupted))
          assert.include(error.message, error.expected)
          assert.include(error.message, error.actual)
        }
      }))

    it.effect("a 204 is NoImageData", () =>
      Effect.gen(function*() {
        const error = yield* withImages(
          serving(image(id, { status: "queued" }), undefined),
          (images) => Effect.flip(collect(images.download(id)))
        )
        assert.strictEqual(error._tag, "NoImageData")
        assert.strictEqual(error.message, `Image ${id} has no data.`)
      }))

    it.effect("falls back to the md5 checksum when there is no os_hash_value", () =>
      Effect.gen(function*() {
        const md5Only = image(id, { size: data.length, checksum: hash("md5", data), os_hash_value: null })
        const good = yield* withImages(serving(md5Only, data), (images) => collect(images.download(id)))
        assert.isTrue(good.equals(data))
        const error = yield* withImages(serving(md5Only, corrupted), (images) =>
          Effect.flip(collect(images.download(id))))
        assert.strictEqual(error._tag, "ChecksumMismatch")
        if (error._tag === "ChecksumMismatch") {
          assert.strictEqual(error.algorithm, "md5")
          assert.strictEqual(error.expected, hash("md5", data))
          assert.strictEqual(error.actual, hash("md5", corrupted))
        }
      }))

    it.effect("verify: false skips the image record and the check", () =>
      Effect.gen(function*() {
        const server = serving(sha512Image, corrupted)
        const bytes = yield* withImages(server, (images) => collect(images.download(id, { verify: false })))
        assert.isTrue(bytes.equals(corrupted))
        assert.deepStrictEqual(requestLines(server), [`GET /image/v2/images/${id}/file`])
      }))
  })

  describe("verification (fails closed)", () => {
    const base = { id, status: "active" }
    const every = { allowMd5Fallback: false, offers: () => true }
    const check = (image: Images.Image, options: Parameters<typeof Images.verification>[1] = every) =>
      Effect.runSync(Effect.either(Images.verification(image, options)))

    it("prefers os_hash_value, lower-cased, with Glance's name of the algorithm (case and - for _ accepted)", () => {
      const image = { ...base, checksum: "m", os_hash_algo: "SHA3-256", os_hash_value: "ABCDEF" }
      assert.deepStrictEqual(check(image), Either.right(Option.some({ algorithm: "sha3_256", value: "abcdef" })))
    })

    it("uses the md5 checksum, or Content-MD5, when there is no os_hash_value; nothing when there is no hash at all", () => {
      const md5 = (value: string) => Either.right(Option.some({ algorithm: "md5" as const, value }))
      assert.deepStrictEqual(check({ ...base, checksum: "AA" }, { ...every, contentMd5: "bb" }), md5("aa"))
      assert.deepStrictEqual(check({ ...base, os_hash_algo: "sha512" }, { ...every, contentMd5: "BB" }), md5("bb"))
      assert.deepStrictEqual(check(base), Either.right(Option.none()))
    })

    for (const algo of ["none", "../../x", "", "whirlpool-9000", "shake_128"]) {
      it(`os_hash_algo ${JSON.stringify(algo)} is refused, naming it, even with a (wrong) md5 checksum present`, () => {
        const odd = { ...base, checksum: "cc", os_hash_algo: algo, os_hash_value: "ff" }
        const refused = check(odd)
        assert.isTrue(Either.isLeft(refused))
        if (Either.isLeft(refused)) {
          assert.strictEqual(refused.left._tag, "UnverifiableImage")
          assert.strictEqual(refused.left.algorithm, algo)
          assert.include(refused.left.message, JSON.stringify(algo))
          assert.include(refused.left.message, "allow the md5 fallback")
        }
        // Asked for, the md5 fallback verifies the checksum instead (never ignores it).
        assert.deepStrictEqual(
          check(odd, { ...every, allowMd5Fallback: true }),
          Either.right(Option.some({ algorithm: "md5", value: "cc" }))
        )
      })
    }

    it("an algorithm Glance knows but the hasher does not offer is refused; the fallback needs a checksum", () => {
      const sm3 = { ...base, os_hash_algo: "sm3", os_hash_value: "ff" }
      const offers = (a: string) => a !== "sm3"
      const refused = check(sm3, { allowMd5Fallback: true, offers })
      assert.isTrue(Either.isLeft(refused))
      if (Either.isLeft(refused)) {
        assert.include(refused.left.message, "\"sm3\", which this client's hasher does not offer")
        assert.include(refused.left.message, "no md5 checksum to fall back to")
      }
    })
  })

  describe("upload", () => {
    const parts = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5]), new Uint8Array([6])]

    it.effect("streams the body with Content-Length when the size is given", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => ({ status: 204 }))
        yield* withImages(server, (images) => images.upload(id, Stream.fromIterable(parts), { size: 6 }))
        const [request] = server.received
        assert.strictEqual(request!.method, "PUT")
        assert.strictEqual(request!.url.href, `http://cloud/image/v2/images/${id}/file`)
        assert.strictEqual(request!.headers["content-length"], "6")
        assert.strictEqual(request!.headers["content-type"], "application/octet-stream")
        assert.strictEqual(request!.headers["x-auth-token"], "tok")
        assert.deepStrictEqual([...request!.bytes!], [1, 2, 3, 4, 5, 6])
      }))

    it.effect("sends no Content-Length when the size is unknown", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => ({ status: 204 }))
        yield* withImages(server, (images) => images.upload(id, Stream.fromIterable(parts)))
        assert.isUndefined(server.received[0]!.headers["content-length"])
        assert.deepStrictEqual([...server.received[0]!.bytes!], [1, 2, 3, 4, 5, 6])
      }))

    it.effect("an upload is not retried on 503", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => ({ status: 503, body: "503 Service Unavailable\n\nBusy\n\n" }))
        const error = yield* withImages(server, (images) =>
          Effect.flip(images.upload(id, Stream.fromIterable(parts), { size: 6 })))
        assert.strictEqual(error._tag, "ServiceUnavailable")
        assert.strictEqual(error.message, "Busy")
        assert.strictEqual(server.received.length, 1)
      }), failFast)
  })
})
