// Writes docs/cli.md, the `glance` command reference, from the command definitions (src/cli/*.ts)
// through the same spec as `glance help`. `--check` writes nothing and fails when docs/cli.md differs.
//   npm run docs:cli             regenerate docs/cli.md
//   npm run docs:cli -- --check  exit 1 when docs/cli.md is out of date (CI)
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { commandHelp, programHelp } from "../src/cli/help.js"
import { program } from "../src/cli/main.js"
import { schemaCommands } from "../src/cli/schemaFlags.js"
import type { CommandSpec, OptionSpec } from "../src/cli/spec.js"

const root = Path.resolve(import.meta.dirname, "..")
const target = process.env.CLI_DOCS_FILE ?? Path.join(root, "docs/cli.md") // another file: for the test of --check
const width = 78 // argparse's width on an 80-column terminal

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "\\<").replace(/>/g, "\\>")
// Inside a table a `|` splits the row, in a code span too (GFM), unless it is escaped.
const code = (text: string) => `\`${text.replace(/\|/g, "\\|")}\``

const notes = (o: OptionSpec) =>
  [
    o.required ? "Required." : "",
    o.repeated ? "Repeatable." : "",
    o.ifAlone !== undefined ? `Given alone: ${o.ifAlone}.` : ""
  ].filter((n) => n !== "")

const optionRow = (o: OptionSpec) => {
  const value = o.metavar === undefined ? "" : code(o.nargs === "?" ? `[${o.metavar}]` : o.metavar)
  return `| ${o.names.map(code).join(", ")} | ${value} | ${cell([o.description, ...notes(o)].join(" "))} |`
}

/** A global option: its variable in a column of its own, not repeated in the description. */
const globalRow = (o: OptionSpec) => {
  const value = o.metavar !== undefined && o.metavar !== o.env ? ` ${o.metavar}` : ""
  const description = o.description.replace(/ ?Defaults to env\[\w+\]\./, "")
  return `| ${o.names.map((n) => code(n + value)).join(", ")} | ${o.env === undefined ? "" : code(o.env)} | ${
    cell(description)
  } |`
}

const commandSection = (spec: CommandSpec): string => {
  const lines = [
    `### ${spec.name}`,
    "",
    cell(spec.description),
    "",
    "```",
    commandHelp(spec, width).split("\n\n")[0]!,
    "```"
  ]
  if (spec.args.length > 0) {
    lines.push("", "| Argument | Description |", "| --- | --- |")
    for (const a of spec.args) {
      const notes = [a.optional ? "Optional." : "", a.many !== "" ? "One or more." : ""].filter((n) => n.length > 0)
      lines.push(`| ${code(a.metavar)} | ${cell([a.description, ...notes].join(" "))} |`)
    }
  }
  if (spec.options.length > 0) {
    lines.push("", "| Option | Value | Description |", "| --- | --- | --- |")
    for (const o of spec.options) lines.push(optionRow(o))
  }
  if ((schemaCommands as ReadonlyArray<string>).includes(spec.name)) {
    lines.push(
      "",
      "Also a `--<property> <value>` flag (underscores spelled as dashes) for each writable property the cloud's image " +
        "schema declares beyond these, typed by the schema (integer, boolean, enum, list); `glance help " + spec.name +
        "` lists them once the schema is cached (`~/.cache/glanceclient/`, or under `$XDG_CACHE_HOME`; " +
        "`--get-schema` fetches it again). Any other flag: `unrecognized arguments`, exit 2."
    )
  }
  return lines.join("\n")
}

const render = (): string => {
  const spec = program()
  const commands = [...spec.commands].sort((a, b) => a.name.localeCompare(b.name))
  const globals = spec.root.options
  const doc = [
    "# The `glance` command",
    "",
    "<!-- Generated from the command definitions (src/cli/*.ts) by `npm run docs:cli`; do not edit by hand. -->",
    "",
    cell(spec.root.description) +
    " The same text, per command, is what `glance help COMMAND` and `glance COMMAND --help` print.",
    "",
    "```",
    programHelp(spec, width).split("\n\n")[0]!,
    "```",
    "",
    "## Global options",
    "",
    "They come before the command. A flag beats its environment variable, which beats clouds.yaml (`--os-cloud`).",
    "",
    "| Option | Environment | Description |",
    "| --- | --- | --- |",
    ...globals.map(globalRow),
    "",
    "Built in: `--version` (the version), `-h` / `--help` (help, as `glance help`), " +
    "`--completions bash|zsh|fish` (a completion script for the shell).",
    "",
    "## Commands",
    "",
    "| Command | Description |",
    "| --- | --- |",
    ...commands.map((c) => `| [${c.name}](#${c.name}) | ${cell(c.description)} |`),
    "",
    ...commands.flatMap((c) => [commandSection(c), ""])
  ].join("\n")
  // Formatted as `npm run fmt` would, so the format check and this check agree.
  return execFileSync(Path.join(root, "node_modules/.bin/dprint"), ["fmt", "--stdin", "cli.md"], {
    cwd: root,
    input: doc
  }).toString()
}

const check = process.argv.includes("--check")
const generated = render()
if (check) {
  const current = Fs.existsSync(target) ? Fs.readFileSync(target, "utf8") : ""
  if (current !== generated) {
    process.stderr.write("docs/cli.md is out of date with the command definitions: run `npm run docs:cli`\n")
    process.exit(1)
  }
  process.stdout.write("docs/cli.md is up to date\n")
} else {
  Fs.writeFileSync(target, generated)
  process.stdout.write(`wrote ${Path.relative(root, target)}\n`)
}
