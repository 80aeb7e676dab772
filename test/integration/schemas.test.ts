/**
 * The published schemas against the lab, and the checking of image fields against the
 * cloud's own image schema before any request.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Images, Schemas } from "../../src/index.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"

const up = requireLab()

const names: ReadonlyArray<Schemas.SchemaName> = [
  "image",
  "images",
  "member",
  "members",
  "task",
  "tasks",
  "metadefs/namespace",
  "metadefs/namespaces",
  "metadefs/object",
  "metadefs/objects",
  "metadefs/property",
  "metadefs/properties",
  "metadefs/resource_type",
  "metadefs/resource_types",
  "metadefs/tag",
  "metadefs/tags"
]

describe.skipIf(!up)("Schemas against the lab (demo)", () => {
  it.layer(clientFor("demo"), { timeout: 60_000 })((it) => {
    it.effect("every published schema decodes, and is fetched once", () =>
      Effect.gen(function*() {
        const schemas = yield* Schemas.Schemas
        for (const name of names) {
          const schema = yield* schemas.get(name)
          // Glance names the resource type schemas after associations.
          const expected = name.replace("metadefs/", "").replace(/^resource_type(s?)$/, "resource_type_association$1")
          assert.strictEqual(schema.name, expected, name)
          assert.strictEqual(yield* schemas.get(name), schema, `${name} is cached`)
        }
        const image = yield* schemas.get("image")
        assert.includeMembers([...image.properties!.disk_format!.enum!], ["raw", "qcow2", null])
        assert.deepStrictEqual(image.properties!.member_status, undefined)
      }))

    it.effect("validateImageFields rejects disk_format bogus with the cloud's allowed values, before any request", () =>
      Effect.gen(function*() {
        const schemas = yield* Schemas.Schemas
        const images = yield* Images.Images
        const name = uniqueName("it-bogus")
        const fields = { name, disk_format: "bogus", container_format: "bare" }
        const error = yield* Effect.flip(
          schemas.validateImageFields(fields).pipe(Effect.zipRight(images.create(fields)))
        )
        assert.strictEqual(error._tag, "InvalidInput")
        assert.strictEqual(
          error.message,
          "Invalid image fields: disk_format \"bogus\" is not one this cloud accepts " +
            "(allowed: ami, ari, aki, vhd, vhdx, vmdk, raw, qcow2, vdi, iso, ploop)"
        )
        assert.strictEqual(Chunk.size(yield* Stream.runCollect(images.list({ filters: { name } }))), 0)
        // Glance itself would have said 400 only after the request.
        const server = yield* Effect.flip(images.create(fields))
        assert.strictEqual(server._tag, "BadRequest")
      }))

    it.effect("validateImageFields: several problems at once; good fields pass", () =>
      Effect.gen(function*() {
        const schemas = yield* Schemas.Schemas
        const error = yield* Effect.flip(schemas.validateImageFields({
          container_format: "box",
          visibility: "everyone",
          status: "active",
          min_disk: "ten",
          os_glance_custom: "x",
          hw_cpu_cores: 4
        }))
        assert.strictEqual(
          error.message,
          "Invalid image fields: container_format \"box\" is not one this cloud accepts " +
            "(allowed: ami, ari, aki, bare, ovf, ova, docker, compressed); " +
            "visibility \"everyone\" is not one this cloud accepts (allowed: community, public, private, shared); " +
            "status is read-only; min_disk is \"ten\", but it must be integer; " +
            "os_glance_custom is reserved for Glance's own use; hw_cpu_cores is 4, but custom properties are strings"
        )
        yield* schemas.validateImageFields({
          name: "ok",
          disk_format: "qcow2",
          container_format: "bare",
          visibility: "shared",
          min_disk: 1,
          protected: false,
          tags: ["a"],
          hw_cpu_cores: "4"
        })
      }))
  })
})
