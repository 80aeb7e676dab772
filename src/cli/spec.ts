/**
 * What each `glance` command takes, as data made from its table entry (table.ts): what `glance help`,
 * `glance bash-completion`, docs/cli.md and the command-line check (commandLine.ts) read.
 */

/** A positional argument. */
export interface ArgSpec {
  readonly metavar: string
  readonly description: string
  readonly optional: boolean
  /** `+` one or more, `*` zero or more (argparse's nargs). */
  readonly many: "" | "+" | "*"
  /** The words it takes, when only some. */
  readonly choices?: ReadonlyArray<string> | undefined
}

/** An option (a flag, or a flag with a value). */
export interface OptionSpec {
  /** As argparse lists them: short ones first (`-f`, `--format`). */
  readonly names: ReadonlyArray<string>
  readonly long: string
  /** The value's placeholder (`<NAME>`, `{a,b}`); undefined for a flag without value. */
  readonly metavar: string | undefined
  readonly description: string
  readonly required: boolean
  readonly repeated: boolean
  readonly type: "flag" | "text" | "integer" | "float" | "choice" | "secret" | "other"
  readonly choices: ReadonlyArray<string> | undefined
  /** The `OS_*` (or other) variable it falls back to, when its description names one. */
  readonly env: string | undefined
  /** Why a given value is refused (the usage error's words), or undefined when it is accepted. */
  readonly check?: ((value: string) => string | undefined) | undefined
  /** argparse's `nargs`: `+` several values after one flag, `?` a value that may be left out. */
  readonly nargs?: "+" | "?" | undefined
  /** With `nargs: "?"`, the value of the flag given alone. */
  readonly ifAlone?: string | undefined
}

/** A command. */
export interface CommandSpec {
  readonly name: string
  readonly description: string
  readonly args: ReadonlyArray<ArgSpec>
  readonly options: ReadonlyArray<OptionSpec>
}

/** The root command and its subcommands. */
export interface ProgramSpec {
  readonly root: CommandSpec
  readonly commands: ReadonlyArray<CommandSpec>
}
