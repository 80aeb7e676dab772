/**
 * Structural comparison of `glance` output (ours or python-glanceclient's): prettytable output
 * parsed into headers and rows of cells, wrapped cells joined, run-specific values normalised.
 */

/** One prettytable: its header cells and its rows of cells (continuation lines joined). */
export interface Table {
  readonly headers: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
}

/** A command's output: its tables, and the non-empty lines outside any table. */
export interface Output {
  readonly tables: ReadonlyArray<Table>
  readonly lines: ReadonlyArray<string>
}

const border = /^\+[-+]*\+$/

const cellsOf = (line: string): Array<string> => line.split("|").slice(1, -1).map((c) => c.trim())

/**
 * Parses prettytable output. A row whose first cell is empty continues the row before it
 * (prettytable's wrapping of long values): its cells are appended, separated by a space.
 */
export const parseOutput = (text: string): Output => {
  const tables: Array<{ headers: Array<string>; rows: Array<Array<string>> }> = []
  const lines: Array<string> = []
  let current: { headers: Array<string>; rows: Array<Array<string>>; borders: number } | undefined
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd()
    if (border.test(line)) {
      if (current === undefined) {
        current = { headers: [], rows: [], borders: 1 }
        tables.push(current)
      } else if (++current.borders === 3) {
        current = undefined
      }
    } else if (current !== undefined && line.startsWith("|")) {
      const cells = cellsOf(line)
      const previous = current.rows.at(-1)
      if (current.borders === 1) current.headers = cells
      else if (previous !== undefined && cells[0] === "") {
        cells.forEach((c, i) => {
          if (c !== "") previous[i] = previous[i] ? `${previous[i]} ${c}` : c
        })
      } else current.rows.push(cells)
    } else if (line.trim() !== "") {
      current = undefined
      lines.push(line.trim())
    }
  }
  return { tables: tables.map(({ headers, rows }) => ({ headers, rows })), lines }
}

/** A Property | Value table as a record (the first table of the output). */
export const propertiesOf = (text: string): Record<string, string> => {
  const table = parseOutput(text).tables[0]
  return Object.fromEntries((table?.rows ?? []).map((r) => [r[0] ?? "", r[1] ?? ""]))
}

/** The rows of the first table, without its headers. */
export const rowsOf = (text: string): ReadonlyArray<ReadonlyArray<string>> => parseOutput(text).tables[0]?.rows ?? []

/** A replacement of one run-specific value by a placeholder. */
export type Substitution = readonly [from: string, to: string]

const timestamp = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?/g
const requestIdSuffix = / \(request-id: req-[0-9a-f-]+\)/g
const requestId = /\breq-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g
const uuid = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g

/**
 * One cell or line with its run-specific values replaced: the given substitutions first (names
 * and ids this run made), then timestamps, request ids and any other UUID. Our error lines end in
 * ` (request-id: req-…)` and python-glanceclient's do not (a documented difference): removed.
 */
export const normalise = (text: string, substitutions: ReadonlyArray<Substitution>): string => {
  let out = text.replace(requestIdSuffix, "")
  for (const [from, to] of substitutions) out = out.split(from).join(to)
  return out.replace(timestamp, "<time>").replace(requestId, "<request-id>").replace(uuid, "<uuid>")
}

/** The output with every cell and line normalised. */
export const normaliseOutput = (output: Output, substitutions: ReadonlyArray<Substitution>): Output => ({
  tables: output.tables.map((t) => ({
    headers: t.headers,
    rows: t.rows.map((r) => r.map((c) => normalise(c, substitutions)))
  })),
  lines: output.lines.map((l) => normalise(l, substitutions))
})
