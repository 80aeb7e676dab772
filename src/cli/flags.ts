/**
 * A command's options and positional arguments as data: what argparse's help, docs/cli.md and the
 * completion words read (`specOf`), and what the @effect/cli parser is made from (`toOptions`, `toArgs`).
 */
import * as Args from "@effect/cli/Args"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { escapeControls } from "./safeText.js"
import type { ArgSpec, OptionSpec } from "./spec.js"

/** An option: `--long` (and aliases), its value's type and placeholder, whether it is required or repeated. */
export interface Flag<A> {
  readonly long: string
  /** One letter for `-x`, longer for another `--name`. */
  readonly aliases: ReadonlyArray<string>
  readonly type: "flag" | "text" | "integer" | "choice" | "secret"
  readonly choices?: ReadonlyArray<string> | undefined
  /** argparse's metavar; `<LONG_NAME>` (or `{a,b}` for choices) when absent. */
  readonly metavar?: string | undefined
  readonly help: string
  /** argparse's default is optional: the value is undefined when the flag is not given. */
  readonly presence: "optional" | "required" | "default" | "repeated" | "some"
  readonly default?: unknown
  /** A check of the given value: the message of the usage error, or undefined when it is fine. */
  readonly check?: ((value: never) => string | undefined) | undefined
  /** The variable read when the flag is not given (`OS_IMAGE_STORE`); a switch is on when it is set at all. */
  readonly env?: string | undefined
  /**
   * argparse's `nargs`: `+` several values after one flag (`--tags a b c` is `--tags a --tags b --tags c`);
   * `?` the value may be left out, and is then `ifAlone`.
   */
  readonly nargs?: "+" | "?" | undefined
  /** The value of a flag of `nargs: "?"` given without one (argparse's `const`). */
  readonly ifAlone?: string | undefined
  readonly _A?: (_: never) => A
}

/** A positional argument. */
export interface Positional<A> {
  /** Without the brackets: `NAMESPACE` is shown `<NAMESPACE>`. */
  readonly name: string
  readonly help: string
  readonly choices?: ReadonlyArray<string> | undefined
  readonly presence: "required" | "optional" | "some"
  readonly _A?: (_: never) => A
}

/** The parsed values of a record of flags or positionals. */
export type Values<X> = { readonly [K in keyof X]: X[K] extends Flag<infer A> | Positional<infer A> ? A : never }

const make = <A>(type: Flag<A>["type"], long: string, help: string, metavar?: string): Flag<A> => ({
  long,
  aliases: [],
  type,
  metavar,
  help,
  presence: "optional"
})

/** `--long VALUE`, optional. */
export const text = (long: string, help: string, metavar?: string): Flag<string | undefined> =>
  make("text", long, help, metavar)

/** `--long VALUE`, optional, a secret (`Redacted` from the moment it is read). */
export const secret = (long: string, help: string, metavar?: string): Flag<Redacted.Redacted | undefined> =>
  make("secret", long, help, metavar)

/** `--long N`, optional, a whole number. */
export const integer = (long: string, help: string, metavar?: string): Flag<number | undefined> =>
  make("integer", long, help, metavar)

/** `--long {a,b}`, optional. */
export const choice = <const C extends string>(
  long: string,
  choices: ReadonlyArray<C>,
  help: string,
  metavar?: string
): Flag<C | undefined> => ({ ...make<C | undefined>("choice", long, help, metavar), choices })

/** `--long`, a switch. */
export const flag = (long: string, help: string): Flag<boolean> => ({
  ...make<boolean>("flag", long, help),
  presence: "default",
  default: false
})

/** The flag must be given. */
export const required = <A>(f: Flag<A | undefined>): Flag<A> => ({ ...f, presence: "required" }) as Flag<A>

/** The value when the flag is not given. */
export const withDefault = <A>(f: Flag<A | undefined>, value: NoInfer<A>): Flag<A> =>
  ({ ...f, presence: "default", default: value }) as Flag<A>

