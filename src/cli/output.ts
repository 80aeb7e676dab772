/**
 * Output of the `glance` command: python-glanceclient's prettytable layouts by default,
 * and openstackclient's `-f json|yaml|value|shell` and `-c COLUMN` on top.
 *
 * Lists are printed as their pages arrive: `-f json|yaml|value|shell` row by row, a table once
 * its column widths are known (its rows wait in a temporary file past 1 Mi characters), so any number
 * of rows prints in flat memory. What the server sent is shown safely: control, bidirectional
 * and invisible characters are escaped in tables and on a terminal (`safeText.ts`), and `-f shell`
 * writes only variable names that cannot change the shell's behaviour.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { StringDecoder } from "node:string_decoder"
import * as Yaml from "yaml"
import { LocalFileError } from "./errors.js"
import * as Flags from "./flags.js"
import { escapeChar, escapeControls, escapedBeyondC0 } from "./safeText.js"

/** The output formats. */
export type Format = Flags.Format

/** The parsed `-f` / `-c` / `--prefix` options. */
export interface FormatOptions {
  readonly format: Format
  readonly column: ReadonlyArray<string>
  /** The start of every `-f shell` variable name ("" for none). */
  readonly prefix: string
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

/** A cell's text as a table shows it: CRLF as a line break, every other control character escaped. */
export const forTerminal = (text: string): string =>
  escapeControls(text.includes("\r\n") ? text.replace(/\r\n/g, "\n") : text, true)

const splitLines = (text: string): Array<string> => (text.includes("\n") ? text.split("\n") : [text])

/** A prettytable being laid out: its headers, the columns' max widths, the widths so far. */
interface Layout {
  readonly headers: ReadonlyArray<string>
  readonly maxWidth: ReadonlyArray<number | undefined>
  readonly widths: Array<number>
}

const layoutOf = (headers: ReadonlyArray<string>, maxWidth: ReadonlyArray<number | undefined> = []): Layout => {
  const shown = headers.map((h) => escapeControls(h, true))
  return { headers: shown, maxWidth, widths: shown.map((h) => h.length) }
}

/**
 * A row's cells as lines (wrapped where the column has a max width), widening the layout to fit
 * them. prettytable's rule: a column is as wide as its longest unwrapped line, capped at its max width.
 */
const layRow = (layout: Layout, row: ReadonlyArray<string>): Array<Array<string>> =>
  layout.headers.map((_, i) => {
    const text = forTerminal(row[i] ?? "")
    const max = layout.maxWidth[i]
    let width = layout.widths[i]!
    let lines: Array<string>
    if (max) {
      lines = wrap(text, max)
      for (const line of text.split("\n")) width = Math.max(width, Math.min(line.length, max))
    } else {
      lines = splitLines(text)
    }
    for (const line of lines) width = Math.max(width, line.length)
    layout.widths[i] = width
    return lines
  })

/** The lines of a laid-out table: `+---+` rules, left-aligned cells, one space of padding. */
const tableLines = function*(
  layout: Layout,
  rows: Iterable<ReadonlyArray<ReadonlyArray<string>>>
): Generator<string> {
  const { widths } = layout
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`
  const line = (values: ReadonlyArray<string>) => {
    let text = "|"
    for (let i = 0; i < values.length; i++) text += ` ${values[i]!.padEnd(widths[i]!)} |`
    return text
  }
  yield rule
  yield line(layout.headers)
  yield rule
  for (const row of rows) {
    let height = 0
    for (const cell of row) height = Math.max(height, cell.length)
    if (height === 1) yield line(row.map((cell) => cell[0]!))
    else for (let k = 0; k < height; k++) yield line(row.map((cell) => cell[k] ?? ""))
  }
  yield rule
}

/** A prettytable-style table: left-aligned, one space of padding, `+---+` rules, cells shown with `forTerminal`. */
export const table = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  maxWidth?: ReadonlyArray<number | undefined>
): string => {
  const layout = layoutOf(headers, maxWidth)
  const laid = rows.map((row) => layRow(layout, row))
  return Array.from(tableLines(layout, laid)).join("\n")
}

// A laid-out row kept for later: cells' lines joined by "\n", cells by US, rows ended by RS.
// Neither separator can occur in a cell: `forTerminal` escapes every control character but LF and tab.
const cellSeparator = "\x1f"
const rowSeparator = "\x1e"
const encodeRow = (row: ReadonlyArray<ReadonlyArray<string>>): string =>
  row.map((lines) => lines.join("\n")).join(cellSeparator)
const decodeRow = (record: string): Array<Array<string>> => record.split(cellSeparator).map(splitLines)

/** Characters of rows a table keeps in memory before it moves them to a temporary file. */
export const spoolMemoryLimit = 1024 * 1024

/**
 * The rows of a table until its column widths are known: in memory up to `memoryLimit`
 * characters, then in a temporary file (mode 0600) whose name is removed as soon as it is open,
 * so nothing is left behind however the process ends.
 */
export class RowSpool {
  private readonly held: Array<string> = []
  private heldSize = 0
  private fd: number | undefined
  private leftover: string | undefined
  private readonly pending: Array<string> = []
  private pendingSize = 0
  private written = 0

  constructor(private readonly memoryLimit: number = spoolMemoryLimit) {}

  /** Whether the rows have moved to a temporary file. */
  get onDisk(): boolean {
    return this.fd !== undefined
  }

  /** Keeps one encoded row. */
  add(record: string): void {
    if (this.fd !== undefined) return this.append(record)
    this.held.push(record)
    this.heldSize += record.length + 1
    if (this.heldSize > this.memoryLimit) {
      this.open()
      for (const r of this.held) this.append(r)
      this.held.length = 0
      this.heldSize = 0
    }
  }

  /** The rows kept, in order. */
  *records(): Generator<string> {
    if (this.fd === undefined) {
      yield* this.held
      return
    }
    this.flush()
    const buffer = Buffer.allocUnsafe(256 * 1024)
    const decoder = new StringDecoder("utf8")
    let rest = ""
    for (let position = 0; position < this.written;) {
      const n = Fs.readSync(this.fd, buffer, 0, buffer.length, position)
      if (n === 0) break
      position += n
      const parts = (rest + decoder.write(buffer.subarray(0, n))).split(rowSeparator)
      rest = parts.pop()!
      yield* parts
    }
  }

  /** Closes and removes the temporary file, if any. */
  close(): void {
    if (this.fd !== undefined) Fs.closeSync(this.fd)
    this.fd = undefined
    if (this.leftover !== undefined) Fs.rmSync(this.leftover, { recursive: true, force: true })
    this.leftover = undefined
  }

  private open(): void {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-table-"))
    this.leftover = dir
    const file = Path.join(dir, "rows")
    this.fd = Fs.openSync(file, "wx+", 0o600)
    try {
      Fs.unlinkSync(file)
      Fs.rmdirSync(dir)
      this.leftover = undefined
    } catch {
      // A platform that cannot remove an open file: `close` removes it.
    }
  }

  private append(record: string): void {
    this.pending.push(record, rowSeparator)
    this.pendingSize += record.length + 1
    if (this.pendingSize >= 256 * 1024) this.flush()
  }

  private flush(): void {
    if (this.pending.length === 0) return
    const bytes = Buffer.from(this.pending.join(""), "utf8")
    this.pending.length = 0
    this.pendingSize = 0
    for (let offset = 0; offset < bytes.length;) {
      offset += Fs.writeSync(this.fd!, bytes, offset, bytes.length - offset, this.written + offset)
    }
    this.written += bytes.length
  }
}

const spoolError = (e: unknown) =>
  new LocalFileError({
    message: `Cannot keep the table's rows in a temporary file in ${Os.tmpdir()}: ${
      (e as NodeJS.ErrnoException).code ?? String(e)
    }`
  })

/** Up to 64 KiB of the next lines, joined; undefined when there are none left. */
const nextBatch = (lines: Iterator<string>): string | undefined => {
  const batch: Array<string> = []
  let size = 0
  while (size < 64 * 1024) {
    const next = lines.next()
    if (next.done === true) break
    batch.push(next.value)
    size += next.value.length + 1
  }
  return batch.length === 0 ? undefined : batch.join("\n")
}

/** Prints lines on stdout in batches, as they are produced. */
const writeLines = (lines: Iterable<string>): Effect.Effect<void, LocalFileError> =>
  Effect.suspend(() => {
    const iterator = lines[Symbol.iterator]()
    const loop = (): Effect.Effect<void, LocalFileError> =>
      Effect.flatMap(
        Effect.try({ try: () => nextBatch(iterator), catch: spoolError }),
        (batch) => batch === undefined ? Effect.void : Effect.zipRight(Console.log(batch), Effect.suspend(loop))
      )
    return loop()
  })

const mapIterable = function*<A, B>(items: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const item of items) yield f(item)
}

/**
 * Prints a table of rows that arrive as a stream: each row is laid out as it comes (widths
 * grow), kept compactly (`RowSpool`), and the table printed once the last has arrived.
 */
export const printTable = <E, R>(
  headers: ReadonlyArray<string>,
  rows: Stream.Stream<ReadonlyArray<string>, E, R>,
  maxWidth?: ReadonlyArray<number | undefined>,
  memoryLimit = spoolMemoryLimit
): Effect.Effect<void, E | LocalFileError, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => new RowSpool(memoryLimit)),
    (spool) => {
      const layout = layoutOf(headers, maxWidth)
      return Stream.runForEachChunk(rows, (chunk) =>
        Effect.try({
          try: () => {
            for (const row of chunk) spool.add(encodeRow(layRow(layout, row)))
          },
          catch: spoolError
        })).pipe(
          Effect.zipRight(Effect.suspend(() => writeLines(tableLines(layout, mapIterable(spool.records(), decodeRow)))))
        )
    },
    (spool) => Effect.sync(() => spool.close())
  )

// JSON and YAML escape C0 themselves; what they leave raw of the characters `safeText` escapes
// (DEL, C1, the format characters) is escaped here, their own way.
const beyondC0 = new RegExp(escapedBeyondC0.source, "gu")

/** JSON with two-space indents, every control, bidirectional and invisible character written as `\uXXXX`. */
export const jsonText = (value: unknown): string =>
  JSON.stringify(value, null, 2).replace(
    beyondC0,
    // A tag character (U+E0000–U+E007F) as its surrogate pair.
    (c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join("")
  )

/**
 * YAML (the yaml library's layout, without its final newline); a key or value with a control,
 * bidirectional or invisible character is written double-quoted, with the character escaped.
 */
export const yamlText = (value: unknown): string => {
  const doc = new Yaml.Document(value)
  let quoted = false
  Yaml.visit(doc, {
    Scalar(_, node) {
      // The yaml library writes them raw even in double quotes, but there they can be escaped.
      if (typeof node.value === "string" && escapedBeyondC0.test(node.value)) {
        node.type = "QUOTE_DOUBLE"
        quoted = true
      }
    }
  })
  const text = doc.toString()
  const body = text.endsWith("\n") ? text.slice(0, -1) : text
  return quoted ? body.replace(beyondC0, escapeChar) : body
}

// `-f shell`

/**
 * Names `-f shell` never writes, whatever the case of the property: variables that change how a
 * shell behaves. Upper-case names are never written at all (names are lower-cased, as cliff does,
 * and a name without a lower-case letter is skipped), so this lists the lower-case ones: zsh's
 * special parameters and arrays, bash's `histchars` and `auto_resume`, and the proxy variables
 * programs read from the environment. zsh's `status` is not here: it is read-only there (the
 * assignment fails, nothing changes) and it is the image's, member's or task's status.
 */
const reservedShellNames = new Set([
  "aliases",
  "argv",
  "auto_resume",
  "builtins",
  "cdpath",
  "commands",
  "dirstack",
  "epochtime",
  "errnos",
  "fignore",
  "fpath",
  "funcfiletrace",
  "funcsourcetrace",
  "funcstack",
  "functions",
  "functrace",
  "galiases",
  "histchars",
  "history",
  "historywords",
  "jobdirs",
  "jobstates",
  "jobtexts",
  "keymaps",
  "mailpath",
  "manpath",
  "mapfile",
  "match",
  "mbegin",
  "mend",
  "module_path",
  "modules",
  "nameddirs",
  "options",
  "parameters",
  "patchars",
  "path",
  "pipestatus",
  "prompt",
  "psvar",
  "region_highlight",
  "reply",
  "reswords",
  "saliases",
  "signals",
  "sysparams",
  "termcap",
  "terminfo",
  "userdirs",
  "watch",
  "widgets"
])
const reservedShellPattern = /^(?:zsh_|zle_|dis_)|_(?:functions|proxy)$/

/** How cliff spells a column as a variable: lower case, and here every character that is not a letter, digit or _ as _. */
const shellSpelling = (key: string): string => key.toLowerCase().replace(/[^a-z0-9_]/g, "_")

/** Why `-f shell` skips a variable name, or undefined when it is safe to assign. */
const unsafeShellName = (name: string): string | undefined => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `${name} is not a shell variable name`
  if (!/[a-z]/.test(name)) return `${name} would be an environment or shell variable`
  if (reservedShellNames.has(name) || reservedShellPattern.test(name)) {
    return `${name} would change the shell's behaviour`
  }
  return undefined
}

