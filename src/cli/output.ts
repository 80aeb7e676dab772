/**
 * Output of the `glance` command: python-glanceclient's prettytable layouts by default,
 * and openstackclient's `-f json|yaml|value|shell` and `-c COLUMN` on top.
 */
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Yaml from "yaml"

/** The output formats. */
export type Format = "table" | "json" | "yaml" | "value" | "shell"

/** `-f/--format` and `-c/--column`, added to every command that prints. */
export const formatOptions = {
  format: Options.choice("format", ["table", "json", "yaml", "value", "shell"]).pipe(
    Options.withAlias("f"),
    Options.withDescription("Output format (default table, as python-glanceclient)."),
    Options.withDefault("table" as Format)
  ),
  column: Options.text("column").pipe(
    Options.withAlias("c"),
    Options.withDescription("Show only this column (repeat for several)."),
    Options.repeated
  )
}

/** The parsed `-f` / `-c` options. */
export interface FormatOptions {
  readonly format: Format
  readonly column: ReadonlyArray<string>
}

/** How python-glanceclient turns one value into a cell: JSON for lists and objects, Python spellings. */
export const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "None"
  if (value === true) return "True"
  if (value === false) return "False"
  if (Array.isArray(value) || typeof value === "object") return pyJson(value)
  return String(value)
}

/** JSON as Python's `json.dumps` writes it: `", "` and `": "` separators, non-ASCII escaped. */
export const pyJson = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (Array.isArray(value)) return `[${value.map(pyJson).join(", ")}]`
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${pyJson(k)}: ${pyJson(v)}`).join(", ")}}`
  }
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
    )
  }
  return JSON.stringify(value)
}

/** A value as Python's `str()` prints it inside a list table: lists as `['a', 'b']`. */
export const pyStr = (value: unknown): string => {
  if (value === null || value === undefined) return "None"
  if (value === true) return "True"
  if (value === false) return "False"
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === "string" ? `'${v}'` : pyStr(v))).join(", ")}]`
  if (typeof value === "object") return pyJson(value)
  return String(value)
}

// Python's textwrap.TextWrapper (3.11) word splitting, as prettytable's `max_width` uses it:
// breaks at whitespace and after the hyphens of hyphenated words.
const wordChar = String.raw`[\p{L}\p{N}_]`
const letter = String.raw`[\p{L}_]`
const wordPunct = String.raw`(?:${wordChar}|[!"'&.,?])`
const wordSep = new RegExp(
  String
    .raw`( +|(?<=${wordPunct})-{2,}(?=${wordChar})|[^ ]+?(?:-(?:(?<=${letter}{2}-)|(?<=${letter}-${letter}-))(?=${letter}-?${letter})|(?= |$)|(?<=${wordPunct})(?=-{2,}${wordChar})))`,
  "u"
)

/** Python's `textwrap.wrap(text, width)` (break_long_words and break_on_hyphens on, whitespace dropped at line ends). */
const textwrap = (text: string, width: number): Array<string> => {
  const munged = text.replace(/\t/g, "        ").replace(/[\n\v\f\r]/g, " ")
  const chunks = munged.split(wordSep).filter((c) => c.length > 0).reverse()
  const lines: Array<string> = []
  while (chunks.length > 0) {
    const line: Array<string> = []
    let length = 0
    if (chunks.at(-1)!.trim() === "" && lines.length > 0) chunks.pop()
    while (chunks.length > 0 && length + chunks.at(-1)!.length <= width) {
      length += chunks.at(-1)!.length
      line.push(chunks.pop()!)
    }
    if (chunks.length > 0 && chunks.at(-1)!.length > width) {
      const room = width < 1 ? 1 : width - length
      const chunk = chunks.at(-1)!
      let end = room
      const hyphen = chunk.lastIndexOf("-", room - 1)
      if (chunk.length > room && hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1
      line.push(chunk.slice(0, end))
      chunks[chunks.length - 1] = chunk.slice(end)
    }
    if (line.length > 0 && line.at(-1)!.trim() === "") line.pop()
    if (line.length > 0) lines.push(line.join(""))
  }
  return lines
}

/** Wraps each line of a cell longer than `width` as prettytable does (Python's textwrap.fill). */
export const wrap = (text: string, width: number): Array<string> =>
  text.split("\n").flatMap((line) => (line.length <= width ? [line] : textwrap(line, width)))

/** A prettytable-style table: left-aligned, one space of padding, `+---+` rules. */
export const table = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  maxWidth?: ReadonlyArray<number | undefined>
): string => {
  const cells = rows.map((row) =>
    row.map((value, i) => (maxWidth?.[i] ? wrap(value, maxWidth[i]!) : value.split("\n")))
  )
  // prettytable: a column is as wide as its longest unwrapped line, capped at its max width.
  const widths = headers.map((h, i) =>
    Math.max(
      h.length,
      ...rows.map((row, r) =>
        Math.max(
          ...row[i]!.split("\n").map((l) => (maxWidth?.[i] ? Math.min(l.length, maxWidth[i]!) : l.length)),
          ...cells[r]![i]!.map((l) => l.length)
        )
      )
    )
  )
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`
  const line = (values: ReadonlyArray<string>) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(" | ")} |`
  const body = cells.flatMap((row) => {
    const height = Math.max(...row.map((c) => c.length))
    return Array.from({ length: height }, (_, k) => line(row.map((c) => c[k] ?? "")))
  })
  return [rule, line(headers), rule, ...body, rule].join("\n")
}

const selectColumns = <A extends Record<string, unknown>>(
  record: A,
  columns: ReadonlyArray<string>
): Effect.Effect<Array<[string, unknown]>, UnknownColumn> => {
  if (columns.length === 0) return Effect.succeed(Object.entries(record))
  const missing = columns.filter((c) => !(c in record))
  if (missing.length > 0) {
    return Effect.fail(new UnknownColumn(missing, Object.keys(record)))
  }
  return Effect.succeed(columns.map((c) => [c, record[c]]))
}

/** `-c` named a column the output does not have. */
export class UnknownColumn {
  readonly _tag = "UnknownColumn"
  constructor(readonly missing: ReadonlyArray<string>, readonly available: ReadonlyArray<string>) {}
  get message() {
    return `No column ${this.missing.map((m) => `"${m}"`).join(", ")}: choose from ${this.available.join(", ")}`
  }
}

const shellName = (key: string) => key.replace(/[^A-Za-z0-9_]/g, "_")
const shellQuote = (value: string) => `"${value.replace(/(["\\$`])/g, "\\$1")}"`
const plain = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value)

