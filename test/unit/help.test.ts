import { assert, describe, it } from "@effect/vitest"
import { commandHelp, usage, wrap } from "../../src/cli/help.js"
import { command, program, table } from "../../src/cli/main.js"
import { metadefTable } from "../../src/cli/metadefs.js"
import { programSpec } from "../../src/cli/spec.js"

describe("help in argparse's layout", () => {
  it("wraps as Python's textwrap: on spaces, and after a hyphen inside a word", () => {
    assert.deepStrictEqual(
      wrap(
        "Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
        54
      ),
      [
        "Operating system architecture as specified in",
        "https://docs.openstack.org/python-",
        "glanceclient/latest/cli/property-keys.html"
      ]
    )
    assert.deepStrictEqual(wrap("  a   b\n c ", 10), ["a b c"])
  })

  it("wraps the usage as argparse: options beside the program, positionals on lines of their own", () => {
    assert.strictEqual(
      usage("glance image-show", ["[--human-readable]", "[--max-column-width <integer>]"], ["<IMAGE_ID>"], 78),
      "usage: glance image-show [--human-readable] [--max-column-width <integer>]\n                         <IMAGE_ID>"
    )
    assert.strictEqual(
      usage("glance image-delete", [], ["<IMAGE_ID> [<IMAGE_ID> ...]"], 78),
      "usage: glance image-delete <IMAGE_ID> [<IMAGE_ID> ...]"
    )
  })

  it("reads the commands' arguments and options from their definitions", () => {
    const program = programSpec(command)
    const show = program.commands.find((c) => c.name === "image-show")!
    assert.deepStrictEqual(show.args.map((a) => a.metavar), ["<IMAGE_ID>"])
    const width = show.options.find((o) => o.long === "--max-column-width")!
    assert.deepStrictEqual([width.metavar, width.type, width.required], ["<integer>", "integer", false])
    const format = show.options.find((o) => o.long === "--format")!
    assert.deepStrictEqual(format.names, ["-f", "--format"])
    assert.deepStrictEqual(format.choices, ["table", "json", "yaml", "value", "shell"])
    const url = program.commands.find((c) => c.name === "add-location")!.options.find((o) => o.long === "--url")!
    assert.isTrue(url.required)
    const cloud = program.root.options.find((o) => o.long === "--os-cloud")!
    assert.strictEqual(cloud.env, "OS_CLOUD")
    const text = commandHelp(program.commands.find((c) => c.name === "add-location")!, 78)
    assert.match(text, /^usage: glance add-location --url <URL> \[--validation-data <STRING>\]/)
    assert.match(text, /\n\nRequired arguments:\n {2}--url <URL> +URL of location to add\.$/)
  })
})

describe("the command table", () => {
  it("gives help the flags and arguments its @effect/cli commands parse", () => {
    const parsed = programSpec(command)
    assert.isAtLeast(table.length, 47)
    for (const entry of table) {
      assert.deepStrictEqual(entry.spec, parsed.commands.find((c) => c.name === entry.spec.name), entry.spec.name)
    }
    const shown = program()
    assert.deepStrictEqual(shown.commands.map((c) => c.name), parsed.commands.map((c) => c.name))
    assert.deepStrictEqual(shown.root, parsed.root)
  })

  it("drops --prefix from -f/-c when the command has a --prefix of its own", () => {
    const associate = metadefTable.find((e) => e.spec.name === "md-resource-type-associate")!.spec
    const prefixes = associate.options.filter((o) => o.long === "--prefix")
    assert.deepStrictEqual(prefixes.map((o) => o.metavar), ["<PREFIX>"])
    assert.match(prefixes[0]!.description, /^Specifies the prefix/)
    const deleted = metadefTable.find((e) => e.spec.name === "md-tag-delete")!.spec
    assert.isFalse(deleted.options.some((o) => o.long === "--format"))
  })
})
