/**
 * Transfer over the in-memory Glance: between two projects of one world, between worlds (two
 * clouds), fanned out, a failing target cleaned up while the others finish, a corrupt source
 * leaving nothing, backpressure, the content check, imports and their fallback, idempotent upload.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { GlanceError, Hasher, Images, Transfer } from "../../src/index.js"
import { GlanceTest } from "../../src/testing/index.js"

const { TransportError } = GlanceError

const bytes = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * 31 + seed) % 251)
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex")
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex")

const sourceFields = {
  name: "ubuntu",
  disk_format: "qcow2",
  container_format: "bare",
  min_disk: 3,
  min_ram: 512,
  tags: ["lts", "cloud"],
  os_distro: "ubuntu",
  hw_disk_bus: "virtio",
  visibility: "community" as const,
  protected: true
}

/** The images of one project, as the world holds them. */
const imagesOf = (world: GlanceTest.World, project: string) =>
  [...world.images.values()].map((s) => s.image).filter((i) => i.owner === project)

/** An Images service over `base` whose upload fails after reading `after` bytes (a target that breaks). */
const breakingUpload = (base: Context.Context<GlanceTest.Services>, after: number) => {
  const images = Context.get(base, Images.Images)
  return Context.add(base, Images.Images, {
    ...images,
    uploadEach: <E>(id: string, fill: (block: Uint8Array) => Effect.Effect<number, E>) =>
      Effect.gen(function*() {
        let seen = 0
        while (seen < after) {
          const n = yield* fill(new Uint8Array(64 * 1024))
          if (n === 0) break
          seen += n
        }
        return yield* new TransportError({
          message: `the connection to the target broke after ${seen} bytes`,
          method: "PUT",
          url: `memory:/v2/images/${id}/file`
        })
      })
  })
}

