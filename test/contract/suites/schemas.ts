/**
 * The Schemas contract: the schemas the cloud publishes, and checking image fields against the
 * image schema before any request. Written once, run against the twin and the lab.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { Schemas } from "../../../src/index.js"
import { outcome, Parties, type Target } from "../support.js"

/** The Schemas cases. */
export const schemasSuite = (target: Target) =>
  layer(target.layer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("the image schema: formats and visibilities as enums, Glance's fields read-only, custom ones strings", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const image = yield* demo.schemas.get("image")
        const properties = image.properties!
        assert.strictEqual(image.name, "image")
        for (const format of ["raw", "qcow2", "iso", "vmdk"]) assert.include(properties.disk_format!.enum!, format)
        for (const format of ["bare", "ovf", "docker"]) assert.include(properties.container_format!.enum!, format)
        assert.sameMembers([...properties.visibility!.enum!], ["public", "private", "shared", "community"])
        for (const key of ["status", "size", "checksum", "os_hash_value", "created_at"]) {
          assert.isTrue(properties[key]!.readOnly, key)
        }
        assert.isUndefined(properties.name!.readOnly)
        assert.deepStrictEqual(image.additionalProperties, { type: "string" })
      }))

    it.effect("the list, member, task and metadefs schemas", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const images = yield* demo.schemas.get("images")
        assert.strictEqual(images.name, "images")
        assert.strictEqual(images.properties!.images!.type, "array")
        const member = yield* demo.schemas.get("member")
        assert.sameMembers([...member.properties!.status!.enum!], ["pending", "accepted", "rejected"])
        assert.sameMembers(Object.keys((yield* demo.schemas.get("members")).properties!), ["members", "schema"])
        assert.sameMembers(Object.keys((yield* demo.schemas.get("tasks")).properties!), ["tasks", "schema"])
        assert.sameMembers(Object.keys(images.properties!), ["images", "first", "next", "schema"])
        const task = yield* demo.schemas.get("task")
        assert.sameMembers([...task.properties!.type!.enum!], ["import", "api_image_import"])
        const namespace = yield* demo.schemas.get("metadefs/namespace")
        assert.includeMembers(Object.keys(namespace.properties!), ["namespace", "visibility", "protected", "owner"])
        const tag = yield* demo.schemas.get("metadefs/tag")
        assert.deepStrictEqual(tag.required, ["name"])
        assert.strictEqual(
          yield* outcome(demo.schemas.get("no-such-schema" as Schemas.SchemaName)),
          "NotFound"
        )
      }))

    it.effect("validateImageFields: accepts what the cloud accepts, names each problem otherwise", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        yield* demo.schemas.validateImageFields({
          name: "ok",
          disk_format: "qcow2",
          container_format: "bare",
          visibility: "community",
          min_ram: 512,
          protected: false,
          tags: ["a"],
          os_distro: "debian",
          flavour: "plain"
        })
        const error = yield* Effect.flip(demo.schemas.validateImageFields({
          disk_format: "floppy",
          status: "active",
          answer: 42,
          os_glance_mine: "x",
          min_ram: "lots"
        }))
        assert.strictEqual(error._tag, "InvalidInput")
        for (
          const part of ["disk_format \"floppy\"", "status is read-only", "answer is 42", "os_glance_mine", "min_ram"]
        ) {
          assert.include(error.message, part)
        }
      }))

    it.effect("every schema Glance publishes, by the name and the list key Glance gives it", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const names: ReadonlyArray<readonly [Schemas.SchemaName, string, ReadonlyArray<string>?]> = [
          ["image", "image"],
          ["images", "images", ["first", "images", "next", "schema"]],
          ["member", "member"],
          ["members", "members", ["members", "schema"]],
          ["task", "task"],
          ["tasks", "tasks", ["schema", "tasks"]],
          ["metadefs/namespace", "namespace"],
          ["metadefs/namespaces", "namespaces", ["first", "namespaces", "next", "schema"]],
          ["metadefs/object", "object"],
          ["metadefs/objects", "objects", ["first", "next", "objects", "schema"]],
          ["metadefs/property", "property"],
          ["metadefs/properties", "properties", ["first", "next", "properties", "schema"]],
          ["metadefs/resource_type", "resource_type_association"],
          [
            "metadefs/resource_types",
            "resource_type_associations",
            ["first", "next", "resource_type_associations", "schema"]
          ],
          ["metadefs/tag", "tag"],
          ["metadefs/tags", "tags", ["first", "next", "schema", "tags"]]
        ]
        for (const [name, published, keys] of names) {
          const schema = yield* demo.schemas.get(name)
          assert.strictEqual(schema.name, published, name)
          if (keys !== undefined) assert.deepStrictEqual(Object.keys(schema.properties!).sort(), keys, name)
        }
      }))
  })
