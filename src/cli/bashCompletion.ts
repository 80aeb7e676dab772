/**
 * `glance bash-completion`: every command and option on one line, for python-glanceclient's
 * glance.bash_completion script (which feeds it to `compgen -W`). Loaded only when asked for.
 */
import * as Console from "effect/Console"
import type { ProgramSpec } from "./spec.js"

/** The words: command names (not bash-completion itself), then every option of every command, -h/--help too. */
export const completionWords = (program: ProgramSpec): Array<string> => {
  const commands = program.commands.map((c) => c.name).filter((n) => n !== "bash-completion").sort()
  const options = new Set<string>(["-h", "--help"])
  for (const c of program.commands) for (const o of c.options) for (const n of o.names) options.add(n)
  return [...commands, ...[...options].sort()]
}

/** Prints the words on one line, space-separated, as python-glanceclient. */
export const printCompletion = (program: ProgramSpec) => Console.log(completionWords(program).join(" "))
