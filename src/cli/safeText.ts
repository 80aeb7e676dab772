/**
 * Text from the server made safe to show: names, property values, error messages, request ids
 * and schema descriptions can carry terminal escape sequences (an OSC that retitles the window, a
 * clear screen, `\r` to overwrite a line) or characters that reorder or hide text (U+202E, U+200B).
 * Printed raw they act on the user's terminal; here they are shown escaped, as Python's `repr`
 * writes them (`\x1b`, `\r`, `\u202e`, `\U000e0041`), so what is on the screen is what the server sent.
 */

// The characters shown escaped: every control character (C0, DEL, C1), the bidirectional
// controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the invisible format
// characters (soft hyphen, U+180E, zero-width space, word joiner and the invisible operators
// U+2060–U+2064, U+206A–U+206F, the BOM, U+FFF9–U+FFFB, the tag characters U+E0000–U+E007F) and
// the line and paragraph separators U+2028/U+2029. The zero-width joiners U+200C/U+200D are
// left alone: emoji and several scripts need them.
const beyondC0 = String
  .raw`\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}`
const unsafe = new RegExp(String.raw`[\u0000-\u001f${beyondC0}]`, "gu")
// The same, but line feeds and tabs pass: for layouts where they keep their meaning (table cells, `-f value`).
const unsafeInLines = new RegExp(String.raw`[\u0000-\u0008\u000b-\u001f${beyondC0}]`, "gu")

/**
 * What `escapeControls` escapes beyond C0: DEL, C1 and the format characters, which JSON.stringify
 * and the yaml library write raw (they escape C0 themselves).
 */
export const escapedBeyondC0 = new RegExp(`[${beyondC0}]`, "u")

const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

/** One character as Python's `repr` escapes it. */
export const escapeChar = (c: string): string => {
  const name = named[c]
  if (name !== undefined) return name
  const code = c.codePointAt(0)!
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, "0")}`
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, "0")}`
  return `\\U${code.toString(16).padStart(8, "0")}`
}

/**
 * The text with every control, bidirectional and invisible format character escaped;
 * `keepLines` lets line feeds and tabs through (a table cell, a value on its own lines).
 */
export const escapeControls = (text: string, keepLines = false): string =>
  text.replace(keepLines ? unsafeInLines : unsafe, escapeChar)

/** The text as one line: line breaks (and the spaces around them) become one space, the rest is escaped. */
export const oneLine = (text: string): string =>
  escapeControls(text.replace(/\s*(?:\r\n|[\n\r\v\f\u0085\u2028\u2029])\s*/g, " ").trim())