/** The variable names of `-f shell` for these keys, and the keys skipped with the reason. */
export const shellNames = (
  keys: ReadonlyArray<string>,
  prefix: string
): { readonly names: ReadonlyMap<string, string>; readonly skipped: ReadonlyArray<string> } => {
  const skipped: Array<string> = []
  const byName = new Map<string, Array<string>>()
  for (const key of keys) {
    const name = prefix + shellSpelling(key)
    const reason = key.length === 0 ? "an empty name" : unsafeShellName(name)
    if (reason !== undefined) skipped.push(`"${escapeControls(key)}": ${reason}`)
    else byName.set(name, [...(byName.get(name) ?? []), key])
  }
  const names = new Map<string, string>()
  for (const [name, owners] of byName) {
    // Two keys with one spelling: the one spelled exactly so keeps it, so no property can stand in for another.
    const exact = owners.length === 1 ? owners[0] : owners.find((k) => prefix + k === name)
    if (exact !== undefined) names.set(exact, name)
    for (const key of owners) {
      if (key !== exact) {
        skipped.push(
          exact === undefined
            ? `"${escapeControls(key)}": ${name} would be set by ${owners.length} properties`
            : `"${escapeControls(key)}": ${name} is the variable of "${escapeControls(exact)}"`
        )
      }
    }
  }
  return { names, skipped }
}