/** The flag may be given any number of times. */
export const repeated = <A>(f: Flag<A | undefined>): Flag<ReadonlyArray<A>> =>
  ({ ...f, presence: "repeated" }) as Flag<ReadonlyArray<A>>

/** The flag must be given, and may be given again. */
export const some = <A>(f: Flag<A | undefined>): Flag<ReadonlyArray<A>> =>
  ({ ...f, presence: "some" }) as Flag<ReadonlyArray<A>>

/** Other spellings: `-x` for one letter. */
export const withAliases = <A>(f: Flag<A>, ...aliases: ReadonlyArray<string>): Flag<A> => ({ ...f, aliases })

/** A check of the value given (`undefined` when it is fine, else the usage error's message). */
export const withCheck = <A>(f: Flag<A>, check: (value: A) => string | undefined): Flag<A> =>
  ({ ...f, check }) as Flag<A>

/** Falls back to an environment variable when not given (its help says so: `Defaults to env[VAR].`). */
export const withEnv = <A>(f: Flag<A>, env: string): Flag<A> => ({ ...f, env })

/** argparse's `nargs='+'`: several values after one flag. */
export const withNargs = <A>(f: Flag<A>): Flag<A> => ({ ...f, nargs: "+" })

/** argparse's `nargs='?'` with a `const`: the flag alone means `ifAlone` (`--hidden` is `--hidden True`). */
export const withOptionalValue = <A>(f: Flag<A>, ifAlone: string): Flag<A> => ({ ...f, nargs: "?", ifAlone })

const truthy = ["1", "t", "true", "on", "y", "yes"]
const falsy = ["0", "f", "false", "off", "n", "no"]

/** A `True`/`False` value as python-glanceclient's `strutils.bool_from_string` reads it, or undefined. */
export const toBool = (value: string | undefined): boolean | undefined => {
  const v = value?.toLowerCase()
  return v === undefined ? undefined : truthy.includes(v) ? true : falsy.includes(v) ? false : undefined
}

/** Why `value` of `flag` is refused as a boolean, or undefined when it reads as one. */
export const notABoolean = (flag: string, value: string): string | undefined =>
  toBool(value) !== undefined ? undefined : `${flag} expects True or False, not "${value}"`

/** `--long [True|False]`, optional, refused unless it reads as a boolean. */
export const bool = (long: string, help: string): Flag<string | undefined> =>
  withCheck(text(long, help, "[True|False]"), (v) => v === undefined ? undefined : notABoolean(`--${long}`, v))

/** A positional argument, required. */
export const arg = (name: string, help: string): Positional<string> => ({ name, help, presence: "required" })

/** One or more positional arguments. */
export const args = (name: string, help: string): Positional<ReadonlyArray<string>> => ({
  name,
  help,
  presence: "some"
})

/** An optional positional argument. */
export const optionalArg = (name: string, help: string): Positional<string | undefined> => ({
  name,
  help,
  presence: "optional"
})

/** A positional argument from a set of words. */
export const argChoice = <const C extends string>(
  name: string,
  choices: ReadonlyArray<C>,
  help: string
): Positional<C> => ({
  name,
  help,
  choices,
  presence: "required"
})

/** The @effect/cli option parsing a flag. */
export const toOptions = <A>(f: Flag<A>): Options.Options<A> => {
  let o: Options.Options<any> = f.type === "flag"
    ? Options.boolean(f.long)
    : f.type === "integer"
    ? Options.integer(f.long)
    : f.type === "choice"
    ? Options.choice(f.long, f.choices ?? [])
    : f.type === "secret"
    ? Options.redacted(f.long)
    : Options.text(f.long)
  for (const alias of f.aliases) o = Options.withAlias(o, alias)
  if (f.metavar !== undefined) o = Options.withPseudoName(o, f.metavar)
  o = Options.withDescription(o, f.help)
  if (f.env !== undefined) {
    const env = Config.option(Config.string(f.env))
    o = f.type === "flag"
      // python-glanceclient's `env(...)` default: any value turns the switch on.
      ? Options.mapEffect(
        o,
        (on) => on ? Effect.succeed(true) : Effect.map(Effect.orElseSucceed(env, Option.none), Option.isSome)
      )
      : Options.withFallbackConfig(o, Config.string(f.env))
  }
  switch (f.presence) {
    case "optional":
      o = Options.map(Options.optional(o), Option.getOrUndefined)
      break
    case "default":
      if (f.type !== "flag") o = Options.withDefault(o, f.default)
      break
    case "repeated":
      o = Options.repeated(o)
      break
    case "some":
      o = Options.atLeast(o, 1)
      break
  }
  const check = f.check as ((value: unknown) => string | undefined) | undefined
  if (check !== undefined) {
    o = Options.mapEffect(o, (value) => {
      const problem = check(value)
      return problem === undefined
        ? Effect.succeed(value)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(problem)))
    })
  }
  return o
}

