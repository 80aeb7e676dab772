/**
 * The CLI's printers against what a misbehaving server can send: control, bidirectional and
 * invisible characters (escaped in tables, error lines and `--debug`, escaped their own way in
 * json and yaml), unbounded tables (laid out row by row, spilled to a temporary file), `-f shell`
 * variable names, the schema cache.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Yaml from "yaml"
import { centredTable } from "../../src/cli/cache.js"
import { requestLine, responseLine } from "../../src/cli/debug.js"
import { describe as describeError } from "../../src/cli/errors.js"
import {
  type FormatOptions,
  jsonText,
  printList,
  printTable,
  RowSpool,
  shellNames,
  shellQuote,
  table,
  yamlText
} from "../../src/cli/output.js"
import { escapeControls, oneLine } from "../../src/cli/safeText.js"
import { cachedFlagSpecs, cacheDir, readCachedSchema, writeCachedSchema } from "../../src/cli/schemaFlags.js"
import * as GlanceError from "../../src/GlanceError.js"

/** Runs a printer and returns what it wrote to stdout (each Console.log call ends a line) and stderr. */
const capture = <E>(effect: Effect.Effect<void, E>) => {
  const out: Array<string> = []
  const err: Array<string> = []
  const console = {
    [Console.TypeId]: Console.TypeId,
    log: (...parts: ReadonlyArray<unknown>) => Effect.sync(() => out.push(`${parts.join(" ")}\n`)),
    error: (...parts: ReadonlyArray<unknown>) => Effect.sync(() => err.push(`${parts.join(" ")}\n`))
  } as unknown as Console.Console
  return Effect.map(Effect.either(Effect.withConsole(effect, console)), (result) => ({
    result,
    stdout: out.join(""),
    stderr: err.join("")
  }))
}

const format = (f: FormatOptions["format"], extra: Partial<FormatOptions> = {}): FormatOptions => ({
  format: f,
  column: [],
  prefix: "",
  ...extra
})

const raw =
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\u{e0000}-\u{e007f}]/u

describe("safeText", () => {
  it("escapes C0, DEL, C1, bidirectional controls and invisible format characters as Python's repr", () => {
    assert.strictEqual(escapeControls("a\x1b]0;t\x07b"), "a\\x1b]0;t\\x07b")
    assert.strictEqual(escapeControls("\r\n\t\x00\x7f"), "\\r\\n\\t\\x00\\x7f")
    assert.strictEqual(escapeControls("\u0085\u009b"), "\\x85\\x9b")
    assert.strictEqual(
      escapeControls("\u202a\u202e\u2066\u2069\u200e\u200f\u061c"),
      "\\u202a\\u202e\\u2066\\u2069\\u200e\\u200f\\u061c"
    )
    assert.strictEqual(escapeControls("\u200b\u2060\ufeff\u00ad\u2028"), "\\u200b\\u2060\\ufeff\\xad\\u2028")
    assert.strictEqual(escapeControls("tag\u{e0041}"), "tag\\U000e0041")
  })

  it("leaves printable text alone: accents, CJK, emoji with their joiners, backslashes", () => {
    const text = "café 中文 👨\u200d👩\u200d👧 \u200cfa C:\\path \\x1b"
    assert.strictEqual(escapeControls(text), text)
  })

  it("keeps line feeds and tabs when asked (table cells, -f value)", () => {
    assert.strictEqual(escapeControls("a\nb\tc\rd", true), "a\nb\tc\\rd")
  })

  it("oneLine flattens every kind of line break with the spaces around it, then escapes", () => {
    assert.strictEqual(
      oneLine("  first\n  second\r\nthird\rfourth\u2028fifth \x1b[2J "),
      "first second third fourth fifth \\x1b[2J"
    )
    assert.strictEqual(oneLine(oneLine("a\u202eb\nc")), "a\\u202eb c")
  })
})

