import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { assert, describe, it } from "@effect/vitest"
import { commandHelp, usage, wrap } from "../../src/cli/help.js"
import { program, table } from "../../src/cli/main.js"
import { metadefTable } from "../../src/cli/metadefs.js"

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

  it("reads the commands' arguments and options from the table", () => {
    const { commands, root } = program()
    const show = commands.find((c) => c.name === "image-show")!
    assert.deepStrictEqual(show.args.map((a) => a.metavar), ["<IMAGE_ID>"])
    const width = show.options.find((o) => o.long === "--max-column-width")!
    assert.deepStrictEqual([width.metavar, width.type, width.required], ["<integer>", "integer", false])
    const format = show.options.find((o) => o.long === "--format")!
    assert.deepStrictEqual(format.names, ["-f", "--format"])
    assert.deepStrictEqual(format.choices, ["table", "json", "yaml", "value", "shell"])
    const url = commands.find((c) => c.name === "add-location")!.options.find((o) => o.long === "--url")!
    assert.isTrue(url.required)
    const cloud = root.options.find((o) => o.long === "--os-cloud")!
    assert.strictEqual(cloud.env, "OS_CLOUD")
    const text = commandHelp(commands.find((c) => c.name === "add-location")!, 78)
    assert.match(text, /^usage: glance add-location --url <URL> \[--validation-data <STRING>\]/)
    assert.match(text, /\n\nRequired arguments:\n {2}--url <URL> +URL of location to add\.$/)
  })
})

describe("the command table", () => {
  it("holds every command, and each @effect/cli command it makes parses the flags and arguments help shows", () => {
    assert.strictEqual(table.length, 70)
    assert.strictEqual(new Set(table.map((e) => e.spec.name)).size, table.length)
    for (const entry of table) {
      // @effect/cli's own help of the command (its public API), without its built-in options.
      const text = HelpDoc.toAnsiText(Command.getHelp(entry.command, CliConfig.defaultConfig))
        .replace(/\x1b\[[0-9;]*m/g, "")
      const theirs = [...text.matchAll(/^\(?(-{1,2}[a-z][\w-]*(?:, -{1,2}[\w-]+)*)/gm)].map((m) => m[1]!)
        .filter((n) => !["--completions", "--log-level", "--wizard", "-h, --help", "--version"].includes(n))
      const ours = entry.spec.options.map((o) => o.names.join(", "))
      assert.sameMembers(theirs, ours, entry.spec.name)
      for (const arg of entry.spec.args) assert.include(text, arg.metavar, entry.spec.name)
    }
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
