/**
 * The Images contract: what Glance does with images and their data, and what each project sees
 * of another's images. Written once, run against the twin and the lab.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import { Images } from "../../../src/index.js"
import { uniqueName } from "../../support/lab.js"
import { as, bytes, downloaded, listedIds, outcome, Parties, scopedImage, type Target } from "../support.js"

const raw = { disk_format: "raw", container_format: "bare" } as const

const hex = (algorithm: string, data: Uint8Array) => Crypto.createHash(algorithm).update(data).digest("hex")

/** The Images cases. */
export const imagesSuite = (target: Target) =>
  layer(target.layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("a new image is queued, shared, owned by its project, with Glance's defaults", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-new") })
        assert.strictEqual(image.status, "queued")
        assert.strictEqual(image.visibility, "shared")
        assert.strictEqual(image.owner, demo.projectId)
        assert.strictEqual(image.protected, false)
        assert.strictEqual(image.os_hidden, false)
        assert.deepStrictEqual(image.tags, [])
        assert.strictEqual(image.size, null)
        assert.strictEqual(image.checksum, null)
        assert.strictEqual(image.disk_format, null)
        assert.strictEqual(image.min_ram, 0)
        const again = yield* demo.images.get(image.id)
        assert.strictEqual(again.id, image.id)
        assert.strictEqual(again.name, image.name)
        const missing = yield* outcome(demo.images.get("00000000-0000-0000-0000-000000000000"))
        assert.strictEqual(missing, "NotFound")
      }))

    it.scoped("an upload makes the image active with size, md5 and sha512 of the bytes, in the default store or the one named", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const data = bytes("the contract of an upload")
        const image = yield* scopedImage(demo, { name: uniqueName("ct-upload"), ...raw })
        yield* demo.images.upload(image.id, Stream.make(data), { size: data.byteLength })
        const active = yield* demo.images.get(image.id)
        assert.strictEqual(active.status, "active")
        assert.strictEqual(active.size, data.byteLength)
        assert.strictEqual(active.checksum, hex("md5", data))
        assert.strictEqual(active.os_hash_algo, "sha512")
        assert.strictEqual(active.os_hash_value, hex("sha512", data))
        const stores = yield* demo.info.stores
        assert.strictEqual(active.stores, stores.find((s) => s.default)?.id)
        assert.deepStrictEqual(yield* downloaded(demo, image.id), Buffer.from(data))

        const spare = stores.find((s) => !s.default)!.id
        const elsewhere = yield* scopedImage(demo, { name: uniqueName("ct-store"), ...raw })
        const toNowhere = demo.images.upload(elsewhere.id, Stream.make(data), { store: "no-such-store" })
        assert.strictEqual(yield* outcome(toNowhere), "BadRequest")
        yield* demo.images.upload(elsewhere.id, Stream.make(data), { store: spare })
        assert.strictEqual((yield* demo.images.get(elsewhere.id)).stores, spare)
      }))

    it.scoped("the status machine: no data before formats, one upload only, deactivate only when active", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        const bare = yield* scopedImage(demo, { name: uniqueName("ct-noformat") })
        assert.strictEqual(yield* outcome(demo.images.upload(bare.id, Stream.make(bytes("x")))), "BadRequest")
        assert.strictEqual((yield* demo.images.get(bare.id)).status, "queued")
        assert.strictEqual(yield* outcome(Stream.runDrain(demo.images.download(bare.id))), "NoImageData")
        assert.strictEqual(yield* outcome(demo.images.deactivate(bare.id)), "Forbidden")

        const image = yield* scopedImage(demo, { name: uniqueName("ct-machine"), ...raw })
        yield* demo.images.upload(image.id, Stream.make(bytes("abc")))
        assert.strictEqual(yield* outcome(demo.images.upload(image.id, Stream.make(bytes("abc")))), "Conflict")
        assert.strictEqual(yield* outcome(demo.images.stage(image.id, Stream.make(bytes("abc")))), "Conflict")

        yield* demo.images.deactivate(image.id)
        assert.strictEqual((yield* demo.images.get(image.id)).status, "deactivated")
        // Deactivated: even the owner may not download; an admin may.
        assert.strictEqual(yield* outcome(Stream.runDrain(demo.images.download(image.id))), "Forbidden")
        assert.deepStrictEqual(yield* downloaded(admin, image.id), Buffer.from("abc"))
        yield* demo.images.reactivate(image.id)
        assert.strictEqual((yield* demo.images.get(image.id)).status, "active")
        assert.deepStrictEqual(yield* downloaded(demo, image.id), Buffer.from("abc"))
      }))

    it.scoped("glance-direct: stage makes it uploading, the import makes it active with the staged bytes' hashes", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const data = bytes("staged for a glance-direct import")
        const image = yield* scopedImage(demo, { name: uniqueName("ct-import"), ...raw })
        yield* demo.images.stage(image.id, Stream.make(data), { size: data.byteLength })
        assert.strictEqual((yield* demo.images.get(image.id)).status, "uploading")
        yield* demo.images.importImage(image.id, { method: "glance-direct" })
        const active = yield* as(demo)(Images.waitFor(image.id, { interval: "200 millis", timeout: "60 seconds" }))
        assert.strictEqual(active.status, "active")
        assert.strictEqual(active.size, data.byteLength)
        assert.strictEqual(active.os_hash_value, hex("sha512", data))
        const tasks = yield* demo.images.tasks(image.id)
        assert.deepStrictEqual(tasks.map((t) => [t.type, t.image_id]), [["api_image_import", image.id]])
        // A second glance-direct import has nothing staged: 409.
        assert.strictEqual(yield* outcome(demo.images.importImage(image.id, { method: "glance-direct" })), "Conflict")
      }))

    it.scoped("changing properties: read-only 403, reserved 403, schema 400, removing what is absent 409", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-patch"), flavour: "plain" })
        assert.strictEqual(image.flavour, "plain")
        const changed = yield* demo.images.update(image.id, { set: { flavour: "spicy", min_ram: 512 } })
        assert.strictEqual(changed.flavour, "spicy")
        assert.strictEqual(changed.min_ram, 512)
        const removed = yield* demo.images.update(image.id, { remove: ["flavour"] })
        assert.isFalse("flavour" in removed)
        const refusals = {
          readOnly: yield* outcome(demo.images.patch(image.id, [{ op: "replace", path: "/status", value: "active" }])),
          reserved: yield* outcome(demo.images.update(image.id, { set: { os_glance_mine: "x" } })),
          notString: yield* outcome(demo.images.update(image.id, { set: { answer: 42 } })),
          badFormat: yield* outcome(demo.images.update(image.id, { set: { disk_format: "floppy" } })),
          absent: yield* outcome(demo.images.update(image.id, { remove: ["never-set"] })),
          replaceAbsent: yield* outcome(
            demo.images.patch(image.id, [{ op: "replace", path: "/never-set", value: "x" }])
          ),
          owner: yield* outcome(demo.images.update(image.id, { set: { owner: "someone-else" } })),
          publicize: yield* outcome(demo.images.update(image.id, { set: { visibility: "public" } }))
        }
        assert.deepStrictEqual(refusals, {
          readOnly: "Forbidden",
          reserved: "Forbidden",
          notString: "BadRequest",
          badFormat: "BadRequest",
          absent: "Conflict",
          replaceAbsent: "Conflict",
          owner: "Forbidden",
          publicize: "Forbidden"
        })
        assert.strictEqual(yield* outcome(demo.images.create({ name: "x", disk_format: "floppy" })), "BadRequest")
        assert.strictEqual(yield* outcome(demo.images.create({ id: image.id })), "Conflict")
        assert.strictEqual(yield* outcome(demo.images.create({ name: "x", owner: "someone-else" })), "Forbidden")
      }))

    it.scoped("tags: adding twice keeps one, removing an absent tag is 404, a tag filter ANDs its tags", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const red = uniqueName("red")
        const blue = uniqueName("blue")
        const both = yield* scopedImage(demo, { name: uniqueName("ct-tags"), tags: [red] })
        const one = yield* scopedImage(demo, { name: uniqueName("ct-tags"), tags: [red] })
        yield* demo.images.addTag(both.id, blue)
        yield* demo.images.addTag(both.id, blue)
        assert.deepStrictEqual([...(yield* demo.images.get(both.id)).tags!].sort(), [blue, red].sort())
        assert.strictEqual(yield* outcome(demo.images.removeTag(both.id, "never-there")), "NotFound")
        assert.deepStrictEqual(yield* listedIds(demo, { tag: [red, blue] }), [both.id])
        assert.deepStrictEqual([...(yield* listedIds(demo, { tag: [red] }))].sort(), [both.id, one.id].sort())
        yield* demo.images.removeTag(both.id, blue)
        assert.deepStrictEqual(yield* listedIds(demo, { tag: [blue] }), [])
      }))

    it.scoped("listing: newest first by default, sort and limit, os_hidden images only when asked", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const tag = uniqueName("ct-list")
        const b = yield* scopedImage(demo, { name: `${tag}-b`, tags: [tag] })
        const a = yield* scopedImage(demo, { name: `${tag}-a`, tags: [tag], min_disk: 3 })
        const c = yield* scopedImage(demo, { name: `${tag}-c`, tags: [tag], os_hidden: true })
        assert.deepStrictEqual(yield* listedIds(demo, { tag }, { sortKey: ["name"], sortDir: ["asc"] }), [a.id, b.id])
        assert.deepStrictEqual(yield* listedIds(demo, { tag }, { sort: "name:desc" }), [b.id, a.id])
        assert.deepStrictEqual(yield* listedIds(demo, { tag }, { sort: "name:asc", limit: 1 }), [a.id])
        assert.deepStrictEqual(yield* listedIds(demo, { tag, os_hidden: true }), [c.id])
        assert.deepStrictEqual(yield* listedIds(demo, { tag, min_disk: 3 }), [a.id])
        assert.deepStrictEqual(yield* listedIds(demo, { tag, name: `in:${tag}-a,${tag}-b` }, { sort: "name:asc" }), [
          a.id,
          b.id
        ])
      }))

    it.scoped("a protected image cannot be deleted; a deleted image is gone", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-protected"), protected: true })
        assert.strictEqual(yield* outcome(demo.images.delete(image.id)), "Forbidden")
        yield* demo.images.update(image.id, { set: { protected: false } })
        yield* demo.images.delete(image.id)
        assert.strictEqual(yield* outcome(demo.images.get(image.id)), "NotFound")
        assert.strictEqual(yield* outcome(demo.images.delete(image.id)), "NotFound")
      }))

    it.scoped("visibility: private images are the owner's (and admins'), community images anyone's by id", () =>
      Effect.gen(function*() {
        const { admin, demo, other } = yield* Parties
        const secret = yield* scopedImage(demo, { name: uniqueName("ct-private"), visibility: "private" })
        assert.strictEqual(yield* outcome(other.images.get(secret.id)), "NotFound")
        assert.deepStrictEqual(yield* listedIds(other, { name: secret.name! }), [])
        assert.strictEqual((yield* admin.images.get(secret.id)).id, secret.id)
        assert.deepStrictEqual(yield* listedIds(admin, { name: secret.name! }), [secret.id])

        const unshared = yield* scopedImage(demo, { name: uniqueName("ct-unshared"), visibility: "shared" })
        assert.strictEqual(yield* outcome(other.images.get(unshared.id)), "NotFound")

        const community = yield* scopedImage(demo, {
          name: uniqueName("ct-community"),
          visibility: "community",
          ...raw
        })
        assert.strictEqual((yield* other.images.get(community.id)).id, community.id)
        // Not in the default list, only when community images are asked for.
        assert.deepStrictEqual(yield* listedIds(other, { name: community.name! }), [])
        assert.deepStrictEqual(yield* listedIds(other, { name: community.name!, visibility: "community" }), [
          community.id
        ])
        assert.deepStrictEqual(yield* listedIds(demo, { name: community.name! }), [community.id])
        // Seen is not owned.
        const byOther = {
          update: yield* outcome(other.images.update(community.id, { set: { name: "mine" } })),
          delete: yield* outcome(other.images.delete(community.id)),
          upload: yield* outcome(other.images.upload(community.id, Stream.make(bytes("x")))),
          tag: yield* outcome(other.images.addTag(community.id, "x"))
        }
        assert.deepStrictEqual(byOther, {
          update: "Forbidden",
          delete: "Forbidden",
          upload: "Forbidden",
          tag: "Forbidden"
        })
      }))

    it.scoped("public images (made by an admin) are in everyone's list", () =>
      Effect.gen(function*() {
        const { admin, demo, other } = yield* Parties
        const name = uniqueName("ct-public")
        const image = yield* scopedImage(admin, { name, visibility: "public" })
        assert.deepStrictEqual(yield* listedIds(demo, { name }), [image.id])
        assert.deepStrictEqual(yield* listedIds(other, { name, visibility: "public" }), [image.id])
        assert.strictEqual(yield* outcome(other.images.delete(image.id)), "Forbidden")
      }))

    it.scoped("copy-image is for admins; the owner deletes the data from a store, but not from the last one", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        const stores = yield* demo.info.stores
        const home = stores.find((s) => s.default)!.id
        const spare = stores.find((s) => !s.default)!.id
        const image = yield* scopedImage(demo, { name: uniqueName("ct-copy"), ...raw })
        yield* demo.images.upload(image.id, Stream.make(bytes("copied")))
        const copy = { method: "copy-image", stores: [spare] } as const
        assert.strictEqual(yield* outcome(demo.images.importImage(image.id, copy)), "Forbidden")
        yield* admin.images.importImage(image.id, copy)
        const copied = yield* as(demo)(Images.waitFor(image.id, {
          stores: [home, spare],
          interval: "200 millis",
          timeout: "60 seconds"
        }))
        assert.sameMembers(Images.storeList(copied.stores), [home, spare])
        // The import holds its task lock a moment longer than the copy (409 meanwhile): wait it out.
        yield* demo.images.get(image.id).pipe(
          Effect.repeat({
            until: (i) => i.os_glance_import_task === undefined,
            schedule: Schedule.spaced("200 millis"),
            times: 100
          })
        )
        assert.strictEqual(yield* outcome(admin.images.importImage(image.id, copy)), "BadRequest")

        yield* demo.images.deleteFromStore(image.id, spare)
        assert.deepStrictEqual(Images.storeList((yield* demo.images.get(image.id)).stores), [home])
        assert.strictEqual(yield* outcome(demo.images.deleteFromStore(image.id, home)), "Forbidden")
        assert.deepStrictEqual(yield* downloaded(demo, image.id), Buffer.from("copied"))
      }))

    it.scoped("imports refused: glance-direct before staging, an import into an image without formats", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const queued = yield* scopedImage(demo, { name: uniqueName("ct-unstaged"), ...raw })
        assert.strictEqual(yield* outcome(demo.images.importImage(queued.id, { method: "glance-direct" })), "Conflict")
        const bare = yield* scopedImage(demo, { name: uniqueName("ct-bare") })
        yield* demo.images.stage(bare.id, Stream.make(bytes("no formats")))
        assert.strictEqual((yield* demo.images.get(bare.id)).status, "uploading")
        assert.strictEqual(yield* outcome(demo.images.importImage(bare.id, { method: "glance-direct" })), "Conflict")
      }))

    it.scoped("web-download of a loopback URI: the image stays queued", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-web"), ...raw })
        const started = yield* outcome(
          demo.images.importImage(image.id, { method: "web-download", uri: "http://127.0.0.1:1/image.raw" })
        )
        // On purpose: the lab refuses the URI by its filtering rules (400); the twin has no network at all.
        assert.strictEqual(started, target.name === "lab" ? "BadRequest" : "NotSupported")
        assert.strictEqual((yield* demo.images.get(image.id)).status, "queued")
      }))

    it.effect("createAndUpload whose data fails midway: ImageNotCreated, and no image is left", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const name = uniqueName("ct-broken")
        const body = Stream.concat(Stream.make(bytes("half")), Stream.fail(new Error("connection reset")))
        const failure = yield* Effect.flip(as(demo)(Images.createAndUpload({ name, ...raw }, body)))
        assert.strictEqual(failure._tag, "ImageNotCreated")
        if (failure._tag === "ImageNotCreated") {
          assert.isTrue(failure.deleted)
          assert.strictEqual(yield* outcome(demo.images.get(failure.imageId)), "NotFound")
        }
        assert.deepStrictEqual(yield* listedIds(demo, { name }), [])
      }))

    it.scoped("waitFor a status never reached: ImageFailed with reason timeout", () =>
      Effect.gen(function*() {
        const { demo, other } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-wait"), ...raw })
        // On purpose: the twin fails at once (its state never changes by itself); the lab after the second.
        const failure = yield* Effect.flip(
          as(demo)(Images.waitFor(image.id, { interval: "200 millis", timeout: "1 second" }))
        )
        assert.strictEqual(failure._tag, "ImageFailed")
        if (failure._tag === "ImageFailed") {
          assert.deepStrictEqual([failure.reason, failure.status], ["timeout", "queued"])
        }
        assert.strictEqual(yield* outcome(Stream.runDrain(other.images.download(image.id))), "NotFound")
      }))
  })
