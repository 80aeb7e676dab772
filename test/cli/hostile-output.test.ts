/**
 * What the `glance` command prints when the server sends what a real Glance never would: a
 * listing of 200,000 images, a value of 200,000 lines, names and messages with terminal escapes,
 * property names that are shell variables, a broken schema cache. The CLI runs as a child
 * process (`dist/glance.js`: `npm run build` first) in token + URL mode against the scriptable
 * misbehaving server on loopback; no lab is needed.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Yaml from "yaml"
import { cacheDir } from "../../src/cli/schemaFlags.js"
import { glanceBin, runGlance } from "../support/lab.js"
import * as MisbehavingServer from "../support/misbehavingServer.js"
import { run } from "../support/run.js"

let server: MisbehavingServer.MisbehavingServer

beforeAll(async () => {
  server = await MisbehavingServer.start()
})
afterAll(() => server.close())

/** Runs glance in token + URL mode against the server. */
const glance = (args: ReadonlyArray<string>, env: Record<string, string> = {}, timeout?: number) =>
  runGlance(undefined, ["--os-auth-token", "t", "--os-image-url", server.url, ...args], { env, timeout })

/** A fresh server script: the routes given (added first), then `/versions` and the images' records. */
const script = (images: ReadonlyArray<Record<string, unknown>>, routes: (s: typeof server) => void = () => {}) => {
  server.reset()
  routes(server)
  MisbehavingServer.fakeGlance(server, images)
}

const ESC = "\x1b"
/** Characters that must never reach a terminal raw: ESC, CR, BEL, C1 CSI, RLO, LRI, ZWSP, a tag character. */
const raw = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\u{e0000}-\u{e007f}]/u

const evilName = `pwned${ESC}]0;owned${"\x07"}${ESC}[2J\rspoof\u202eexe.txt\u009b31m\u2066x\u200by\u{e0041}`
const evilShown = "pwned\\x1b]0;owned\\x07\\x1b[2J\\rspoof\\u202eexe.txt\\x9b31m\\u2066x\\u200by\\U000e0041"

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

describe("tables of any size", () => {
  it(
    "image-list prints 200,000 images from 20 pages as one table (Math.max(...rows) overflowed the stack)",
    async () => {
      const pages = 20
      const perPage = 10_000
      script([], (s) =>
        s.on("GET", "/v2/images", (request) => {
          const marker = request.query.get("marker")
          const start = marker === null ? 0 : parseInt(marker.slice(-12), 16) + 1
          const images = Array.from({ length: perPage }, (_, k) => ({
            id: id(start + k),
            name: `image-${start + k}`,
            status: "active"
          }))
          const end = start + perPage
          return { json: { images, ...(end < pages * perPage ? { next: `/v2/images?marker=${id(end - 1)}` } : {}) } }
        }))
      const r = await glance(["image-list"], {}, 300_000)
      expect(r.stderr).toBe("")
      expect(r.status).toBe(0)
      const lines = r.stdout.split("\n")
      // Rule, header, rule, 200,000 rows, rule, and the empty string after the last line feed.
      expect(lines.length).toBe(3 + 200_000 + 1 + 1)
      expect(lines[1]).toBe(`| ID                                   | Name         |`)
      expect(lines[3]).toBe(`| ${id(0)} | image-0      |`)
      expect(lines.at(-3)).toBe(`| ${id(199_999)} | image-199999 |`)
      expect(server.requests.filter((q) => q.path === "/v2/images").length).toBe(pages)
    },
    300_000
  )

  it("image-show prints a value of 200,000 lines", async () => {
    const record = MisbehavingServer.image({ description: "line\n".repeat(200_000).slice(0, -1) })
    script([record])
    const r = await glance(["image-show", String(record.id)], {}, 120_000)
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    const rows = r.stdout.split("\n").filter((l) =>
      /^\| +\| line +\|$/.test(l) || /^\| description +\| line +\|$/.test(l)
    )
    expect(rows.length).toBe(200_000)
  }, 120_000)

  it("-f json and -f value print each page as it arrives (a failure on page 2 leaves page 1 printed)", async () => {
    script([], (s) => {
      s.on("GET", (q) => q.path === "/v2/images" && q.query.get("marker") === null, {
        json: {
          images: [{ id: id(1), name: "first", status: "active" }, { id: id(2), name: "second", status: "active" }],
          next: `/v2/images?marker=${id(2)}`
        }
      })
      s.on("GET", "/v2/images", { status: 500, json: { message: "page two broke" } })
    })
    const json = await glance(["image-list", "-f", "json"])
    expect(json.status).toBe(1)
    expect(json.stderr).toBe("HTTP 500 Internal Server Error: page two broke\n")
    // The array is left open, so a reader of a failed listing cannot take it for a whole one.
    expect(json.stdout).toBe(
      `[\n  {\n    "ID": "${id(1)}",\n    "Name": "first"\n  },\n  {\n    "ID": "${
        id(2)
      }",\n    "Name": "second"\n  }\n`
    )
    const value = await glance(["image-list", "-f", "value"])
    expect(value.status).toBe(1)
    expect(value.stdout).toBe(`${id(1)} first\n${id(2)} second\n`)
    const table = await glance(["image-list"])
    expect(table.status).toBe(1)
    expect(table.stdout).toBe("")
  })
})