/** A value quoted for `eval`: in double quotes, with `"`, `\`, `$` and backquote escaped. */
export const shellQuote = (value: string): string => `"${value.replace(/(["\\$`])/g, "\\$1")}"`

const warnSkipped = (skipped: ReadonlyArray<string>) =>
  Effect.forEach(skipped, (s) => Console.error(`glance: -f shell skipped ${s}`), { discard: true })

/** `name="value"` lines for one record, the names as `shellNames` gives them. */
const shellLines = (
  entries: ReadonlyArray<readonly [string, unknown]>,
  names: ReadonlyMap<string, string>,
  terminal: boolean
): Array<string> =>
  entries.flatMap(([key, value]) => {
    const name = names.get(key)
    return name === undefined ? [] : [`${name}=${shellQuote(shown(plain(value), terminal))}`]
  })

// Selection and the printers

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

const plain = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value)

/** Whether standard output is a terminal (then `-f value` and `-f shell` escape control characters). */
const stdoutIsTerminal = (): boolean => process.stdout.isTTY === true

/**
 * A value as `-f value` / `-f shell` print it: on a terminal like a table cell (`forTerminal`);
 * into a pipe or a file as the server sent it, as python-glanceclient and openstackclient print it.
 */
const shown = (text: string, terminal: boolean): string => (terminal ? forTerminal(text) : text)

