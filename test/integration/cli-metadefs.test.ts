/**
 * The `md-*` commands against the lab, as admin: a uniquely named namespace is created,
 * filled with tags, objects, properties and a resource type association, shown and listed
 * (tables compared structurally with python-glanceclient's), emptied and deleted. The
 * namespaces made here are deleted in afterAll even when a test fails.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { type GlanceRunOptions, requireLab, runGlance, runPython, type RunResult, uniqueName } from "../support/lab.js"

const up = requireLab()

/** Our `glance` as admin, with admin's token and the image URL (this file tests commands, not logins). */
const glance = (args: ReadonlyArray<string>, options: GlanceRunOptions = {}) =>
  runGlance("admin", args, { login: "token", ...options })

/** python-glanceclient's `glance` as admin, with admin's token and the image URL, as ours. */
const pyGlance = (args: ReadonlyArray<string>) => runPython("admin", args, { login: "token" })

const ns = uniqueName("tsmd")
const imported = uniqueName("tsmdimp")
const renamed = `${ns}-renamed`
let dir = ""

afterAll(async () => {
  await Promise.all([ns, renamed, imported].map((name) => glance(["md-namespace-delete", name])))
  if (dir) Fs.rmSync(dir, { recursive: true, force: true })
})

const ok = (r: RunResult, what: string): string => {
  assert.strictEqual(r.status, 0, `${what} failed: ${r.stderr}`)
  return r.stdout
}

/** Our output and python-glanceclient's for the same command as admin, run at once; both must succeed. */
const both = async (args: ReadonlyArray<string>, ours: string, theirs: string) => {
  const [mine, python] = await Promise.all([glance(args), pyGlance(args)])
  return [ok(mine, ours), ok(python, theirs)] as const
}

/** The cells of each `| a | b |` line of a table. */
const rowsOf = (stdout: string): Array<Array<string>> =>
  stdout.split("\n").filter((l) => l.startsWith("|")).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()))

/** A `Property | Value` table as a map (continuation lines appended). */
const dictOf = (stdout: string): Map<string, string> => {
  const map = new Map<string, string>()
  let last = ""
  for (const [k, v] of rowsOf(stdout).slice(1)) {
    if (k) {
      last = k
      map.set(k, v ?? "")
    } else map.set(last, `${map.get(last)}${v}`)
  }
  return map
}

