import { assert, describe, it } from "@effect/vitest"
import { humanSize } from "../../src/cli/images.js"
import { cell, pyJson, pyStr, table, wrap } from "../../src/cli/output.js"

describe("cli output", () => {
  describe("table", () => {
    it("is a prettytable: left-aligned, one space of padding, +---+ rules, widths from the widest cell", () => {
      assert.strictEqual(
        table(["ID", "Name"], [["1", "cirros"], ["22", ""]]),
        [
          "+----+--------+",
          "| ID | Name   |",
          "+----+--------+",
          "| 1  | cirros |",
          "| 22 |        |",
          "+----+--------+"
        ].join("\n")
      )
    })

    it("wraps a 128-character sha512 at width 80: lines of 80 and 48", () => {
      const sha512 = "0123456789abcdef".repeat(8)
      const out = table(["Property", "Value"], [["name", "cirros"], ["os_hash_value", sha512]], [undefined, 80])
      const lines = out.split("\n")
      assert.deepStrictEqual(lines, [
        `+---------------+${"-".repeat(82)}+`,
        `| Property      | Value${" ".repeat(75)} |`,
        `+---------------+${"-".repeat(82)}+`,
        `| name          | cirros${" ".repeat(74)} |`,
        `| os_hash_value | ${sha512.slice(0, 80)} |`,
        `|               | ${sha512.slice(80)}${" ".repeat(32)} |`,
        `+---------------+${"-".repeat(82)}+`
      ])
      assert.deepStrictEqual(wrap(sha512, 80).map((l) => l.length), [80, 48])
      assert.isTrue(lines.every((l) => l.length === lines[0]!.length))
    })

    it("wraps text at word boundaries and keeps explicit newlines as rows", () => {
      assert.deepStrictEqual(wrap("the quick brown fox jumps", 10), ["the quick", "brown fox", "jumps"])
      assert.strictEqual(
        table(["Property", "Value"], [["description", "line one\nline two"]]),
        [
          "+-------------+----------+",
          "| Property    | Value    |",
          "+-------------+----------+",
          "| description | line one |",
          "|             | line two |",
          "+-------------+----------+"
        ].join("\n")
      )
    })

    it("an empty list still prints its header", () => {
      assert.strictEqual(table(["ID", "Name"], []), "+----+------+\n| ID | Name |\n+----+------+\n+----+------+")
    })
  })

  describe("cell and pyJson", () => {
    it("prints lists and objects as Python's json.dumps does", () => {
      assert.strictEqual(cell(["a", "b"]), `["a", "b"]`)
      assert.strictEqual(cell([]), "[]")
      assert.strictEqual(cell({ a: 1, b: [true, null] }), `{"a": 1, "b": [true, null]}`)
      assert.strictEqual(pyJson("café"), `"caf\\u00e9"`)
    })

    it("prints booleans and nothing with Python's spellings", () => {
      assert.strictEqual(cell(true), "True")
      assert.strictEqual(cell(false), "False")
      assert.strictEqual(cell(null), "None")
      assert.strictEqual(cell(undefined), "None")
      assert.strictEqual(cell(0), "0")
      assert.strictEqual(cell("active"), "active")
    })

    it("pyStr prints lists as Python's str()", () => {
      assert.strictEqual(pyStr(["a", "b"]), "['a', 'b']")
      assert.strictEqual(pyStr([1, true]), "[1, True]")
    })
  })

  describe("humanSize", () => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [0, "0B"],
      [1, "1B"],
      [10, "10B"],
      [1023, "1023B"],
      [1024, "1kB"],
      [1536, "1.5kB"],
      [1048575, "1024kB"],
      [13287936, "12.7MB"],
      [1073741824, "1GB"],
      [1649267441664, "1.5TB"]
    ]
    for (const [size, expected] of cases) {
      it(`${size} → ${expected}, as python-glanceclient's make_size_human_readable`, () => {
        assert.strictEqual(humanSize(size), expected)
      })
    }
  })
})