describe("tables", () => {
  it("shows control characters escaped, so the rules still line up", () => {
    const out = table(["ID", "Name"], [["1", "x\x1b[2J\u202ey"], ["2", "c1\u009bz"]])
    assert.notMatch(out, raw)
    assert.deepStrictEqual(out.split("\n"), [
      "+----+-----------------+",
      "| ID | Name            |",
      "+----+-----------------+",
      "| 1  | x\\x1b[2J\\u202ey |",
      "| 2  | c1\\x9bz         |",
      "+----+-----------------+"
    ])
  })

  it("a CRLF is a line break (Horizon sends descriptions so); a lone CR is escaped", () => {
    assert.deepStrictEqual(table(["Property", "Value"], [["description", "one\r\ntwo\rthree"]]).split("\n"), [
      "+-------------+------------+",
      "| Property    | Value      |",
      "+-------------+------------+",
      "| description | one        |",
      "|             | two\\rthree |",
      "+-------------+------------+"
    ])
  })

  it("prints 200,000 rows and a cell of 200,000 lines (the widths were Math.max(...rows))", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [String(i), `n${i}`])
    const lines = table(["ID", "Name"], rows).split("\n")
    assert.strictEqual(lines.length, 200_004)
    assert.strictEqual(lines.at(-2), "| 199999 | n199999 |")
    const tall = table(["Property", "Value"], [["d", "x\n".repeat(200_000)]], [undefined, 80]).split("\n")
    assert.strictEqual(tall.length, 200_001 + 4)
  })
})

describe("cache-list's centred table", () => {
  it("escapes the cloud's image ids and takes any number of rows", () => {
    const out = centredTable(["ID", "State"], [
      ["a\x1b[2J", "cached"],
      ...Array.from({ length: 200_000 }, () => ["b", "queued"])
    ])
    assert.notMatch(out, raw)
    const lines = out.split("\n")
    assert.strictEqual(lines.length, 200_001 + 4)
    assert.strictEqual(lines[3], "| a\\x1b[2J | cached |")
  })
})

