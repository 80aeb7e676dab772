import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { commandIndex, normalizeArgs } from "../../src/cli/main.js"
import {
  cacheDir,
  fieldsFromFlags,
  readCachedSchema,
  schemaFlags,
  splitExtraFlags,
  writeCachedSchema
} from "../../src/cli/schemaFlags.js"
import type { JsonSchema } from "../../src/Schemas.js"

/** A cloud whose image schema has properties of every kind the flags handle, beyond Glance 25's. */
const schema: JsonSchema = {
  name: "image",
  properties: {
    name: { type: ["null", "string"] },
    status: { type: "string", readOnly: true },
    checksum: { type: ["null", "string"], readOnly: true },
    locations: { type: "array", items: { type: "object" } },
    tags: { type: "array", items: { type: "string" } },
    hw_cpu_cores: { type: "integer", description: "Cores." },
    hw_ratio: { type: "number" },
    secure_boot: { type: ["null", "boolean"] },
    replication: { type: "string", enum: [null, "none", "async", "sync"], description: "How." },
    regions: { type: "array", items: { type: "string" } },
    numa_nodes: { type: "array", items: { type: "integer" } },
    blob: { type: "object" }
  }
}

const staticFlags = new Set(["--name", "--tags", "--property"])

const fields = (command: "image-create" | "image-update", extras: Array<{ flag: string; value: string | undefined }>) =>
  fieldsFromFlags(schemaFlags(schema, command, staticFlags), extras)

describe("schema flags", () => {
  it("offers the writable properties the static flags do not cover, spelled with dashes", () => {
    const offered = schemaFlags(schema, "image-create", staticFlags).map((f) => f.flag)
    assert.deepStrictEqual(offered, [
      "--hw-cpu-cores",
      "--hw-ratio",
      "--secure-boot",
      "--replication",
      "--regions",
      "--numa-nodes"
    ])
    const replication = schemaFlags(schema, "image-create", staticFlags).find((f) => f.flag === "--replication")!
    assert.deepStrictEqual(replication.choices, ["none", "async", "sync"])
    assert.strictEqual(replication.description, "How. Valid values: none, async, sync")
  })

  it.effect("types each value by the schema: integer, number, boolean, enum, arrays (repeated or comma-separated)", () =>
    Effect.gen(function*() {
      const typed = yield* fields("image-create", [
        { flag: "--hw-cpu-cores", value: "4" },
        { flag: "--hw-ratio", value: "1.5" },
        { flag: "--secure-boot", value: "True" },
        { flag: "--replication", value: "async" },
        { flag: "--regions", value: "r1,r2" },
        { flag: "--regions", value: "r3" },
        { flag: "--numa-nodes", value: "0,1" }
      ])
      assert.deepStrictEqual(typed, {
        hw_cpu_cores: 4,
        hw_ratio: 1.5,
        secure_boot: true,
        replication: "async",
        regions: ["r1", "r2", "r3"],
        numa_nodes: [0, 1]
      })
    }))

  it.effect("refuses a value of the wrong type, or out of the enum with the allowed values listed (exit 2)", () =>
    Effect.gen(function*() {
      const message = (extras: Array<{ flag: string; value: string | undefined }>) =>
        Effect.map(Effect.flip(fields("image-create", extras)), (e) => [e._tag, e.message])
      assert.deepStrictEqual(yield* message([{ flag: "--hw-cpu-cores", value: "four" }]), [
        "UsageError",
        "argument --hw-cpu-cores: invalid int value: 'four'"
      ])
      assert.deepStrictEqual(yield* message([{ flag: "--replication", value: "never" }]), [
        "UsageError",
        "argument --replication: invalid choice: 'never' (choose from 'none', 'async', 'sync')"
      ])
      assert.deepStrictEqual(yield* message([{ flag: "--secure-boot", value: "maybe" }]), [
        "UsageError",
        "--secure-boot expects True or False, not \"maybe\""
      ])
      assert.deepStrictEqual(yield* message([{ flag: "--numa-nodes", value: "0,x" }]), [
        "UsageError",
        "argument --numa-nodes: invalid int value: 'x'"
      ])
      assert.deepStrictEqual(yield* message([{ flag: "--hw-cpu-cores", value: undefined }]), [
        "UsageError",
        "argument --hw-cpu-cores: expected one argument"
      ])
    }))

  it.effect("read-only, object-typed, omitted and undeclared properties are unrecognized arguments", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(fields("image-update", [
        { flag: "--status", value: "active" },
        { flag: "--blob", value: "{}" },
        { flag: "--tags", value: "a" },
        { flag: "--locations", value: "x" },
        { flag: "--nope", value: "1" },
        { flag: "--hw-cpu-cores", value: "2" }
      ]))
      assert.strictEqual(error.message, "unrecognized arguments: --status --blob --tags --locations --nope")
    }))

  it("splits the unknown --flags (and their values) from the arguments after the command", () => {
    const known = new Set(["--name", "--file", "--progress", "-f", "--format"])
    const withValue = new Set(["--name", "--file", "-f", "--format"])
    const args = [
      "--os-cloud",
      "c",
      "image-update",
      "ID",
      "--name",
      "--hw",
      "--hw-cpu-cores",
      "4",
      "--progress",
      "--x=1",
      "-f",
      "json",
      "--flag"
    ]
    const { args: rest, extras } = splitExtraFlags(args, 2, known, withValue)
    assert.deepStrictEqual(rest, [
      "--os-cloud",
      "c",
      "image-update",
      "ID",
      "--name",
      "--hw",
      "--progress",
      "-f",
      "json"
    ])
    assert.deepStrictEqual(extras, [
      { flag: "--hw-cpu-cores", value: "4" },
      { flag: "--x", value: "1" },
      { flag: "--flag", value: undefined }
    ])
  })

  it("caches the schema per endpoint, 0600, under $XDG_CACHE_HOME", () => {
    const base = Fs.mkdtempSync(Path.join(Os.tmpdir(), "schema-cache-"))
    const saved = process.env.XDG_CACHE_HOME
    process.env.XDG_CACHE_HOME = base
    try {
      const one = { authUrl: "http://keystone/v3", regionName: "RegionOne" }
      const two = { authUrl: "http://keystone/v3", regionName: "RegionTwo" }
      assert.notStrictEqual(cacheDir(one), cacheDir(two))
      assert.isTrue(cacheDir({ imageUrl: "http://glance" }).startsWith(Path.join(base, "glanceclient")))
      assert.isUndefined(readCachedSchema(one))
      writeCachedSchema(one, schema)
      assert.deepStrictEqual(readCachedSchema(one), schema)
      assert.isUndefined(readCachedSchema(two))
      assert.strictEqual(Fs.statSync(Path.join(cacheDir(one), "image_schema.json")).mode & 0o777, 0o600)
      assert.strictEqual(Fs.statSync(cacheDir(one)).mode & 0o777, 0o700)
      Fs.writeFileSync(Path.join(cacheDir(one), "image_schema.json"), "{not json")
      assert.isUndefined(readCachedSchema(one))
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME
      else process.env.XDG_CACHE_HOME = saved
      Fs.rmSync(base, { recursive: true, force: true })
    }
  })
})

