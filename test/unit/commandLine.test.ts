/**
 * A command's own arguments checked from its table entry as argparse checks them (commandLine.ts
 * `checkCommand`), and the line @effect/cli is then given.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { checkCommand } from "../../src/cli/commandLine.js"
import { program } from "../../src/cli/main.js"

const spec = (name: string) => program().commands.find((c) => c.name === name)!

/** The usage error's words, or the line given on. */
const check = (name: string, ...words: ReadonlyArray<string>): string =>
  Either.match(checkCommand(spec(name), words), {
    onLeft: (e) => `error: ${e.message}`,
    onRight: (line) => line.join(" ")
  })

describe("checkCommand", () => {
  it("names an option without its value, a bad number and a word that is not a choice, as argparse", () => {
    assert.strictEqual(check("image-list", "--limit"), "error: argument --limit: expected one argument")
    assert.strictEqual(check("image-list", "--limit", "--verbose"), "error: argument --limit: expected one argument")
    assert.strictEqual(check("image-list", "--limit", "ten"), "error: argument --limit: invalid int value: 'ten'")
    assert.strictEqual(
      check("image-list", "--limit=99999999999999999999"),
      "error: argument --limit: 99999999999999999999 is beyond the largest whole number taken (9007199254740991)"
    )
    assert.strictEqual(
      check("image-list", "--sort-dir", "up"),
      "error: argument --sort-dir: invalid choice: 'up' (choose from 'asc', 'desc')"
    )
    assert.strictEqual(
      check("image-show", "ID", "-fxml"),
      "error: argument -f/--format: invalid choice: 'xml' (choose from 'table', 'json', 'yaml', 'value', 'shell')"
    )
    assert.strictEqual(
      check("member-update", "IMAGE", "MEMBER", "maybe"),
      "error: argument <MEMBER_STATUS>: invalid choice: 'maybe' (choose from 'accepted', 'rejected', 'pending')"
    )
    assert.strictEqual(
      check("image-list", "--verbose=yes"),
      "error: argument --verbose: ignored explicit argument 'yes'"
    )
    // A flag's own check speaks for itself.
    assert.strictEqual(
      check("image-update", "ID", "--protected", "perhaps"),
      `error: --protected expects True or False, not "perhaps"`
    )
  })

  it("lists what is missing, then what it does not take in the order given, never the value of an unknown option", () => {
    assert.strictEqual(check("add-location"), "error: the following arguments are required: --url, <IMAGE_ID>")
    assert.strictEqual(check("image-delete", "--nosuch"), "error: the following arguments are required: <IMAGE_ID>")
    assert.strictEqual(
      check("image-list", "-f", "value", "-x", "left", "--nosuch=1"),
      "error: unrecognized arguments: -x --nosuch=1"
    )
    assert.strictEqual(check("image-show", "A", "B", "--nosuch"), "error: unrecognized arguments: B --nosuch")
    assert.strictEqual(check("image-show", "--os-pass", "s3cret", "ID"), "error: unrecognized arguments: --os-pass ID")
    // A word after an unknown option is still a positional, as argparse takes it.
    assert.strictEqual(check("image-show", "--nosuch", "ID"), "error: unrecognized arguments: --nosuch")
  })

  it("takes a flag of nargs '?' alone as its const, or with its value (image-list --hidden, --include-stores)", () => {
    assert.strictEqual(check("image-list", "--hidden"), "--hidden True")
    assert.strictEqual(
      check("image-list", "--hidden", "false", "--include-stores", "--limit", "1"),
      "--hidden false --include-stores True --limit 1"
    )
    assert.strictEqual(check("image-list", "--hidden", "maybe"), `error: --hidden expects True or False, not "maybe"`)
  })

  it("takes a unique prefix of the command's own option, as argparse, but not one of a global option", () => {
    const globals = ["--version", "--verbose", "--os-username", "-d", "--debug"]
    const abbreviated = (...words: ReadonlyArray<string>) =>
      Either.match(checkCommand(spec("image-list"), words, globals), {
        onLeft: (e) => `error: ${e.message}`,
        onRight: (line) => line.join(" ")
      })
    assert.strictEqual(abbreviated("--lim", "5", "--include-s"), "--limit 5 --include-stores True")
    assert.strictEqual(abbreviated("--page=20"), "--page-size 20")
    assert.strictEqual(
      abbreviated("--sort", "name"),
      "--sort name",
      "a name in full is that option, though it starts others"
    )
    assert.strictEqual(
      abbreviated("--so", "name"),
      "error: ambiguous option: --so could match --sort-key, --sort-dir, --sort"
    )
    assert.strictEqual(abbreviated("--vers"), "error: unrecognized arguments: --vers")
    assert.strictEqual(abbreviated("--os-user", "demo"), "error: unrecognized arguments: --os-user")
  })

  it("gives @effect/cli each option by its long name, once unless repeatable, then the positionals", () => {
    assert.strictEqual(
      check(
        "image-show",
        "ID",
        "-f",
        "json",
        "--max-column-width",
        "40",
        "--max-column-width=50",
        "-c",
        "id",
        "-cname"
      ),
      "--format json --max-column-width 50 --column id --column name ID"
    )
    // argparse's nargs='+': several values after one --tags; a value may start with a dash after `=`.
    assert.strictEqual(
      check("image-create", "--tags", "a", "b", "--name=-x", "--protected", "yes"),
      "--tags a --tags b --name -x --protected yes"
    )
    assert.strictEqual(check("image-tag-update", "ID", "--", "-odd"), "ID -odd")
    assert.deepStrictEqual(
      Either.getOrThrow(checkCommand(spec("md-tag-create"), ["NS", "--name=  ", "--name=a b"])),
      ["--name", "a b", "NS"]
    )
    assert.strictEqual(check("image-delete", "A", "B", "C"), "A B C")
  })
})