/** Prints one object: `Property | Value` sorted by property (python-glanceclient), or the chosen format. */
export const printObject = (
  record: Record<string, unknown>,
  options: FormatOptions,
  maxColumnWidth = 80
): Effect.Effect<void, UnknownColumn> =>
  Effect.flatMap(selectColumns(record, options.column), (entries) => {
    switch (options.format) {
      case "json":
        return Console.log(JSON.stringify(Object.fromEntries(entries), null, 2))
      case "yaml":
        return Console.log(Yaml.stringify(Object.fromEntries(entries)).trimEnd())
      case "value":
        return Console.log(entries.map(([, v]) => plain(v)).join("\n"))
      case "shell":
        return Console.log(entries.map(([k, v]) => `${shellName(k)}=${shellQuote(plain(v))}`).join("\n"))
      case "table": {
        const sorted = options.column.length > 0
          ? entries
          : [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        return Console.log(
          table(["Property", "Value"], sorted.map(([k, v]) => [k, cell(v)]), [undefined, maxColumnWidth])
        )
      }
    }
  })

/** One column of a list: its header and how to read it from a row. */
export interface Column<A> {
  readonly header: string
  readonly get: (row: A) => unknown
}

/** Prints a list: a column table (python-glanceclient's `print_list`), or the chosen format. */
export const printList = <A>(
  rows: ReadonlyArray<A>,
  columns: ReadonlyArray<Column<A>>,
  options: FormatOptions
): Effect.Effect<void, UnknownColumn> => {
  const headers = columns.map((c) => c.header)
  const chosen = options.column.length === 0
    ? columns
    : options.column.map((name) =>
      columns.find((c) => c.header === name || c.header.toLowerCase() === name.toLowerCase())
    )
  const missing = options.column.filter((_, i) => chosen[i] === undefined)
  if (missing.length > 0) return Effect.fail(new UnknownColumn(missing, headers))
  const cols = chosen as ReadonlyArray<Column<A>>
  switch (options.format) {
    case "json":
      return Console.log(
        JSON.stringify(rows.map((r) => Object.fromEntries(cols.map((c) => [c.header, c.get(r) ?? null]))), null, 2)
      )
    case "yaml":
      return Console.log(
        rows.length === 0
          ? "[]"
          : Yaml.stringify(rows.map((r) => Object.fromEntries(cols.map((c) => [c.header, c.get(r) ?? null])))).trimEnd()
      )
    case "value":
    case "shell":
      return rows.length === 0
        ? Effect.void
        : Console.log(rows.map((r) => cols.map((c) => plain(c.get(r))).join(" ")).join("\n"))
    case "table":
      // python-glanceclient prints `getattr(o, field) or ''`: falsy values are blank.
      return Console.log(table(
        cols.map((c) => c.header),
        rows.map((r) =>
          cols.map((c) => {
            const v = c.get(r)
            return v === null || v === undefined || v === "" || v === 0 || v === false ? "" : listCell(v)
          })
        )
      ))
  }
}

const listCell = pyStr

/** Parsed format options, for commands that take none. */
export const defaultFormat: FormatOptions = { format: "table", column: [] }

/** Unwraps an optional CLI value. */
export const opt = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)