/** The @effect/cli argument parsing a positional. */
export const toArgs = <A>(p: Positional<A>): Args.Args<A> => {
  const base: Args.Args<any> = p.choices === undefined
    ? Args.text({ name: p.name })
    : Args.choice(p.choices.map((c) => [c, c] as const), { name: p.name })
  const described = Args.withDescription(base, p.help)
  return p.presence === "optional"
    ? Args.map(Args.optional(described), Option.getOrUndefined)
    : p.presence === "some"
    ? Args.atLeast(described, 1) as Args.Args<any>
    : described
}

/** @effect/cli's parsers for a record of flags and positionals, under the same keys. */
export const toConfig = <X extends Record<string, Flag<any> | Positional<any>>>(
  record: X
): { readonly [K in keyof X]: X[K] extends Flag<infer A> ? Options.Options<A> : Args.Args<Values<X>[K]> } =>
  Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, "long" in v ? toOptions(v) : toArgs(v)])
  ) as never

const upperSnake = (name: string) => name.replace(/-/g, "_").toUpperCase()

/** How help, docs and completions see a flag. */
export const optionSpec = (f: Flag<unknown>): OptionSpec => ({
  names: [
    ...f.aliases.filter((a) => a.length === 1).map((a) => `-${a}`),
    `--${f.long}`,
    ...f.aliases.filter((a) => a.length > 1).map((a) => `--${a}`)
  ],
  long: `--${f.long}`,
  metavar: f.type === "flag"
    ? undefined
    : f.metavar ?? (f.choices ? `{${f.choices.join(",")}}` : `<${upperSnake(f.long)}>`),
  description: f.help,
  required: (f.presence === "required" || f.presence === "some") && f.type !== "flag",
  repeated: f.presence === "repeated" || f.presence === "some",
  type: f.type,
  choices: f.choices,
  env: f.env ?? /Defaults to env\[(\w+)\]/.exec(f.help)?.[1],
  check: f.check as OptionSpec["check"],
  nargs: f.nargs,
  ifAlone: f.ifAlone
})

/** How help, docs and completions see a positional. */
export const argSpec = (p: Positional<unknown>): ArgSpec => ({
  metavar: `<${p.name}>`,
  description: p.help,
  optional: p.presence === "optional",
  many: p.presence === "some" ? "+" : "",
  choices: p.choices
})

/** The output formats. */
export type Format = "table" | "json" | "yaml" | "value" | "shell"

/** `-f/--format`, `-c/--column` and `--prefix`, taken by every command that prints. */
export const formatFlags = {
  format: withAliases(
    withDefault(
      choice<Format>(
        "format",
        ["table", "json", "yaml", "value", "shell"],
        "Output format (default table, as python-glanceclient)."
      ),
      "table"
    ),
    "f"
  ),
  column: withAliases(repeated(text("column", "Show only this column (repeat for several).")), "c"),
  prefix: withCheck(
    withDefault(
      text("prefix", "Add a prefix to all variable names (-f shell), as openstackclient does.", "<PREFIX>"),
      ""
    ),
    (prefix) =>
      prefix === "" || /^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)
        ? undefined
        : `--prefix must be the start of a shell variable name (letters, digits and _, not starting with a digit), not '${
          escapeControls(prefix)
        }'`
  )
}