describe("argument rewriting", () => {
  it("finds the command after the global options", () => {
    assert.strictEqual(commandIndex(["--os-cloud", "lab", "-d", "image-list"]), 3)
    assert.strictEqual(commandIndex(["--os-cloud=lab", "--insecure", "image-list"]), 2)
    assert.strictEqual(commandIndex(["--debug"]), -1)
  })

  it("turns --help into the help command, and bash_completion into bash-completion", () => {
    assert.deepStrictEqual(normalizeArgs(["image-show", "ID", "--help"]), ["help", "image-show"])
    assert.deepStrictEqual(normalizeArgs(["-d", "image-show", "-h"]), ["-d", "help", "image-show"])
    assert.deepStrictEqual(normalizeArgs(["--help"]), ["help"])
    assert.deepStrictEqual(normalizeArgs(["--help", "image-show"]), ["help"])
    assert.deepStrictEqual(normalizeArgs(["help", "image-show"]), ["help", "image-show"])
    assert.deepStrictEqual(normalizeArgs(["help", "-h"]), ["help", "help"])
    assert.deepStrictEqual(normalizeArgs(["bash_completion"]), ["bash-completion"])
    assert.deepStrictEqual(normalizeArgs([]), ["help"])
    assert.deepStrictEqual(normalizeArgs(["--debug"]), ["--debug", "help"])
    assert.deepStrictEqual(normalizeArgs(["--version"]), ["--version"])
    assert.deepStrictEqual(normalizeArgs(["--completions", "bash"]), ["--completions", "bash"])
  })
})