/** Prints one object: `Property | Value` sorted by property (python-glanceclient), or the chosen format. */
export const printObject = (
  record: Record<string, unknown>,
  options: FormatOptions,
  maxColumnWidth = 80
): Effect.Effect<void, UnknownColumn | LocalFileError> =>
  Effect.flatMap(selectColumns(record, options.column), (entries) => {
    switch (options.format) {
      case "json":
        return Console.log(jsonText(Object.fromEntries(entries)))
      case "yaml":
        return Console.log(yamlText(Object.fromEntries(entries)))
      case "value": {
        const terminal = stdoutIsTerminal()
        return Console.log(entries.map(([, v]) => shown(plain(v), terminal)).join("\n"))
      }
      case "shell": {
        const { names, skipped } = shellNames(entries.map(([k]) => k), options.prefix)
        return Effect.zipRight(
          warnSkipped(skipped),
          Console.log(shellLines(entries, names, stdoutIsTerminal()).join("\n"))
        )
      }
      case "table": {
        const sorted = options.column.length > 0
          ? entries
          : [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        const layout = layoutOf(["Property", "Value"], [undefined, maxColumnWidth])
        const rows = sorted.map(([k, v]) => layRow(layout, [k, cell(v)]))
        return writeLines(tableLines(layout, rows))
      }
    }
  })

/** One column of a list: its header and how to read it from a row. */
export interface Column<A> {
  readonly header: string
  readonly get: (row: A) => unknown
}

/** Prints the items of a stream as they arrive: `render` turns each chunk into lines (none to hold them back). */
const printEach = <A, E, R>(
  rows: Stream.Stream<A, E, R>,
  render: (rows: ReadonlyArray<A>) => ReadonlyArray<string>
): Effect.Effect<void, E | LocalFileError, R> =>
  Stream.runForEachChunk(rows, (chunk) => {
    const lines = render(Array.from(chunk))
    return lines.length === 0 ? Effect.void : writeLines(lines)
  })

/**
 * Prints a list: a column table (python-glanceclient's `print_list`), or the chosen format.
 * `rows` may be a stream (a paginated listing): json, yaml, value and shell print each page as it
 * arrives; a table waits for the last row to know its widths but holds the rows compactly,
 * spilling to a temporary file past `spoolMemoryLimit`. A failure mid-stream leaves what was printed
 * (a json array is then left unclosed, so it does not parse) and fails with the stream's error.
 */
export const printList = <A, E = never, R = never>(
  rows: ReadonlyArray<A> | Stream.Stream<A, E, R>,
  columns: ReadonlyArray<Column<A>>,
  options: FormatOptions
): Effect.Effect<void, UnknownColumn | LocalFileError | E, R> => {
  const headers = columns.map((c) => c.header)
  const chosen = options.column.length === 0
    ? columns
    : options.column.map((name) =>
      columns.find((c) => c.header === name || c.header.toLowerCase() === name.toLowerCase())
    )
  const missing = options.column.filter((_, i) => chosen[i] === undefined)
  if (missing.length > 0) return Effect.fail(new UnknownColumn(missing, headers))
  const cols = chosen as ReadonlyArray<Column<A>>
  const stream: Stream.Stream<A, E, R> = Array.isArray(rows)
    ? Stream.fromIterable(rows as ReadonlyArray<A>)
    : rows as Stream.Stream<A, E, R>
  const record = (r: A) => Object.fromEntries(cols.map((c) => [c.header, c.get(r) ?? null]))
  switch (options.format) {
    case "json":
      return Effect.suspend(() => {
        // `[`, the rows two spaces in and separated by commas, `]`: JSON.stringify(rows, null, 2) row by row.
        // Each row waits for the next (or the end) to know whether a comma follows it.
        let last: string | undefined
        return printEach(stream, (chunk) => {
          const lines: Array<string> = []
          for (const r of chunk) {
            lines.push(last === undefined ? "[" : `${last},`)
            last = jsonText(record(r)).replace(/^/gm, "  ")
          }
          return lines
        }).pipe(
          // A failed listing still shows every row received, the array left open.
          Effect.tapErrorCause(() => (last === undefined ? Effect.void : Console.log(last))),
          Effect.zipRight(Effect.suspend(() => Console.log(last === undefined ? "[]" : `${last}\n]`)))
        )
      })
    case "yaml":
      return Effect.suspend(() => {
        let empty = true
        return printEach(stream, (chunk) => {
          if (chunk.length > 0) empty = false
          return chunk.map((r) => yamlText([record(r)]))
        }).pipe(Effect.zipRight(Effect.suspend(() => (empty ? Console.log("[]") : Effect.void))))
      })
    case "value": {
      const terminal = stdoutIsTerminal()
      return printEach(stream, (chunk) => chunk.map((r) => shown(cols.map((c) => plain(c.get(r))).join(" "), terminal)))
    }
    case "shell": {
      const { names, skipped } = shellNames(cols.map((c) => c.header), options.prefix)
      const terminal = stdoutIsTerminal()
      return Effect.zipRight(
        warnSkipped(skipped),
        printEach(
          stream,
          (chunk) => chunk.flatMap((r) => shellLines(cols.map((c) => [c.header, c.get(r)]), names, terminal))
        )
      )
    }
    case "table":
      // python-glanceclient prints `getattr(o, field) or ''`: falsy values are blank.
      return printTable(
        cols.map((c) => c.header),
        Stream.map(stream, (r) =>
          cols.map((c) => {
            const v = c.get(r)
            return v === null || v === undefined || v === "" || v === 0 || v === false ? "" : listCell(v)
          }))
      )
  }
}

const listCell = pyStr