describe("terminal escapes from the server are shown escaped", () => {
  const record = MisbehavingServer.image({ name: evilName, [`key${ESC}[31m`]: `v${ESC}]8;;http://x${"\x07"}` })
  const list = (s: typeof server) =>
    s.on("GET", "/v2/images", { json: { images: [{ id: record.id, name: evilName, status: "active" }] } })

  it("in tables (image-list, image-show)", async () => {
    script([record], list)
    const listed = await glance(["image-list"])
    expect(listed.status).toBe(0)
    expect(listed.stdout).not.toMatch(raw)
    expect(listed.stdout).toContain(`| ${evilShown} |`)
    const lines = listed.stdout.trimEnd().split("\n")
    expect(new Set(lines.map((l) => l.length)).size).toBe(1)
    const shown = await glance(["image-show", String(record.id)])
    expect(shown.status).toBe(0)
    expect(shown.stdout).not.toMatch(raw)
    expect(shown.stdout).toContain("| key\\x1b[31m ")
    expect(shown.stdout).toContain("v\\x1b]8;;http://x\\x07")
  })

  it("-f value: escaped on a terminal, the bytes as sent into a pipe (as python-glanceclient prints them)", async () => {
    script([record], list)
    const piped = await glance(["image-show", String(record.id), "-f", "value", "-c", "name"])
    expect(piped.status).toBe(0)
    expect(piped.stdout).toBe(`${evilName}\n`)
    const command = [process.execPath, glanceBin, "--os-auth-token", "t", "--os-image-url", server.url]
      .concat(["image-show", String(record.id), "-f", "value", "-c", "name"])
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")
    const terminal = await run("script", ["-qec", command, "/dev/null"], { env: { ...process.env, HOME: Os.tmpdir() } })
    expect(terminal.status).toBe(0)
    // A terminal turns each line feed into CR LF.
    const shown = terminal.stdout.replace(/\r\n/g, "\n")
    expect(shown).not.toMatch(raw)
    expect(shown).toBe(`${evilShown}\n`)
  })

  it("-f json and -f yaml escape C1, bidirectional and invisible characters too, and still parse to the same text", async () => {
    script([record], list)
    const json = await glance(["image-list", "-f", "json"])
    expect(json.status).toBe(0)
    expect(json.stdout).not.toMatch(raw)
    expect(JSON.parse(json.stdout)).toEqual([{ ID: record.id, Name: evilName }])
    const yaml = await glance(["image-show", String(record.id), "-f", "yaml"])
    expect(yaml.status).toBe(0)
    expect(yaml.stdout).not.toMatch(raw)
    const parsed = Yaml.parse(yaml.stdout) as Record<string, unknown>
    expect(parsed.name).toBe(evilName)
    expect(parsed[`key${ESC}[31m`]).toBe(`v${ESC}]8;;http://x${"\x07"}`)
  })

  it("in error lines: one line, escaped, the request id too (its bytes read as Latin-1, as Node reads headers)", async () => {
    script([], (s) =>
      s.on("GET", /^\/v2\/images\//, {
        status: 404,
        headers: { "x-openstack-request-id": "req-\u009b2J\u202e" },
        json: { message: `No image${ESC}]0;owned\x07\nwith a second line\r\n\u202eand a third` }
      }))
    const r = await glance(["image-show", id(7)])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe(
      "HTTP 404 Not Found: No image\\x1b]0;owned\\x07 with a second line \\u202eand a third (request-id: req-\u00c2\\x9b2J\u00e2\\x80\u00ae)\n"
    )
  })

  it("in --debug lines", async () => {
    script([], (s) =>
      s.on("GET", "/v2/images", {
        // Node's HTTP parser refuses C0 in a header but takes bytes 0x80-0xFF, as Latin-1: CSI sent as
        // UTF-8 (0xC2 0x9B) arrives as "Â" and CSI.
        headers: { "x-openstack-request-id": "req-\u009b2J" },
        json: { images: [] }
      }))
    const r = await glance(["--debug", "image-list"])
    expect(r.status).toBe(0)
    expect(r.stderr).not.toMatch(raw)
    expect(r.stderr).toContain("request-id: req-\u00c2\\x9b2J content-type: application/json")
  })
})

