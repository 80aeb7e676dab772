/**
 * The `glance` application: the root command with its global options and every subcommand.
 */
import * as Command from "@effect/cli/Command"
import { cacheCommands } from "./cache.js"
import { glance } from "./globalOptions.js"
import { imageActionCommands } from "./imageActions.js"
import { imageCommands } from "./images.js"
import { infoCommands } from "./info.js"
import { memberCommands } from "./members.js"
import { metadefCommands } from "./metadefs.js"
import { taskCommands } from "./tasks.js"

/** The version `glance --version` prints. */
export const version = "0.1.0"

/** The whole command tree. */
export const command = glance.pipe(
  Command.withDescription("Command-line interface to the OpenStack Image API (v2)."),
  Command.withSubcommands([
    ...imageCommands,
    ...imageActionCommands,
    ...memberCommands,
    ...infoCommands,
    ...taskCommands,
    ...cacheCommands,
    ...metadefCommands
  ])
)

/** python-glanceclient spellings that @effect/cli does not parse as such, rewritten before parsing. */
export const normalizeArgs = (args: ReadonlyArray<string>): Array<string> => {
  const out = [...args]
  // `glance help [COMMAND]` is `glance [COMMAND] --help`.
  const help = out.findIndex((a) => a === "help")
  if (help !== -1 && out.slice(0, help).every((a) => a.startsWith("-"))) {
    const target = out[help + 1]
    out.splice(help, 2, ...(target !== undefined ? [target, "--help"] : ["--help"]))
  }
  // `--tags a b c` (argparse nargs='+') is `--tags a --tags b --tags c`.
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== "--tags") continue
    let j = i + 2
    while (j < out.length && !out[j]!.startsWith("-")) {
      out.splice(j, 0, "--tags")
      j += 2
    }
  }
  return out
}

/** Runs the CLI on arguments (without the node and script paths). */
export const run = (args: ReadonlyArray<string>) =>
  Command.run(command, { name: "glance", version })(["node", "glance", ...normalizeArgs(args)])
