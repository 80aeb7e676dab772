/**
 * A `glance` command as one entry of data: its name, help, positionals and flags, the library call it
 * makes and the shape of its output. The @effect/cli command that parses it and the spec that help,
 * docs/cli.md and completions read are both made from the entry.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { LocalFileError } from "./errors.js"
import * as Flags from "./flags.js"
import { withClient } from "./globalOptions.js"
import { type Column, type FormatOptions, printList, printObject, type UnknownColumn } from "./output.js"
import type { CommandSpec } from "./spec.js"

type Fields = Record<string, Flags.Flag<any> | Flags.Positional<any>>

/** How a command's result is printed. */
export type Output<T, X, E, R> = (value: T, format: FormatOptions, a: Flags.Values<X>) => Effect.Effect<void, E, R>

/** One command of the table. */
export interface Def<X extends Fields, T, E, R, E2, R2> {
  readonly name: string
  readonly help: string
  /** Positionals and flags, each in argparse's order. */
  readonly fields: X
  /** The library call. */
  readonly call: (a: Flags.Values<X>) => Effect.Effect<T, E, R>
  /** Runs without a client (no login, no catalog): help and completion. */
  readonly local?: boolean | undefined
  /**
   * How its result is printed: the columns of a list (python-glanceclient's `print_list`), or a printer.
   * A command without one prints nothing and takes no -f/-c.
   */
  readonly output?: ReadonlyArray<Column<Row<T>>> | Output<T, X, E2, R2> | undefined
}

/** The item of a list result. */
type Row<T> = T extends ReadonlyArray<infer A> ? A : T extends Stream.Stream<infer A, infer _E, infer _R> ? A : never

type Run<E, R> = ReturnType<typeof withClient<void, E, R>>

/** A command made from its entry: the parser and what help, docs and completions read. */
export interface Entry<E = unknown, R = unknown> {
  readonly spec: CommandSpec
  readonly command: Command.Command<string, Effect.Effect.Context<Run<E, R>>, Effect.Effect.Error<Run<E, R>>, unknown>
}

const isFlag = (f: Flags.Flag<any> | Flags.Positional<any>): f is Flags.Flag<any> => "long" in f

/** The command of an entry. A command that prints takes -f/-c/--prefix (no --prefix when it has its own). */
export const make = <X extends Fields, T, E, R, E2 = never, R2 = never>(
  def: Def<X, T, E, R, E2, R2>
): Entry<E | E2 | UnknownColumn | LocalFileError, R | R2> => {
  const own = "prefix" in def.fields
  const format = def.output === undefined
    ? {}
    : own
    ? { format: Flags.formatFlags.format, column: Flags.formatFlags.column }
    : Flags.formatFlags
  const all: Fields = { ...def.fields, ...format }
  const output: Output<T, X, E2 | UnknownColumn | LocalFileError, R2> | undefined = typeof def.output === "function"
    ? def.output
    : def.output === undefined
    ? undefined
    : ((columns) => (rows: any, format: FormatOptions) => printList(rows, columns, format))(def.output)
  const command = Command.make(def.name, Flags.toConfig(all), (a: any) => {
    const run = Effect.flatMap(def.call(a), (value) =>
      output === undefined
        ? Effect.void
        : output(value, { format: a.format, column: a.column, prefix: own ? "" : a.prefix }, a))
    return def.local ? run as Run<E | E2, R | R2> : withClient(run)
  }).pipe(Command.withDescription(def.help))
  const fields = Object.values(all)
  return {
    spec: {
      name: def.name,
      description: def.help,
      args: fields.filter((f): f is Flags.Positional<any> => !isFlag(f)).map(Flags.argSpec),
      options: fields.filter(isFlag).map(Flags.optionSpec)
    },
    command: command as Entry<E | E2 | UnknownColumn | LocalFileError, R | R2>["command"]
  }
}

/** Output: one object as `Property | Value` rows (python-glanceclient's `print_dict`), or the chosen format. */
export const show = <T>(toRecord: (value: T) => Record<string, unknown>) => (value: T, format: FormatOptions) =>
  printObject(toRecord(value), format)