describe("-f shell", () => {
  const marker = Path.join(Os.tmpdir(), `glance-shell-${process.pid}-${Date.now()}`)
  const record = MisbehavingServer.image({
    name: `a "quoted" \\ $(touch ${marker}) \`touch ${marker}\` $HOME 'x'`,
    PATH: "/tmp/evil",
    PS1: "$(touch /tmp/evil)",
    path: "/tmp/evil",
    IFS: "x",
    PROMPT_COMMAND: `touch ${marker}`,
    http_proxy: "http://evil:3128",
    precmd_functions: "evil",
    "1abc": "x",
    "": "empty",
    "os-distro": "impostor",
    os_distro: "cirros",
    "hw:cpu policy": "dedicated"
  })

  /** Evaluates the output in bash and prints the variables named. */
  const evalIn = (output: string, names: ReadonlyArray<string>) =>
    run("bash", [
      "-c",
      `before="$PATH"; eval "$1"; shift; [ "$PATH" = "$before" ] || echo PATH-CHANGED; for n in "$@"; do printf '%s=%s\\n' "$n" "\${!n}"; done`,
      "bash",
      output,
      ...names
    ])

  it("writes only safe variable names (lower case, as cliff), says which it skipped, and quotes values for eval", async () => {
    script([record])
    const r = await glance(["image-show", String(record.id), "-f", "shell"])
    expect(r.status).toBe(0)
    const names = r.stdout.trimEnd().split("\n").map((l) => l.slice(0, l.indexOf("=")))
    expect(names).toContain("name")
    expect(names).toContain("os_distro")
    expect(names).toContain("prompt_command")
    expect(names).toContain("ifs")
    expect(names).toContain("hw_cpu_policy")
    // zsh's status is read-only (an assignment fails, nothing changes); it is the image's status.
    expect(r.stdout).toContain(`status="active"\n`)
    for (const name of ["PATH", "PS1", "IFS", "PROMPT_COMMAND", "path", "http_proxy", "precmd_functions", "1abc", ""]) {
      expect(names).not.toContain(name)
    }
    expect(r.stdout).toContain(`os_distro="cirros"\n`)
    expect(r.stdout).not.toContain("impostor")
    const skipped = r.stderr.trimEnd().split("\n")
    expect(skipped).toEqual(
      expect.arrayContaining([
        `glance: -f shell skipped "PATH": path would change the shell's behaviour`,
        `glance: -f shell skipped "path": path would change the shell's behaviour`,
        `glance: -f shell skipped "http_proxy": http_proxy would change the shell's behaviour`,
        `glance: -f shell skipped "precmd_functions": precmd_functions would change the shell's behaviour`,
        `glance: -f shell skipped "1abc": 1abc is not a shell variable name`,
        `glance: -f shell skipped "": an empty name`,
        `glance: -f shell skipped "os-distro": os_distro is the variable of "os_distro"`
      ])
    )
    const evaluated = await evalIn(r.stdout, ["name", "os_distro", "prompt_command", "hw_cpu_policy"])
    expect(evaluated.stderr).toBe("")
    expect(evaluated.stdout).toBe(
      [
        `name=${record.name}`,
        "os_distro=cirros",
        `prompt_command=touch ${marker}`,
        "hw_cpu_policy=dedicated",
        ""
      ].join("\n")
    )
    expect(Fs.existsSync(marker)).toBe(false)
  })

  it("--prefix starts every name (then path is safe to write); a prefix that is no name start is a usage error", async () => {
    script([record])
    const r = await glance([
      "image-show",
      String(record.id),
      "-f",
      "shell",
      "--prefix",
      "img_",
      "-c",
      "path",
      "-c",
      "id"
    ])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(`img_path="/tmp/evil"\nimg_id="${record.id}"\n`)
    expect(r.stderr).toBe("")
    const bad = await glance(["image-show", String(record.id), "-f", "shell", "--prefix", "1x;"])
    expect(bad.status).toBe(2)
    expect(bad.stdout).toBe("")
    expect(bad.stderr.trimEnd().split("\n")).toHaveLength(1)
    expect(bad.stderr).toContain("--prefix must be the start of a shell variable name")
  })

  it("prints a list as assignments too (its values were unquoted words)", async () => {
    script([], (s) =>
      s.on("GET", "/v2/images", {
        json: { images: [{ id: id(1), name: `$(touch ${marker})`, status: "active" }] }
      }))
    const r = await glance(["image-list", "-f", "shell"])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(`id="${id(1)}"\nname="\\$(touch ${marker})"\n`)
    const evaluated = await evalIn(r.stdout, ["id", "name"])
    expect(evaluated.stdout).toBe(`id=${id(1)}\nname=$(touch ${marker})\n`)
    expect(Fs.existsSync(marker)).toBe(false)
  })
})