describe.skipIf(!up)("glance md-* commands", () => {
  it("md-namespace-create, -show, -update and -list", async () => {
    const created = dictOf(ok(
      await glance([
        "md-namespace-create",
        ns,
        "--display-name",
        "TS metadefs",
        "--description",
        "made by cli-metadefs.test.ts",
        "--visibility",
        "public",
        "--protected",
        "False"
      ]),
      "md-namespace-create"
    ))
    assert.strictEqual(created.get("namespace"), ns)
    assert.strictEqual(created.get("display_name"), "TS metadefs")
    assert.strictEqual(created.get("visibility"), "public")
    assert.strictEqual(created.get("protected"), "False")

    const updated = dictOf(ok(
      await glance(["md-namespace-update", ns, "--description", "updated", "--visibility", "private"]),
      "md-namespace-update"
    ))
    assert.strictEqual(updated.get("description"), "updated")
    assert.strictEqual(updated.get("visibility"), "private")
    assert.strictEqual(updated.get("display_name"), "TS metadefs")

    const [[ours, theirs], privately] = await Promise.all([
      both(["md-namespace-list"], "md-namespace-list", "python md-namespace-list"),
      glance(["md-namespace-list", "--visibility", "private"])
    ])
    const list = rowsOf(ours)
    assert.deepStrictEqual(list[0], ["namespace"])
    assert.isTrue(list.some((r) => r[0] === ns))
    const privateOnly = rowsOf(ok(privately, "list private"))
    assert.isTrue(privateOnly.some((r) => r[0] === ns))
    const pyList = rowsOf(theirs)
    assert.deepStrictEqual(pyList[0], list[0])
  })

  it("resource types: list, associate, namespace-resource-type-list, deassociate", async () => {
    const types = rowsOf(ok(await glance(["md-resource-type-list"]), "md-resource-type-list"))
    assert.deepStrictEqual(types[0], ["name"])
    const assoc = dictOf(ok(
      await glance([
        "md-resource-type-associate",
        ns,
        "--name",
        "OS::Glance::Image",
        "--prefix",
        "tsmd_",
        "--properties-target",
        "image"
      ]),
      "md-resource-type-associate"
    ))
    assert.strictEqual(assoc.get("name"), "OS::Glance::Image")
    assert.strictEqual(assoc.get("prefix"), "tsmd_")
    const [ours, theirs] = await both(["md-namespace-resource-type-list", ns], "ns resource types", "python")
    const listed = rowsOf(ours)
    assert.deepStrictEqual(listed[0], ["name", "prefix", "properties_target"])
    assert.deepStrictEqual(listed[1], ["OS::Glance::Image", "tsmd_", "image"])
    const py = rowsOf(theirs)
    assert.deepStrictEqual(py, listed)
    const filtered = rowsOf(ok(
      await glance(["md-namespace-list", "--resource-types", "OS::Glance::Image"]),
      "md-namespace-list --resource-types"
    ))
    assert.isTrue(filtered.some((r) => r[0] === ns))
  })

  it("tags: create, create-multiple, list, show, update, delete", async () => {
    assert.strictEqual(
      dictOf(ok(await glance(["md-tag-create", ns, "--name", "alpha"]), "md-tag-create")).get("name"),
      "alpha"
    )
    const blank = await glance(["md-tag-create", ns, "--name", "  "])
    assert.strictEqual(blank.status, 1)
    assert.include(blank.stderr, "Please supply at least one non-blank tag name.")
    const multiple = rowsOf(ok(
      await glance(["md-tag-create-multiple", ns, "--names", "beta;gamma; ", "--delim", ";", "--append"]),
      "md-tag-create-multiple"
    ))
    assert.deepStrictEqual(multiple, [["name"], ["beta"], ["gamma"]])
    const [ours, theirs] = await both(["md-tag-list", ns], "md-tag-list", "python md-tag-list")
    const list = rowsOf(ours)
    assert.deepStrictEqual(list.slice(1).map((r) => r[0]).sort(), ["alpha", "beta", "gamma"])
    const py = rowsOf(theirs)
    assert.deepStrictEqual(list[0], py[0])
    assert.deepStrictEqual(list.slice(1).sort(), py.slice(1).sort())

    const [shown, pyShown] = await both(["md-tag-show", ns, "beta"], "md-tag-show", "python md-tag-show")
    assert.deepStrictEqual([...dictOf(shown).keys()], [...dictOf(pyShown).keys()])
    assert.strictEqual(dictOf(shown).get("name"), "beta")

    assert.strictEqual(
      dictOf(ok(await glance(["md-tag-update", ns, "beta", "--name", "delta"]), "md-tag-update")).get(
        "name"
      ),
      "delta"
    )
    ok(await glance(["md-tag-delete", ns, "gamma"]), "md-tag-delete")
    const after = rowsOf(ok(await glance(["md-tag-list", ns]), "md-tag-list"))
    assert.deepStrictEqual(after.slice(1).map((r) => r[0]).sort(), ["alpha", "delta"])
    const replaced = rowsOf(
      ok(await glance(["md-tag-create-multiple", ns, "--names", "x,y"]), "replace tags")
    )
    assert.deepStrictEqual(replaced, [["name"], ["x"], ["y"]])
    assert.deepStrictEqual(
      rowsOf(ok(await glance(["md-tag-list", ns]), "list")).slice(1).map((r) => r[0]).sort(),
      [
        "x",
        "y"
      ]
    )
  })

  it("objects: create, list, show, property-show, update, delete", async () => {
    const schema = JSON.stringify({
      description: "An object made by the TypeScript client tests, with a description long enough to wrap.",
      required: ["cores"],
      properties: { cores: { title: "Cores", type: "integer", minimum: 1 }, arch: { title: "Arch", type: "string" } }
    })
    const created = dictOf(
      ok(await glance(["md-object-create", ns, "--name", "cpu", "--schema", schema]), "md-object-create")
    )
    assert.strictEqual(created.get("name"), "cpu")
    assert.deepStrictEqual(JSON.parse(created.get("properties")!).sort(), ["arch", "cores"])
    const bad = await glance(["md-object-create", ns, "--name", "bad", "--schema", "{nope"])
    assert.strictEqual(bad.status, 1)
    assert.include(bad.stderr, "Schema is not a valid JSON object.")

    const [list, py] = await both(["md-object-list", ns], "md-object-list", "python md-object-list")
    assert.deepStrictEqual(rowsOf(list)[0], ["name", "description"])
    assert.deepStrictEqual(rowsOf(list)[0], rowsOf(py)[0])
    assert.strictEqual(list, py)

    const [shown, pyShown] = await both(["md-object-show", ns, "cpu"], "md-object-show", "python md-object-show")
    assert.deepStrictEqual([...dictOf(shown).keys()], [...dictOf(pyShown).keys()])

    const [prop, pyProp] = await both(
      ["md-object-property-show", ns, "cpu", "cores"],
      "md-object-property-show",
      "python"
    )
    assert.strictEqual(prop, pyProp)
    const missing = await glance(["md-object-property-show", ns, "cpu", "nope"])
    assert.strictEqual(missing.status, 1)
    assert.include(missing.stderr, "Property nope not found in object cpu.")

    const updated = dictOf(ok(
      await glance([
        "md-object-update",
        ns,
        "cpu",
        "--name",
        "processor",
        "--schema",
        "{\"description\": \"short\"}"
      ]),
      "md-object-update"
    ))
    assert.strictEqual(updated.get("name"), "processor")
    assert.strictEqual(updated.get("description"), "short")
    ok(await glance(["md-object-create", ns, "--name", "other", "--schema", "{}"]), "second object")
    ok(await glance(["md-object-delete", ns, "other"]), "md-object-delete")
    assert.deepStrictEqual(
      rowsOf(ok(await glance(["md-object-list", ns]), "list")).slice(1).map((r) => r[0]),
      [
        "processor"
      ]
    )
  })

  it("properties: create, list, show, update, delete", async () => {
    const created = dictOf(ok(
      await glance([
        "md-property-create",
        ns,
        "--name",
        "speed",
        "--title",
        "Speed",
        "--schema",
        JSON.stringify({ type: "integer", minimum: 0, description: "How fast" })
      ]),
      "md-property-create"
    ))
    assert.strictEqual(created.get("name"), "speed")
    assert.strictEqual(created.get("type"), "integer")
    ok(
      await glance([
        "md-property-create",
        ns,
        "--name",
        "color",
        "--title",
        "Color",
        "--schema",
        "{\"type\": \"string\"}"
      ]),
      "second property"
    )
    const [list, py] = await both(["md-property-list", ns], "md-property-list", "python md-property-list")
    assert.deepStrictEqual(rowsOf(list)[0], ["name", "title", "type"])
    assert.deepStrictEqual(rowsOf(list).slice(1).sort(), rowsOf(py).slice(1).sort())

    const [shown, pyShown] = await both(
      ["md-property-show", ns, "speed"],
      "md-property-show",
      "python md-property-show"
    )
    assert.strictEqual(shown, pyShown)

    const updated = dictOf(ok(
      await glance([
        "md-property-update",
        ns,
        "speed",
        "--title",
        "Velocity",
        "--schema",
        "{\"maximum\": 10}"
      ]),
      "md-property-update"
    ))
    assert.strictEqual(updated.get("title"), "Velocity")
    assert.strictEqual(updated.get("maximum"), "10")
    assert.strictEqual(updated.get("type"), "integer")
    ok(await glance(["md-property-delete", ns, "color"]), "md-property-delete")
    assert.deepStrictEqual(
      rowsOf(ok(await glance(["md-property-list", ns]), "list")).slice(1).map((r) => r[0]),
      [
        "speed"
      ]
    )
  })

  it("md-namespace-show matches python-glanceclient's layout", async () => {
    const [shown, py] = await both(["md-namespace-show", ns], "md-namespace-show", "python md-namespace-show")
    assert.deepStrictEqual([...dictOf(shown).keys()], [...dictOf(py).keys()])
    assert.strictEqual(shown, py)
    const map = dictOf(shown)
    assert.deepStrictEqual(JSON.parse(map.get("objects")!), ["processor"])
    assert.deepStrictEqual(JSON.parse(map.get("properties")!), ["speed"])
    assert.deepStrictEqual(JSON.parse(map.get("resource_type_associations")!), ["OS::Glance::Image"])

    const [prefixed, pyPrefixed] = await both(
      ["md-namespace-show", ns, "--resource-type", "OS::Glance::Image", "--max-column-width", "20"],
      "md-namespace-show --resource-type",
      "python md-namespace-show --resource-type"
    )
    assert.include(prefixed, "tsmd_speed")
    assert.strictEqual(prefixed, pyPrefixed)
  })

  it("md-namespace-*-delete and md-resource-type-deassociate empty the namespace", async () => {
    ok(await glance(["md-namespace-tags-delete", ns]), "md-namespace-tags-delete")
    ok(await glance(["md-namespace-objects-delete", ns]), "md-namespace-objects-delete")
    ok(await glance(["md-namespace-properties-delete", ns]), "md-namespace-properties-delete")
    ok(
      await glance(["md-resource-type-deassociate", ns, "OS::Glance::Image"]),
      "md-resource-type-deassociate"
    )
    const [tags, objects, properties, associations] = await Promise.all(
      ["md-tag-list", "md-object-list", "md-property-list", "md-namespace-resource-type-list"].map((command) =>
        glance([command, ns])
      )
    )
    assert.deepStrictEqual(rowsOf(ok(tags!, "tags")), [["name"]])
    assert.deepStrictEqual(rowsOf(ok(objects!, "objects")), [["name", "description"]])
    assert.deepStrictEqual(rowsOf(ok(properties!, "props")), [["name", "title", "type"]])
    assert.deepStrictEqual(rowsOf(ok(associations!, "assocs")), [["name", "prefix", "properties_target"]])
    ok(await glance(["md-tag-create", ns, "--name", "kept"]), "tag before rename")
    const renamedOut = dictOf(
      ok(await glance(["md-namespace-update", ns, "--namespace", renamed]), "rename")
    )
    // Shown fetched again, with its contents, as python-glanceclient does.
    assert.deepStrictEqual(JSON.parse(renamedOut.get("tags")!), ["kept"])
    assert.strictEqual(renamedOut.get("namespace"), renamed)
    ok(await glance(["md-namespace-delete", renamed]), "md-namespace-delete")
    const gone = await glance(["md-namespace-show", renamed])
    assert.strictEqual(gone.status, 1)
  })

  it("md-namespace-import from --file and from stdin", async () => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tsmd-"))
    const body = {
      namespace: imported,
      display_name: "Imported",
      visibility: "private",
      tags: [{ name: "t1" }],
      objects: [{ name: "o1", properties: { p: { title: "P", type: "string" } } }],
      properties: { q: { title: "Q", type: "boolean" } }
    }
    const file = Path.join(dir, "ns.json")
    Fs.writeFileSync(file, JSON.stringify(body))
    const out = dictOf(
      ok(await glance(["md-namespace-import", "--file", file]), "md-namespace-import --file")
    )
    assert.strictEqual(out.get("namespace"), imported)
    assert.deepStrictEqual(JSON.parse(out.get("tags")!), ["t1"])
    assert.deepStrictEqual(JSON.parse(out.get("objects")!), ["o1"])
    assert.deepStrictEqual(JSON.parse(out.get("properties")!), ["q"])
    ok(await glance(["md-namespace-delete", imported]), "delete imported")

    const viaStdin = dictOf(ok(
      await glance(["md-namespace-import"], { input: JSON.stringify({ namespace: imported }) }),
      "md-namespace-import via stdin"
    ))
    assert.strictEqual(viaStdin.get("namespace"), imported)
    const invalid = await glance(["md-namespace-import"], { input: "not json" })
    assert.strictEqual(invalid.status, 1)
    assert.include(invalid.stderr, "Schema is not a valid JSON object.")
  })
})