describe("Transfer over GlanceTest", () => {
  it.effect("between two projects of one world: a new image in the target with the same data and metadata", () =>
    Effect.gen(function*() {
      const world = GlanceTest.world()
      const data = bytes(300_000)
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(GlanceTest.layerFor(world, { project: "alice" }))
      )
      const report = yield* Transfer.transfer(source.id, [
        Transfer.target("bob", GlanceTest.layerFor(world, { project: "bob" }))
      ], { properties: { imported_from: "alice" } }).pipe(
        Effect.provide(GlanceTest.layerFor(world, { project: "alice" }))
      )

      assert.strictEqual(report.source.id, source.id)
      assert.strictEqual(report.outcomes.length, 1)
      const outcome = report.outcomes[0]!
      assert.strictEqual(outcome._tag, "Copied")
      if (outcome._tag !== "Copied") return
      assert.strictEqual(outcome.via, "stream")
      const copy = outcome.image
      assert.notStrictEqual(copy.id, source.id)
      assert.strictEqual(copy.owner, "bob")
      assert.strictEqual(copy.status, "active")
      assert.strictEqual(copy.os_hash_value, sha512(data))
      assert.strictEqual(copy.size, data.byteLength)
      assert.strictEqual(copy.name, "ubuntu")
      assert.strictEqual(copy.disk_format, "qcow2")
      assert.strictEqual(copy.min_disk, 3)
      assert.strictEqual(copy.min_ram, 512)
      assert.deepStrictEqual([...copy.tags!].sort(), ["cloud", "lts"])
      assert.strictEqual(copy.os_distro, "ubuntu")
      assert.strictEqual(copy.hw_disk_bus, "virtio")
      assert.strictEqual(copy.imported_from, "alice")
      // Neither the visibility (the target's default) nor protection is copied.
      assert.strictEqual(copy.visibility, "shared")
      assert.strictEqual(copy.protected, false)
      const back = yield* Stream.runCollect(Images.Images.pipe(
        Effect.map((images) => images.download(copy.id)),
        Stream.unwrap,
        Stream.provideLayer(GlanceTest.layerFor(world, { project: "bob" }))
      ))
      assert.isTrue(Buffer.concat(Chunk.toReadonlyArray(back)).equals(Buffer.from(data)))
    }))

  it.effect("between worlds (two clouds), fanned out to two targets with overrides", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const elsewhere = GlanceTest.world()
      const data = bytes(2_000_000, 5)
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      const progress = new Map<string, number>()
      const report = yield* Transfer.transfer(source.id, [
        Transfer.target("there", GlanceTest.layerFor(there, { project: "p1" })),
        Transfer.target("elsewhere", GlanceTest.contextFor(elsewhere, { project: "p2" }))
      ], {
        name: "ubuntu-copy",
        visibility: "private",
        onProgress: (label, n) => progress.set(label, (progress.get(label) ?? 0) + n)
      }).pipe(Effect.provide(GlanceTest.layerFor(here)))
      assert.deepStrictEqual(report.outcomes.map((o) => [o.target, o._tag]), [["there", "Copied"], [
        "elsewhere",
        "Copied"
      ]])
      for (const [world, project] of [[there, "p1"], [elsewhere, "p2"]] as const) {
        const copies = imagesOf(world, project)
        assert.strictEqual(copies.length, 1)
        assert.strictEqual(copies[0]!.os_hash_value, sha512(data))
        assert.strictEqual(copies[0]!.name, "ubuntu-copy")
        assert.strictEqual(copies[0]!.visibility, "private")
      }
      assert.deepStrictEqual(Object.fromEntries(progress), { there: data.byteLength, elsewhere: data.byteLength })
    }))

  /** The data of an image as `project` of `world` downloads it (verified by the client as it comes). */
  const downloaded = (world: GlanceTest.World, project: string, id: string) =>
    Stream.runCollect(Images.Images.pipe(
      Effect.map((images) => images.download(id)),
      Stream.unwrap,
      Stream.provideLayer(GlanceTest.layerFor(world, { project }))
    )).pipe(Effect.map((chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks))))

  /** A copy holds the source's bytes, size and hashes, and every field `copyFields` keeps, as the source has them. */
  const assertCopy = Effect.fnUntraced(function*(
    world: GlanceTest.World,
    project: string,
    copy: Images.Image,
    source: Images.Image,
    data: Uint8Array
  ) {
    assert.strictEqual(copy.status, "active")
    assert.strictEqual(copy.owner, project)
    assert.strictEqual(copy.size, data.byteLength)
    assert.strictEqual(copy.os_hash_algo, "sha512")
    assert.strictEqual(copy.os_hash_value, sha512(data))
    assert.strictEqual(copy.checksum, md5(data))
    const kept = Transfer.copyFields(source)
    assert.includeMembers(Object.keys(kept), ["name", "disk_format", "min_disk", "min_ram", "tags", "os_distro"])
    for (const [key, value] of Object.entries(kept)) {
      assert.deepStrictEqual(
        key === "tags" ? [...(copy.tags ?? [])].sort() : copy[key],
        key === "tags" ? [...(value as Array<string>)].sort() : value,
        key
      )
    }
    assert.isTrue((yield* downloaded(world, project, copy.id)).equals(Buffer.from(data)))
  })

  it.effect("between two worlds: the copy holds the bytes, hashes and metadata; a target whose upload breaks (GlanceTest.failNextUpload) is deleted and reported", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const broken = GlanceTest.world()
      const data = bytes(1_500_000, 29)
      const source = yield* Effect.flatMap(
        GlanceTest.Control,
        (c) => c.seed({ ...sourceFields, os_version: "24.04", hw_scsi_model: "virtio-scsi" }, data)
      ).pipe(Effect.provide(GlanceTest.layerFor(here)))
      // Every upload to the broken world's next image breaks midway, as a cut connection would.
      yield* Effect.flatMap(GlanceTest.Control, (c) => c.failNextUpload()).pipe(
        Effect.provide(GlanceTest.layerFor(broken, { project: "p2" }))
      )
      const report = yield* Transfer.transfer(source.id, [
        Transfer.target("broken", GlanceTest.layerFor(broken, { project: "p2" })),
        Transfer.target("there", GlanceTest.layerFor(there, { project: "p1" }))
      ]).pipe(Effect.provide(GlanceTest.layerFor(here)))

      const [failed, copied] = report.outcomes
      assert.strictEqual(failed!._tag, "Failed")
      if (failed!._tag !== "Failed") return
      const made = failed!.error.imageId!
      assert.strictEqual(
        failed!.error.message,
        `Uploading the data of image ${made} failed, so the new image ${made} was deleted: ` +
          `The connection broke off while uploading the data of image ${made} (GlanceTest.failNextUpload)`
      )
      assert.isFalse(failed!.error.leftBehind)
      assert.strictEqual(broken.failing.length, 0, "the fault fired")
      assert.strictEqual(broken.images.size, 0, "nothing is left on the failed target")

      assert.strictEqual(copied!._tag, "Copied")
      if (copied!._tag !== "Copied") return
      assert.deepStrictEqual(imagesOf(there, "p1").map((i) => i.id), [copied!.image.id])
      yield* assertCopy(there, "p1", copied!.image, source, data)
      // The source is as it was.
      assert.deepStrictEqual([...here.images.keys()], [source.id])
      assert.isTrue((yield* downloaded(here, "test-project", source.id)).equals(Buffer.from(data)))
    }))

  it.effect("between two layerFor projects of one world: the copy holds the bytes, hashes and metadata; a failing project's copy is deleted, the source and the other copy kept", () =>
    Effect.gen(function*() {
      const world = GlanceTest.world()
      const data = bytes(900_000, 31)
      const alice = GlanceTest.layerFor(world, { project: "alice" })
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(alice)
      )
      // Only carol's upload breaks: the fault picks the image by its owner.
      yield* Effect.flatMap(GlanceTest.Control, (c) => c.failNextUpload((image) => image.owner === "carol")).pipe(
        Effect.provide(alice)
      )
      const report = yield* Transfer.transfer(source.id, [
        Transfer.target("bob", GlanceTest.layerFor(world, { project: "bob" })),
        Transfer.target("carol", GlanceTest.contextFor(world, { project: "carol" }))
      ], { name: "ubuntu-shared" }).pipe(Effect.provide(alice))

      assert.deepStrictEqual(report.outcomes.map((o) => [o.target, o._tag]), [["bob", "Copied"], ["carol", "Failed"]])
      const carol = report.outcomes[1]!
      if (carol._tag === "Failed") {
        assert.match(carol.error.message, /^Uploading the data of image .* failed, so the new image .* was deleted: /)
        assert.isFalse(carol.error.leftBehind)
      }
      assert.lengthOf(imagesOf(world, "carol"), 0)
      assert.lengthOf(world.failing, 0)
      const [copy] = imagesOf(world, "bob")
      assert.strictEqual(copy!.name, "ubuntu-shared")
      yield* assertCopy(world, "bob", copy!, { ...source, name: "ubuntu-shared" }, data)
      const [kept] = imagesOf(world, "alice")
      assert.deepStrictEqual([kept!.id, kept!.status, kept!.os_hash_value], [source.id, "active", sha512(data)])
    }))

  it.effect("source blocks larger than the upload's (a platform transport's): split across upload blocks, every byte in order", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const data = bytes(6 * 1024 * 1024 + 5, 37)
      const seeded = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      // The source's data handed on in blocks of 2.5 MiB (the in-memory Glance's 64 KiB ones joined).
      const hereContext = GlanceTest.contextFor(here)
      const sourceImages = Context.get(hereContext, Images.Images)
      const big = 5 * 512 * 1024
      const sizes: Array<number> = []
      const joined = Context.add(hereContext, Images.Images, {
        ...sourceImages,
        downloadEach: (id, write, options) =>
          Stream.runForEach(
            sourceImages.download(id, options).pipe(
              Stream.rechunk(big / (64 * 1024)),
              Stream.mapChunks((chunk) => Chunk.of(Buffer.concat(Chunk.toReadonlyArray(chunk))))
            ),
            (block) => Effect.suspend(() => (sizes.push(block.byteLength), write(block)))
          )
      })
      const report = yield* Transfer.transfer(seeded.id, [
        Transfer.target("a", GlanceTest.layerFor(there, { project: "a" })),
        Transfer.target("b", GlanceTest.layerFor(there, { project: "b" }))
      ]).pipe(Effect.provide(joined))
      assert.deepStrictEqual(report.outcomes.map((o) => o._tag), ["Copied", "Copied"])
      assert.deepStrictEqual(sizes, [big, big, data.byteLength - 2 * big])
      for (const project of ["a", "b"]) {
        const [copy] = imagesOf(there, project)
        assert.isTrue((yield* downloaded(there, project, copy!.id)).equals(Buffer.from(data)))
      }
    }))

  it.effect("a corrupt source: every target fails, and no target keeps an image", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const data = bytes(500_000, 9)
      const source = yield* Effect.gen(function*() {
        const control = yield* GlanceTest.Control
        const seeded = yield* control.seed(sourceFields, data)
        yield* control.corruptDownloads(seeded.id)
        return seeded
      }).pipe(Effect.provide(GlanceTest.layerFor(here)))
      const report = yield* Transfer.transfer(source.id, [
        Transfer.target("a", GlanceTest.layerFor(there, { project: "a" })),
        Transfer.target("b", GlanceTest.layerFor(there, { project: "b" }))
      ]).pipe(Effect.provide(GlanceTest.layerFor(here)))
      for (const outcome of report.outcomes) {
        assert.strictEqual(outcome._tag, "Failed")
        if (outcome._tag !== "Failed") continue
        assert.strictEqual((outcome.error.cause as { _tag: string })._tag, "ChecksumMismatch")
        assert.match(
          outcome.error.message,
          /^Reading the source image .* failed, so the new image .* was deleted: Image .* is corrupt/
        )
        assert.isFalse(outcome.error.leftBehind)
      }
      assert.strictEqual(there.images.size, 0)
    }))

  it.effect("the last block is held back until the source verifies: a target never gets all the bytes of a corrupt source", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      // A whole number of upload blocks: without the hold-back, the last copied byte would fill and send the last one.
      const data = bytes(2 * 1024 * 1024, 3)
      const source = yield* Effect.gen(function*() {
        const control = yield* GlanceTest.Control
        const seeded = yield* control.seed(sourceFields, data)
        yield* control.corruptDownloads(seeded.id)
        return seeded
      }).pipe(Effect.provide(GlanceTest.layerFor(here)))
      let received = 0
      const base = GlanceTest.contextFor(there)
      const images = Context.get(base, Images.Images)
      // A target that counts what reaches it, as a Glance finalising an upload at its last byte would.
      const counting = Context.add(base, Images.Images, {
        ...images,
        uploadEach: (id, fill, options) =>
          images.uploadEach(id, (block) => Effect.tap(fill(block), (n) => void (received += n)), options)
      })
      const report = yield* Transfer.transfer(source.id, [Transfer.target("there", counting)]).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      assert.strictEqual(report.outcomes[0]!._tag, "Failed")
      assert.isAbove(received, 0)
      assert.isBelow(received, data.byteLength)
      assert.strictEqual(there.images.size, 0)
    }))

  it.effect("a target that breaks is deleted and reported; the other finishes", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const data = bytes(3_000_000, 11)
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      const report = yield* Transfer.transfer(source.id, [
        Transfer.target("breaks", breakingUpload(GlanceTest.contextFor(there, { project: "x" }), 200_000)),
        Transfer.target("fine", GlanceTest.layerFor(there, { project: "y" }))
      ]).pipe(Effect.provide(GlanceTest.layerFor(here)))
      const [breaks, fine] = report.outcomes
      assert.strictEqual(breaks!._tag, "Failed")
      if (breaks!._tag === "Failed") {
        assert.match(
          breaks!.error.message,
          /^Uploading the data of image .* failed, so the new image .* was deleted: the connection to the target broke/
        )
        assert.isString(breaks!.error.imageId)
      }
      assert.strictEqual(fine!._tag, "Copied")
      assert.strictEqual(imagesOf(there, "x").length, 0)
      assert.strictEqual(imagesOf(there, "y")[0]!.os_hash_value, sha512(data))
      assert.deepStrictEqual(Transfer.failures(report).map((f) => f.target), ["breaks"])
    }))

  it.effect("a target whose client cannot be built fails alone", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, bytes(1000))).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      const report = yield* Transfer.transfer(source.id, [
        Transfer.target("refused", Layer.fail(new Error("The request you have made requires authentication."))),
        Transfer.target("fine", GlanceTest.layerFor(there))
      ]).pipe(Effect.provide(GlanceTest.layerFor(here)))
      assert.deepStrictEqual(report.outcomes.map((o) => o._tag), ["Failed", "Copied"])
      const refused = report.outcomes[0]!
      if (refused._tag === "Failed") {
        assert.strictEqual(
          refused.error.message,
          "Connecting to refused failed: The request you have made requires authentication."
        )
      }
    }))

  it.live("the slowest target sets the pace: the source is read at most a few blocks ahead of it", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const data = bytes(4 * 1024 * 1024, 13)
      const seeded = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      // The source's bytes as they are read (64 KiB blocks in the in-memory Glance), and how far
      // they are ahead of what the slow target has sent each time.
      let read = 0
      let sent = 0
      let furthestAhead = 0
      const hereContext = GlanceTest.contextFor(here)
      const sourceImages = Context.get(hereContext, Images.Images)
      const counted = Context.add(hereContext, Images.Images, {
        ...sourceImages,
        downloadEach: (id, write, options) =>
          sourceImages.downloadEach(id, (block) =>
            Effect.suspend(() => {
              read += block.byteLength
              furthestAhead = Math.max(furthestAhead, read - sent)
              return write(block)
            }), options)
      })
      const base = GlanceTest.contextFor(there, { project: "slow" })
      const slowImages = Context.get(base, Images.Images)
      const slow = Context.add(base, Images.Images, {
        ...slowImages,
        uploadEach: (id, fill, options) =>
          slowImages.uploadEach(
            id,
            (block) =>
              fill(block).pipe(
                Effect.tap((n) => void (sent += n)),
                Effect.zipLeft(Effect.sleep("20 millis"))
              ),
            options
          )
      })
      const report = yield* Transfer.transfer(seeded.id, [
        Transfer.target("slow", slow),
        Transfer.target("fast", GlanceTest.layerFor(there, { project: "fast" }))
      ]).pipe(Effect.provide(counted))
      assert.deepStrictEqual(report.outcomes.map((o) => o._tag), ["Copied", "Copied"])
      assert.strictEqual(read, data.byteLength)
      // The slow target's upload block being filled (1 MiB), the 4 blocks its lane holds copied ahead
      // and the source block being copied (64 KiB each here): the rest waits, however fast the other
      // target is.
      assert.isAtMost(furthestAhead, 1024 * 1024 + 5 * 64 * 1024)
    }))

  it.effect("skipExisting: a target that sees the same data reuses that image; same-name wants the name too", () =>
    Effect.gen(function*() {
      const world = GlanceTest.world()
      const data = bytes(100_000, 17)
      const alice = GlanceTest.layerFor(world, { project: "alice" })
      const bob = GlanceTest.layerFor(world, { project: "bob" })
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(alice)
      )
      const existing = yield* Effect.flatMap(
        GlanceTest.Control,
        (c) => c.seed({ name: "bobs-own", disk_format: "raw", container_format: "bare" }, data)
      ).pipe(Effect.provide(bob))
      const run = (skipExisting: boolean | "same-name") =>
        Transfer.transfer(source.id, [Transfer.target("bob", bob)], { skipExisting }).pipe(Effect.provide(alice))

      const reused = (yield* run(true)).outcomes[0]!
      assert.strictEqual(reused._tag, "Skipped")
      if (reused._tag === "Skipped") {
        assert.strictEqual(reused.image.id, existing.id)
        assert.strictEqual(reused.note, `image ${existing.id} already holds this data`)
      }
      assert.strictEqual(imagesOf(world, "bob").length, 1)

      const named = (yield* run("same-name")).outcomes[0]!
      assert.strictEqual(named._tag, "Copied")
      assert.strictEqual(imagesOf(world, "bob").length, 2)
      const again = (yield* run("same-name")).outcomes[0]!
      assert.strictEqual(again._tag, "Skipped")
      if (again._tag === "Skipped" && named._tag === "Copied") assert.strictEqual(again.image.id, named.image.id)
      assert.strictEqual(imagesOf(world, "bob").length, 2)
      // Without the check, a copy each time.
      assert.strictEqual((yield* run(false)).outcomes[0]!._tag, "Copied")
      assert.strictEqual(imagesOf(world, "bob").length, 3)
    }))

  it.effect("copy-image adds the store to the source image itself (admin); refused, the fallback streams a new image", () =>
    Effect.gen(function*() {
      const world = GlanceTest.world({ stores: ["fast", "cheap"] })
      const data = bytes(50_000, 19)
      const admin = GlanceTest.layerFor(world, { project: "adm", admin: true })
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(admin)
      )
      const toCheap = (layer: Layer.Layer<GlanceTest.Services>, fallback: boolean) =>
        Transfer.transfer(source.id, [Transfer.target("cheap", layer, { via: "copy-image", store: "cheap", fallback })])
          .pipe(Effect.provide(layer))
      const copied = (yield* toCheap(admin, false)).outcomes[0]!
      assert.strictEqual(copied._tag, "Copied")
      if (copied._tag === "Copied") {
        assert.strictEqual(copied.via, "copy-image")
        assert.strictEqual(copied.image.id, source.id)
        assert.deepStrictEqual(Images.storeList(copied.image.stores), ["fast", "cheap"])
      }
      const again = (yield* toCheap(admin, false)).outcomes[0]!
      assert.deepStrictEqual(again._tag === "Skipped" ? again.note : again._tag, "already in store cheap")

      // A member may not copy-image (Glance's default policy): refused, or streamed into a new image.
      const alice = GlanceTest.layerFor(world, { project: "alice" })
      const own = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, data)).pipe(
        Effect.provide(alice)
      )
      const refused = (yield* Transfer.transfer(own.id, [
        Transfer.target("cheap", alice, { via: "copy-image", store: "cheap" })
      ]).pipe(Effect.provide(alice))).outcomes[0]!
      assert.strictEqual(refused._tag, "Failed")
      if (refused._tag === "Failed") {
        assert.match(
          refused.error.message,
          /^Starting the copy-image import of image .* failed: You are not authorized/
        )
        assert.isFalse(refused.error.leftBehind)
      }
      const streamed = (yield* Transfer.transfer(own.id, [
        Transfer.target("cheap", alice, { via: "copy-image", store: "cheap", fallback: true })
      ]).pipe(Effect.provide(alice))).outcomes[0]!
      assert.strictEqual(streamed._tag, "Copied")
      if (streamed._tag === "Copied") {
        assert.strictEqual(streamed.via, "stream")
        assert.notStrictEqual(streamed.image.id, own.id)
        assert.strictEqual(streamed.image.stores, "cheap")
        assert.match(streamed.note ?? "", /^copy-image failed \(.*not authorized.*\): streamed instead$/)
      }
    }))

  it.effect("glance-download where the target does not offer it: refused, or streamed with the reason said", () =>
    Effect.gen(function*() {
      const world = GlanceTest.world()
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, bytes(10_000))).pipe(
        Effect.provide(GlanceTest.layerFor(world, { project: "alice" }))
      )
      const run = (fallback: boolean) =>
        Transfer.transfer(source.id, [
          Transfer.target("bob", GlanceTest.layerFor(world, { project: "bob" }), {
            via: "glance-download",
            remoteRegion: "RegionOne",
            fallback
          })
        ]).pipe(Effect.provide(GlanceTest.layerFor(world, { project: "alice" })))
      const refused = (yield* run(false)).outcomes[0]!
      assert.strictEqual(
        refused._tag === "Failed" ? refused.error.message : refused._tag,
        "The glance-download import failed: the target does not offer the glance-download import"
      )
      assert.strictEqual(imagesOf(world, "bob").length, 0)
      const streamed = (yield* run(true)).outcomes[0]!
      assert.strictEqual(streamed._tag, "Copied")
      if (streamed._tag === "Copied") {
        assert.strictEqual(streamed.via, "stream")
        assert.strictEqual(streamed.note, "the target does not offer the glance-download import: streamed instead")
      }
    }))

  it.live("an interrupted transfer deletes the images it made", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const source = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields, bytes(400_000))).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      const base = GlanceTest.contextFor(there)
      const images = Context.get(base, Images.Images)
      let uploading = false
      const hanging = Context.add(base, Images.Images, {
        ...images,
        uploadEach: <E>(_: string, fill: (block: Uint8Array) => Effect.Effect<number, E>) =>
          fill(new Uint8Array(64 * 1024)).pipe(
            Effect.zipRight(Effect.sync(() => void (uploading = true))),
            Effect.zipRight(Effect.never)
          )
      })
      const fiber = yield* Effect.fork(
        Transfer.transfer(source.id, [
          Transfer.target("hangs", hanging),
          Transfer.target("fine", GlanceTest.layerFor(there, { project: "other" }))
        ]).pipe(Effect.provide(GlanceTest.layerFor(here)))
      )
      while (!uploading) yield* Effect.sleep("5 millis")
      assert.strictEqual(there.images.size, 2)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(there.images.size, 0)
    }))

  it.effect("a source without data fails before any target is touched", () =>
    Effect.gen(function*() {
      const here = GlanceTest.world()
      const there = GlanceTest.world()
      const queued = yield* Effect.flatMap(GlanceTest.Control, (c) => c.seed(sourceFields)).pipe(
        Effect.provide(GlanceTest.layerFor(here))
      )
      const error = yield* Effect.flip(
        Transfer.transfer(queued.id, [Transfer.target("there", GlanceTest.layerFor(there))]).pipe(
          Effect.provide(GlanceTest.layerFor(here))
        )
      )
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.message, `Image ${queued.id} is queued: only an active image has data to transfer`)
      assert.strictEqual(there.images.size, 0)
    }))

  it("copyFields keeps formats, sizes to boot, tags and custom properties; not what Glance sets or reserves", () => {
    const image: Images.Image = {
      id: "6c3e0a6c-0d0f-4c44-9d5a-2a3d5e1c9b7a",
      name: "src",
      status: "active",
      visibility: "public",
      protected: true,
      os_hidden: false,
      checksum: "abc",
      os_hash_algo: "sha512",
      os_hash_value: "def",
      size: 10,
      virtual_size: 20,
      disk_format: "raw",
      container_format: "bare",
      min_disk: 1,
      min_ram: 2,
      owner: "p",
      tags: ["t"],
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      stores: "fast",
      os_glance_import_task: "x",
      os_glance_failed_import: "",
      direct_url: "file:///x",
      locations: [],
      self: "/v2/images/x",
      file: "/v2/images/x/file",
      schema: "/v2/schemas/image",
      kernel_id: null,
      custom: "kept"
    }
    assert.deepStrictEqual(Transfer.copyFields(image, { name: "dst", properties: { custom: "changed", extra: "1" } }), {
      name: "dst",
      os_hidden: false,
      disk_format: "raw",
      container_format: "bare",
      min_disk: 1,
      min_ram: 2,
      tags: ["t"],
      custom: "changed",
      extra: "1"
    })
  })

  it.effect("createFromFileIfAbsent: creates the image once, then finds it by its data", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "transfer-test-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const file = Path.join(dir, "disk.raw")
      const data = bytes(3 * 1024 * 1024 + 5, 23)
      Fs.writeFileSync(file, data)
      const fields = { name: "disk", disk_format: "raw", container_format: "bare" }
      assert.isTrue(Option.isNone(yield* Transfer.hashAlgorithm))
      const first = yield* Transfer.createFromFileIfAbsent(file, fields)
      assert.isTrue(first.created)
      assert.strictEqual(first.image.os_hash_value, sha512(data))
      assert.deepStrictEqual(yield* Transfer.hashAlgorithm, Option.some("sha512"))
      assert.strictEqual(yield* Transfer.hashFile(file, "sha512"), sha512(data))
      const second = yield* Transfer.createFromFileIfAbsent(file, { ...fields, name: "another" })
      assert.isFalse(second.created)
      assert.strictEqual(second.image.id, first.image.id)
      const named = yield* Transfer.createFromFileIfAbsent(file, { ...fields, name: "another" }, { sameName: true })
      assert.isTrue(named.created)
      assert.notStrictEqual(named.image.id, first.image.id)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(GlanceTest.layer(), NodeFileSystem.layer, Hasher.layer))
    ))
})