describe("the schema cache", () => {
  const schema = {
    name: "image",
    properties: {
      name: { type: ["null", "string"] },
      hw_evil: {
        type: "string",
        description: `Sets ${ESC}]0;owned${"\x07"}the title\u202e and more.`,
        enum: ["a", `b${ESC}[2J`]
      }
    }
  }
  const updated = MisbehavingServer.image({ id: id(42), name: "made", hw_evil: "a" })
  const routes = (s: typeof server) => {
    s.on("GET", "/v2/schemas/image", { json: schema })
    s.on("PATCH", `/v2/images/${id(42)}`, { json: updated })
  }
  const home = () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-cache-home-"))
    return { HOME: dir, XDG_CACHE_HOME: Path.join(dir, ".cache") }
  }
  const cacheFile = (env: { XDG_CACHE_HOME: string }) => {
    const saved = process.env.XDG_CACHE_HOME
    process.env.XDG_CACHE_HOME = env.XDG_CACHE_HOME
    try {
      return Path.join(cacheDir({ imageUrl: server.url }), "image_schema.json")
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME
      else process.env.XDG_CACHE_HOME = saved
    }
  }

  for (
    const [what, contents] of [
      ["truncated", JSON.stringify(schema).slice(0, 40)],
      ["a property that is null", JSON.stringify({ properties: { hw_evil: null } })],
      ["properties that are not an object", JSON.stringify({ properties: [1, 2] })],
      ["null", "null"]
    ] as const
  ) {
    it(`a cache that is ${what} is fetched again and rewritten, never fatal`, async () => {
      script([MisbehavingServer.image({ id: id(42) })], routes)
      const env = home()
      const file = cacheFile(env)
      Fs.mkdirSync(Path.dirname(file), { recursive: true })
      Fs.writeFileSync(file, contents)
      const r = await glance(["image-update", id(42), "--hw-evil", "a", "-f", "value", "-c", "hw_evil"], env)
      expect(r.stderr).toBe("")
      expect(r.status).toBe(0)
      expect(r.stdout).toBe("a\n")
      expect(server.requests.find((q) => q.method === "PATCH")?.body.toString()).toContain(`"/hw_evil"`)
      expect(server.requests.some((q) => q.path === "/v2/schemas/image")).toBe(true)
      expect(JSON.parse(Fs.readFileSync(file, "utf8"))).toEqual(schema)
      expect(Fs.readdirSync(Path.dirname(file))).toEqual(["image_schema.json"])
      Fs.rmSync(env.HOME, { recursive: true, force: true })
    })
  }

  it("help shows the cloud's flag descriptions and choices with control characters escaped", async () => {
    script([], routes)
    const env = home()
    const file = cacheFile(env)
    Fs.mkdirSync(Path.dirname(file), { recursive: true })
    Fs.writeFileSync(file, JSON.stringify(schema))
    const r = await glance(["help", "image-create"], { ...env, COLUMNS: "200" })
    expect(r.status).toBe(0)
    expect(r.stdout).not.toMatch(raw)
    expect(r.stdout).toContain("--hw-evil <HW_EVIL>")
    expect(r.stdout).toContain("Sets \\x1b]0;owned\\x07the title\\u202e and more. Valid values: a, b\\x1b[2J")
    Fs.rmSync(env.HOME, { recursive: true, force: true })
  })
})