describe("RowSpool and printTable", () => {
  const rows = Array.from({ length: 3000 }, (_, i) => [
    `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    i % 7 === 0 ? `multi\nline ${i}` : `name ${"é中🙂".repeat(i % 5)} ${i}`
  ])

  it.effect("past its memory limit, keeps rows in a temporary file that has no name on disk, and gives them back in order", () =>
    Effect.sync(() => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "spool-test-"))
      const saved = process.env.TMPDIR
      process.env.TMPDIR = dir
      try {
        const spool = new RowSpool(1000)
        const records = rows.map((r) => r.join("\x1f"))
        for (const r of records) spool.add(r)
        assert.isTrue(spool.onDisk)
        assert.deepStrictEqual(Fs.readdirSync(dir), [])
        assert.deepStrictEqual([...spool.records()], records)
        spool.close()
        assert.deepStrictEqual(Fs.readdirSync(dir), [])
        const small = new RowSpool()
        small.add("a")
        assert.isFalse(small.onDisk)
        assert.deepStrictEqual([...small.records()], ["a"])
        small.close()
      } finally {
        if (saved === undefined) delete process.env.TMPDIR
        else process.env.TMPDIR = saved
        Fs.rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.effect("prints a streamed table byte for byte as table() does, from memory or from the file", () =>
    Effect.gen(function*() {
      const expected = `${table(["ID", "Name"], rows, [undefined, 20])}\n`
      for (const limit of [1024 * 1024, 100]) {
        const stream = Stream.fromIterable(rows).pipe(Stream.rechunk(128))
        const { result, stdout } = yield* capture(printTable(["ID", "Name"], stream, [undefined, 20], limit))
        assert.strictEqual(result._tag, "Right")
        assert.strictEqual(stdout, expected, `memory limit ${limit}`)
      }
    }))
})

describe("json and yaml", () => {
  const hostile = { [`k\u202e`]: `\x1b[2J\u202e\u009b\u200b\x7f\u{e0041}`, plain: "café\tok", n: 1 }

  it("jsonText escapes what JSON.stringify leaves raw (DEL, C1, format characters) and parses back the same", () => {
    const text = jsonText(hostile)
    assert.notMatch(text, raw)
    assert.include(text, "\\u202e\\u009b\\u200b\\u007f\\udb40\\udc41")
    assert.deepStrictEqual(JSON.parse(text), hostile)
    assert.strictEqual(jsonText({ a: "café" }), JSON.stringify({ a: "café" }, null, 2))
  })

  it("yamlText double-quotes and escapes them, keys too, and parses back the same; plain text is untouched", () => {
    const text = yamlText(hostile)
    assert.notMatch(text.replace(/\t/g, ""), raw)
    assert.deepStrictEqual(Yaml.parse(text), hostile)
    assert.strictEqual(yamlText({ a: "x", b: [1, "y"] }), Yaml.stringify({ a: "x", b: [1, "y"] }).trimEnd())
  })

  it.effect("a streamed -f json list is JSON.stringify(rows, null, 2), page after page", () =>
    Effect.gen(function*() {
      const items = Array.from({ length: 5 }, (_, i) => ({ id: `i${i}`, name: i === 2 ? null : `n${i}` }))
      const columns = [{ header: "ID", get: (r: typeof items[number]) => r.id }, {
        header: "Name",
        get: (r: typeof items[number]) => r.name
      }]
      const rows = items.map((r) => ({ ID: r.id, Name: r.name }))
      const { stdout } = yield* capture(
        printList(Stream.fromIterable(items).pipe(Stream.rechunk(2)), columns, format("json"))
      )
      assert.strictEqual(stdout, `${JSON.stringify(rows, null, 2)}\n`)
      const empty = yield* capture(printList(Stream.empty, columns, format("json")))
      assert.strictEqual(empty.stdout, "[]\n")
      const yaml = yield* capture(
        printList(Stream.fromIterable(items).pipe(Stream.rechunk(2)), columns, format("yaml"))
      )
      assert.strictEqual(yaml.stdout, `${Yaml.stringify(rows).trimEnd()}\n`)
    }))
})

describe("-f shell", () => {
  it("lower-cases names and turns other characters into _, as cliff (which replaces space, : and -)", () => {
    const { names, skipped } = shellNames(["ID", "Disk Format", "hw:cpu-policy", "os.distro"], "")
    assert.deepStrictEqual([...names.values()], ["id", "disk_format", "hw_cpu_policy", "os_distro"])
    assert.deepStrictEqual(skipped, [])
  })

  it("skips names that are no identifier and the ones shells and programs read; IFS becomes ifs, which none reads", () => {
    const keys = [
      "1abc",
      "",
      "a$b",
      "PATH",
      "IFS",
      "path",
      "fpath",
      "prompt",
      "https_proxy",
      "chpwd_functions",
      "zsh_x"
    ]
    const { names, skipped } = shellNames(keys, "")
    assert.deepStrictEqual([...names.entries()], [["a$b", "a_b"], ["IFS", "ifs"]])
    assert.deepStrictEqual(skipped, [
      `"1abc": 1abc is not a shell variable name`,
      `"": an empty name`,
      `"PATH": path would change the shell's behaviour`,
      `"path": path would change the shell's behaviour`,
      `"fpath": fpath would change the shell's behaviour`,
      `"prompt": prompt would change the shell's behaviour`,
      `"https_proxy": https_proxy would change the shell's behaviour`,
      `"chpwd_functions": chpwd_functions would change the shell's behaviour`,
      `"zsh_x": zsh_x would change the shell's behaviour`
    ])
  })

  it("with a prefix, a name without a lower-case letter is skipped (PS + 1 is PS1)", () => {
    const { names, skipped } = shellNames(["1", "path", "name"], "PS")
    assert.deepStrictEqual([...names.entries()], [["path", "PSpath"], ["name", "PSname"]])
    assert.deepStrictEqual(skipped, [`"1": PS1 would be an environment or shell variable`])
  })

  it("two properties with one variable name: the one spelled so keeps it, else neither is written", () => {
    const { names, skipped } = shellNames(["os-distro", "os_distro", "Foo", "FOO"], "")
    assert.deepStrictEqual([...names.entries()], [["os_distro", "os_distro"]])
    assert.deepStrictEqual(skipped, [
      `"os-distro": os_distro is the variable of "os_distro"`,
      `"Foo": foo would be set by 2 properties`,
      `"FOO": foo would be set by 2 properties`
    ])
  })

  it("quotes values so that eval assigns them and runs nothing", () => {
    assert.strictEqual(shellQuote(`a "b" \\ $(x) \`y\` $z`), `"a \\"b\\" \\\\ \\$(x) \\\`y\\\` \\$z"`)
  })

  it.effect("printList -f shell prints each row's columns as assignments, after the skipped names on stderr", () =>
    Effect.gen(function*() {
      const columns = [{ header: "ID", get: (r: { id: string }) => r.id }, { header: "1st", get: () => "x" }]
      const { stderr, stdout } = yield* capture(printList([{ id: "a" }], columns, format("shell", { prefix: "img_" })))
      assert.strictEqual(stdout, `img_id="a"\nimg_1st="x"\n`)
      assert.strictEqual(stderr, "")
      const bare = yield* capture(printList([{ id: "a" }], columns, format("shell")))
      assert.strictEqual(bare.stdout, `id="a"\n`)
      assert.strictEqual(bare.stderr, `glance: -f shell skipped "1st": 1st is not a shell variable name\n`)
    }))
})

describe("error lines and --debug", () => {
  it("a failure is one line whatever its message holds", () => {
    const { exitCode, line } = describeError(
      new GlanceError.NotFound({
        status: 404,
        method: "GET",
        url: "http://glance.test/v2/images/x",
        message: "No image\n\nfound\x1b]0;t\x07\r\u202e",
        requestId: "req-\x1b[2J"
      })
    )
    assert.strictEqual(exitCode, 1)
    assert.strictEqual(line, "HTTP 404 Not Found: No image found\\x1b]0;t\\x07 \\u202e (request-id: req-\\x1b[2J)")
    assert.strictEqual(describeError(new Error("a\nb")).line, "a b")
  })

  it("REQ and RESP lines escape what the server chose (links, request ids, content types)", () => {
    const request = HttpClientRequest.get("http://glance.test/v2/images/x\x1b]0;t\x07")
    assert.strictEqual(requestLine(request), "REQ: curl -g -i -X GET 'http://glance.test/v2/images/x\\x1b]0;t\\x07'")
    const response = HttpClientResponse.fromWeb(
      request,
      new Response("{}", { headers: { "x-openstack-request-id": "req-\u009b2J", "content-type": "text/\u009dx" } })
    )
    const line = responseLine(response)
    assert.notMatch(line, raw)
    assert.include(line, "request-id: req-\\x9b2J content-type: text/\\x9dx")
  })
})

describe("the schema cache", () => {
  const withCache = <A>(f: (file: string, settings: { imageUrl: string }) => A): A => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "schema-cache-"))
    const saved = process.env.XDG_CACHE_HOME
    process.env.XDG_CACHE_HOME = dir
    try {
      const settings = { imageUrl: "http://glance.test:9292" }
      const file = Path.join(cacheDir(settings), "image_schema.json")
      Fs.mkdirSync(Path.dirname(file), { recursive: true })
      return f(file, settings)
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME
      else process.env.XDG_CACHE_HOME = saved
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }

  it("a file that does not parse or is not a schema with properties is no cache", () => {
    withCache((file, settings) => {
      for (
        const contents of [
          "{\"properties\": {\"a\"",
          "null",
          "[]",
          "{}",
          "{\"properties\": null}",
          "{\"properties\": {\"a\": null}}",
          "{\"properties\": {\"a\": {\"type\": 5}}}",
          "{\"properties\": {\"a\": {\"enum\": \"x\"}}}"
        ]
      ) {
        Fs.writeFileSync(file, contents)
        assert.isUndefined(readCachedSchema(settings), contents)
        assert.deepStrictEqual(cachedFlagSpecs("image-create", [], settings), [], contents)
      }
    })
  })

  it("is written whole or not at all: a new file renamed over the old, mode 0600, nothing else left", () => {
    withCache((file, settings) => {
      Fs.writeFileSync(file, "garbage")
      const schema = { name: "image", properties: { a: { type: "string" } } }
      writeCachedSchema(settings, schema)
      assert.deepStrictEqual(readCachedSchema(settings), schema)
      assert.deepStrictEqual(Fs.readdirSync(Path.dirname(file)), ["image_schema.json"])
      assert.strictEqual(Fs.statSync(file).mode & 0o777, 0o600)
    })
  })

  it("help's flags from the cloud's schema show its words with control characters escaped", () => {
    withCache((_, settings) => {
      writeCachedSchema(settings, {
        properties: {
          [`ev\x1bil`]: { type: "string", description: "a\x1b]0;t\x07\nb\u202e", enum: ["x\x1b[2J"] }
        }
      })
      const [spec] = cachedFlagSpecs("image-create", [], settings)
      assert.strictEqual(spec!.long, "--ev\\x1bil")
      assert.strictEqual(spec!.metavar, "<EV\\x1bIL>")
      assert.strictEqual(spec!.description, "a\\x1b]0;t\\x07 b\\u202e Valid values: x\\x1b[2J")
      assert.deepStrictEqual(spec!.choices, ["x\\x1b[2J"])
    })
  })
})
