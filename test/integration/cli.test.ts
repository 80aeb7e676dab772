/**
 * The `glance` command against the lab: every image command as demo and as admin, its
 * tables compared with python-glanceclient's, the `-f`/`-c` formats, bad input, and a
 * 64 MiB round trip. Every image created here is deleted in `afterAll`, even on failure. Our
 * `glance` runs with each user's token and the image URL (one login per user for the file).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Yaml from "yaml"
import { makeFifo, readFifo } from "../support/fifo.js"
import {
  type GlanceRunOptions,
  type LabUser,
  requireLab,
  runGlance,
  runPython,
  type RunResult,
  uniqueName
} from "../support/lab.js"
import { run } from "../support/run.js"

const up = requireLab()

// ---------------------------------------------------------------------------------------------
// Helpers

/** Images created by this file, by the user who owns them; all deleted in afterAll. */
const created: Record<LabUser, Set<string>> = { demo: new Set(), admin: new Set(), other: new Set() }

const tempDirs: Array<string> = []
const tempDir = () => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-cli-it-"))
  tempDirs.push(dir)
  return dir
}

afterAll(async () => {
  await Promise.all((["demo", "admin", "other"] as const).map(async (user) => {
    const ids = [...created[user]]
    if (ids.length === 0) return
    const r = await glance(user, ["image-delete", ...ids])
    // Images a test deleted already answer 404: only other failures are worth a word.
    const left = r.stderr.split("\n").filter((l) =>
      l.trim().length > 0 && !/No image|not found|Failed to delete/i.test(l)
    )
    if (left.length > 0) console.warn(`cleanup of ${user}'s images: ${left.join("; ")}`)
  }))
  for (const dir of tempDirs) Fs.rmSync(dir, { recursive: true, force: true })
  await sweepStale()
})

/** Our image names: a prefix of this file, then uniqueName()'s base-36 time and a random part. */
const ourName = /^(?:it-[abc]-)?it-cli-[a-z0-9-]*?-([a-z0-9]{8,})-[a-z0-9]{1,5}$/

/**
 * Deletes images this file left behind in an earlier run that was killed before its afterAll
 * (names from uniqueName() carry their creation time; only those older than an hour).
 */
const sweepStale = () =>
  Promise.all((["demo", "admin"] as const).map(async (user) => {
    const r = await glance(user, ["image-list", "-f", "json"])
    if (r.status !== 0) return
    const stale = (JSON.parse(r.stdout) as Array<{ ID: string; Name: string | null }>).filter((image) => {
      const m = ourName.exec(image.Name ?? "")
      return m !== null && Date.now() - parseInt(m[1]!, 36) > 3_600_000
    })
    if (stale.length > 0) await glance(user, ["image-delete", ...stale.map((i) => i.ID)])
  }))

/**
 * Runs our `glance` as a lab user with the data piped on standard input (an empty pipe when none
 * is given). With the user's token and the image URL: this file tests the commands, auth.test.ts
 * and secrets.test.ts the logins.
 */
const glance = (user: LabUser, args: ReadonlyArray<string>, options: GlanceRunOptions = {}) =>
  runGlance(user, args, { login: "token", ...options })

/** Runs python-glanceclient's `glance` with the user's token and the image URL, as ours. */
const pyGlance = (user: LabUser, args: ReadonlyArray<string>) => runPython(user, args, { login: "token" })

/** Runs our `glance` with standard input on /dev/null (no image data), as from a script. */
const glanceNoStdin = (user: LabUser, args: ReadonlyArray<string>, timeout?: number) =>
  glance(user, args, { stdin: "ignore", timeout })

const ok = (r: RunResult, what = "command"): RunResult => {
  assert.strictEqual(r.status, 0, `${what} failed: ${r.stderr}`)
  return r
}

/** Non-blank stderr lines. */
const errorLines = (r: RunResult) => r.stderr.split("\n").filter((l) => l.trim().length > 0)

/** Asserts a failure with the given exit status and exactly one line on stderr; returns the line. */
const oneLineFailure = (r: RunResult, status: number | ReadonlyArray<number> = 1): string => {
  const allowed = typeof status === "number" ? [status] : status
  assert.include(allowed, r.status, `exit status ${r.status}; stderr: ${r.stderr}`)
  const lines = errorLines(r)
  assert.lengthOf(lines, 1, `one line on stderr, got: ${JSON.stringify(r.stderr)}`)
  assert.notMatch(r.stderr, /^\s+at /m, "no stack trace")
  return lines[0]!
}

const cellsOf = (line: string) => line.split("|").slice(1, -1).map((c) => c.trim())

/** A prettytable: its header and rows (a row whose first cell is blank continues the one above). */
const parseTable = (stdout: string): { headers: Array<string>; rows: Array<Array<string>> } => {
  const lines = stdout.split("\n").filter((l) => l.startsWith("|"))
  if (lines.length === 0) return { headers: [], rows: [] }
  const headers = cellsOf(lines[0]!)
  const rows: Array<Array<string>> = []
  for (const line of lines.slice(1)) {
    const cells = cellsOf(line)
    const previous = rows.at(-1)
    if (cells[0] === "" && previous !== undefined) {
      cells.forEach((c, i) => (previous[i] = c === "" ? previous[i]! : `${previous[i]}\n${c}`))
    } else rows.push(cells)
  }
  return { headers, rows }
}

/** An image-show table as a map of property to value. */
const parseShow = (stdout: string): Map<string, string> => {
  const { headers, rows } = parseTable(stdout)
  assert.deepStrictEqual(headers, ["Property", "Value"], `a Property | Value table, got: ${stdout}`)
  return new Map(rows.map(([k, v]) => [k!, v!]))
}

/** Runs a command that prints an image and returns its properties; records the image for cleanup. */
const imageOf = (user: LabUser, r: RunResult): Map<string, string> => {
  ok(r)
  const image = parseShow(r.stdout)
  const id = image.get("id")
  assert.isDefined(id)
  created[user].add(id!)
  return image
}

const md5 = (data: Buffer) => Crypto.createHash("md5").update(data).digest("hex")
const sha512 = (data: Buffer) => Crypto.createHash("sha512").update(data).digest("hex")
/** The os_hash_value cell, which the table wraps over two lines. */
const unwrap = (cell: string | undefined) => (cell ?? "").replace(/\n/g, "")

/** The SHA-512 of a file, read as a stream. */
const hashFile = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = Crypto.createHash("sha512")
    Fs.createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")))
  })

/** Writes `size` bytes of pseudo-random data in 1 MiB chunks; returns their SHA-512. */
const writeRandomFile = async (path: string, size: number): Promise<string> => {
  const out = Fs.createWriteStream(path)
  const hash = Crypto.createHash("sha512")
  const chunk = 1024 * 1024
  for (let written = 0; written < size; written += chunk) {
    const block = Crypto.randomBytes(Math.min(chunk, size - written))
    hash.update(block)
    if (!out.write(block)) await new Promise<void>((resolve) => out.once("drain", () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
  return hash.digest("hex")
}

const timestamps = new Set(["created_at", "updated_at"])

// ---------------------------------------------------------------------------------------------
// Every image command, as demo and as admin

for (const user of ["demo", "admin"] as const) {
  describe.skipIf(!up)(`glance image-* as ${user}`, () => {
    const tag = uniqueName(`it-cli-${user}`)
    const data = Crypto.randomBytes(1024 * 1024 + 4321)
    let dir = ""
    let dataFile = ""
    /** The image made from --file, with a property and tags; shared by several tests. */
    let fileImage = new Map<string, string>()

    beforeAll(async () => {
      if (!up) return
      dir = tempDir()
      dataFile = Path.join(dir, "data.bin")
      Fs.writeFileSync(dataFile, data)
      fileImage = imageOf(
        user,
        await glance(user, [
          "image-create",
          "--name",
          uniqueName("it-cli-file"),
          "--disk-format",
          "raw",
          "--container-format",
          "bare",
          "--file",
          dataFile,
          "--property",
          "it_kind=file",
          "--property",
          `it_tag=${tag}`,
          "--tags",
          tag,
          "extra-tag",
          "--min-ram",
          "64"
        ])
      )
    })

    it("image-create --file: active, with the data's size and hashes, properties and tags", () => {
      assert.strictEqual(fileImage.get("status"), "active")
      assert.strictEqual(fileImage.get("size"), String(data.length))
      assert.strictEqual(fileImage.get("checksum"), md5(data))
      assert.strictEqual(fileImage.get("os_hash_algo"), "sha512")
      assert.strictEqual(unwrap(fileImage.get("os_hash_value")), sha512(data))
      assert.strictEqual(fileImage.get("it_kind"), "file")
      assert.strictEqual(fileImage.get("min_ram"), "64")
      assert.strictEqual(fileImage.get("disk_format"), "raw")
      assert.sameMembers(JSON.parse(fileImage.get("tags")!) as Array<string>, [tag, "extra-tag"])
      assert.notInclude([...fileImage.keys()], "self")
      assert.notInclude([...fileImage.keys()], "file")
      assert.notInclude([...fileImage.keys()], "schema")
    })

    it("image-create with the data piped on standard input", async () => {
      const piped = Crypto.randomBytes(200_000)
      const image = imageOf(
        user,
        await glance(user, [
          "image-create",
          "--name",
          uniqueName("it-cli-stdin"),
          "--disk-format",
          "qcow2",
          "--container-format",
          "bare",
          "--no-inspect", // the data is not a qcow2: sent as it is, as python-glanceclient sends it
          "--property",
          `it_tag=${tag}`
        ], { input: piped })
      )
      assert.strictEqual(image.get("status"), "active")
      assert.strictEqual(image.get("size"), String(piped.length))
      assert.strictEqual(image.get("checksum"), md5(piped))
      assert.strictEqual(image.get("disk_format"), "qcow2")
    })

    it("image-create from standard input over several blocks: a slow pipe and a redirected file", async () => {
      // 5.5 MiB: whole 1 MiB blocks and a short last one; the pipe delivers short reads.
      const data = Crypto.randomBytes(5.5 * 1024 * 1024)
      async function* slowly() {
        for (let at = 0; at < data.length; at += 300_000) {
          yield data.subarray(at, at + 300_000)
          await new Promise((r) => setTimeout(r, 5))
        }
      }
      const create = async (stdin: { readonly input: AsyncIterable<Uint8Array> } | { readonly stdin: number }) => {
        const r = await glance(user, [
          "image-create",
          "--name",
          uniqueName("it-cli-stdin-blocks"),
          "--disk-format",
          "raw",
          "--container-format",
          "bare",
          "--property",
          `it_tag=${tag}`
        ], stdin)
        assert.strictEqual(r.status, 0, r.stderr)
        return r.stdout
      }
      const file = Path.join(tempDir(), "data.raw")
      Fs.writeFileSync(file, data)
      const fd = Fs.openSync(file, "r")
      const outputs = await Promise.all([
        create({ input: slowly() }),
        create({ stdin: fd }).finally(() => Fs.closeSync(fd))
      ])
      for (const output of outputs) {
        const image = parseShow(output)
        created[user].add(image.get("id")!)
        assert.strictEqual(image.get("status"), "active")
        assert.strictEqual(image.get("size"), String(data.length))
        assert.strictEqual(image.get("checksum"), md5(data))
      }
    })

    it("image-create --file of a named pipe (as `--file <(command)` gives): read in order, not by position", async () => {
      const data = Crypto.randomBytes(2.5 * 1024 * 1024)
      const fifo = await makeFifo(tempDir(), "data.fifo")
      // The writer blocks until glance opens the pipe, then writes in pieces and closes it.
      const writer = run("sh", ["-c", "exec cat > \"$0\"", fifo], { input: data })
      const r = await glanceNoStdin(user, [
        "image-create",
        "--name",
        uniqueName("it-cli-fifo"),
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--property",
        `it_tag=${tag}`,
        "--file",
        fifo
      ])
      assert.strictEqual((await writer).status, 0, "the writer of the pipe")
      const image = imageOf(user, r)
      assert.strictEqual(image.get("status"), "active")
      assert.strictEqual(image.get("size"), String(data.length))
      assert.strictEqual(image.get("checksum"), md5(data))
    })

    it("image-create without data: queued; image-upload --file then makes it active", async () => {
      const name = uniqueName("it-cli-queued")
      const image = imageOf(
        user,
        await glanceNoStdin(user, ["image-create", "--name", name, "--property", `it_tag=${tag}`])
      )
      assert.strictEqual(image.get("status"), "queued")
      assert.strictEqual(image.get("size"), "None")
      assert.strictEqual(image.get("virtual_size"), "Not available")
      assert.strictEqual(image.get("disk_format"), "None")
      const id = image.get("id")!
      // Formats first (Glance needs them before data), then the data.
      ok(await glance(user, ["image-update", id, "--disk-format", "raw", "--container-format", "bare"]))
      const upload = ok(await glance(user, ["image-upload", id, "--file", dataFile]))
      assert.strictEqual(upload.stdout, "")
      const shown = parseShow(ok(await glance(user, ["image-show", id])).stdout)
      assert.strictEqual(shown.get("status"), "active")
      assert.strictEqual(shown.get("size"), String(data.length))
      assert.strictEqual(shown.get("checksum"), md5(data))
    })

    it("image-upload from standard input to a queued image", async () => {
      const image = imageOf(
        user,
        await glanceNoStdin(user, ["image-create", "--name", uniqueName("it-cli-upstdin"), "--disk-format", "raw"])
      )
      const id = image.get("id")!
      ok(await glance(user, ["image-update", id, "--container-format", "bare"]))
      const piped = Crypto.randomBytes(77_777)
      ok(await glance(user, ["image-upload", id], { input: piped }))
      const shown = parseShow(ok(await glance(user, ["image-show", id])).stdout)
      assert.strictEqual(shown.get("status"), "active")
      assert.strictEqual(shown.get("checksum"), md5(piped))
    })

    it("image-upload with no data at all: a clear line, the image stays queued", async () => {
      const image = imageOf(user, await glanceNoStdin(user, ["image-create", "--name", uniqueName("it-cli-nodata")]))
      const line = oneLineFailure(await glanceNoStdin(user, ["image-upload", image.get("id")!]), [1, 2])
      assert.match(line, /--file|standard input|stdin/)
      assert.strictEqual(
        parseShow(ok(await glance(user, ["image-show", image.get("id")!])).stdout).get("status"),
        "queued"
      )
    })

    it("image-show prints the same image as image-create did", async () => {
      const [plain, readable] = await Promise.all([
        glance(user, ["image-show", fileImage.get("id")!]),
        glance(user, ["image-show", "--human-readable", fileImage.get("id")!])
      ])
      const shown = parseShow(ok(plain).stdout)
      for (const [k, v] of fileImage) if (k !== "updated_at") assert.strictEqual(shown.get(k), v, k)
      const human = parseShow(ok(readable).stdout)
      assert.strictEqual(human.get("size"), "1MB")
    })

    it("image-update --name, --property, --remove-property", async () => {
      const image = imageOf(
        user,
        await glanceNoStdin(user, ["image-create", "--name", uniqueName("it-cli-upd"), "--property", "gone=soon"])
      )
      const id = image.get("id")!
      assert.strictEqual(image.get("gone"), "soon")
      const newName = uniqueName("it-cli-renamed")
      const updated = parseShow(
        ok(
          await glance(user, [
            "image-update",
            id,
            "--name",
            newName,
            "--property",
            "k=v",
            "--property",
            "with_equals=a=b",
            "--remove-property",
            "gone",
            "--min-disk",
            "2"
          ])
        ).stdout
      )
      assert.strictEqual(updated.get("name"), newName)
      assert.strictEqual(updated.get("k"), "v")
      assert.strictEqual(updated.get("with_equals"), "a=b")
      assert.strictEqual(updated.get("min_disk"), "2")
      assert.isFalse(updated.has("gone"))
      const shown = parseShow(ok(await glance(user, ["image-show", id])).stdout)
      assert.strictEqual(shown.get("name"), newName)
      assert.isFalse(shown.has("gone"))
      // Removing a property the image does not have is a no-op (as python-glanceclient), and
      // a property both set and removed is set.
      const again = parseShow(
        ok(await glance(user, ["image-update", id, "--remove-property", "never-there", "--remove-property", "k"]))
          .stdout
      )
      assert.isFalse(again.has("k"))
      assert.strictEqual(again.get("with_equals"), "a=b")
      const both = parseShow(
        ok(await glance(user, ["image-update", id, "--property", "k=w", "--remove-property", "k"])).stdout
      )
      assert.strictEqual(both.get("k"), "w")
      // No change at all: the image as it is.
      assert.strictEqual(parseShow(ok(await glance(user, ["image-update", id])).stdout).get("name"), newName)
    })

    describe("image-list", () => {
      const names = ["it-c", "it-a", "it-b"].map((p) => `${p}-${tag}`)
      const ids = new Map<string, string>()
      const listTag = `${tag}-list`

      beforeAll(async () => {
        if (!up) return
        await Promise.all(names.map(async (name) => {
          const image = imageOf(
            user,
            await glanceNoStdin(user, [
              "image-create",
              "--name",
              name,
              "--tags",
              listTag,
              "--property",
              `it_list=${listTag}`,
              ...(name.startsWith("it-b") ? ["--property", "it_pick=yes"] : [])
            ])
          )
          ids.set(name, image.get("id")!)
        }))
      })

      it("default: ID | Name, sorted by name, includes our images", async () => {
        const r = ok(await glance(user, ["image-list"]))
        const { headers, rows } = parseTable(r.stdout)
        assert.deepStrictEqual(headers, ["ID", "Name"])
        const listedNames = rows.map((row) => row[1]!)
        for (const name of names) assert.include(listedNames, name)
        const ours = listedNames.filter((n) => names.includes(n))
        assert.deepStrictEqual(ours, [...names].sort())
        for (const row of rows) if (names.includes(row[1]!)) assert.strictEqual(row[0], ids.get(row[1]!))
      })

      it("--tag filters", async () => {
        const [tagged, untagged] = await Promise.all([
          glance(user, ["image-list", "--tag", listTag]),
          glance(user, ["image-list", "--tag", `${listTag}-nothing`])
        ])
        const { rows } = parseTable(ok(tagged).stdout)
        assert.deepStrictEqual(rows.map((r) => r[1]), [...names].sort())
        const none = ok(untagged)
        assert.deepStrictEqual(parseTable(none.stdout).rows, [])
        assert.deepStrictEqual(parseTable(none.stdout).headers, ["ID", "Name"])
      })

      it("--property-filter filters (and combines with --tag)", async () => {
        const [filtered, both] = await Promise.all([
          glance(user, ["image-list", "--property-filter", `it_list=${listTag}`]),
          glance(user, ["image-list", "--property-filter", "it_pick=yes", "--tag", listTag])
        ])
        const { rows } = parseTable(ok(filtered).stdout)
        assert.deepStrictEqual(rows.map((r) => r[1]), [...names].sort())
        const picked = parseTable(ok(both).stdout)
        assert.deepStrictEqual(picked.rows, [[ids.get(names[2]!)!, names[2]!]])
      })

      it("--verbose (after the command, or global as python-glanceclient has it)", async () => {
        const runs = await Promise.all(
          [["image-list", "--verbose"], ["--verbose", "image-list"]].map((args) =>
            glance(user, [...args, "--tag", listTag])
          )
        )
        for (const r of runs) {
          const { headers, rows } = parseTable(ok(r).stdout)
          assert.deepStrictEqual(headers, ["ID", "Name", "Disk_format", "Container_format", "Size", "Status", "Owner"])
          assert.lengthOf(rows, 3)
          for (const row of rows) {
            assert.strictEqual(row[5], "queued")
            assert.strictEqual(row[4], "", "no size is a blank cell")
            assert.match(row[6]!, /^[0-9a-f]{32}$/)
          }
        }
      })

      it("--limit", async () => {
        const [two, one, paged] = await Promise.all([
          glance(user, ["image-list", "--tag", listTag, "--limit", "2"]),
          glance(user, ["image-list", "--limit", "1"]),
          glance(user, ["image-list", "--tag", listTag, "--limit", "2", "--page-size", "1"])
        ])
        assert.lengthOf(parseTable(ok(two).stdout).rows, 2)
        assert.lengthOf(parseTable(ok(one).stdout).rows, 1)
        assert.lengthOf(parseTable(ok(paged).stdout).rows, 2)
      })

      it("--sort-key / --sort-dir / --sort", async () => {
        const sorted = [...names].sort()
        const byName = async (args: ReadonlyArray<string>) =>
          parseTable(ok(await glance(user, ["image-list", "--tag", listTag, ...args])).stdout).rows.map((r) => r[1])
        const [asc, desc, sort, keyAlone, bad] = await Promise.all([
          byName(["--sort-key", "name", "--sort-dir", "asc"]),
          byName(["--sort-key", "name", "--sort-dir", "desc"]),
          byName(["--sort", "name:desc"]),
          byName(["--sort-key", "name"]),
          glance(user, ["image-list", "--sort-key", "nonsense"])
        ])
        assert.deepStrictEqual(asc, sorted)
        assert.deepStrictEqual(desc, [...sorted].reverse())
        assert.deepStrictEqual(sort, [...sorted].reverse())
        // --sort-key alone: Glance's default direction (desc), as python-glanceclient sends it.
        assert.deepStrictEqual(keyAlone, [...sorted].reverse())
        assert.strictEqual(bad.status, 2)
        assert.lengthOf(errorLines(bad), 1)
      })

      it("is the same table as python-glanceclient's (default and --verbose)", async () => {
        const filtered = ["image-list", "--property-filter", "it_pick=yes", "--sort-key", "name"]
        const cases = [["image-list", "--tag", listTag], ["--verbose", "image-list", "--tag", listTag], filtered]
        const results = await Promise.all(cases.map((args) => Promise.all([glance(user, args), pyGlance(user, args)])))
        for (const [mine, python] of results.slice(0, 2)) {
          const ours = ok(mine)
          const theirs = ok(python, "python glance")
          assert.deepStrictEqual(parseTable(ours.stdout), parseTable(theirs.stdout))
          assert.strictEqual(ours.stdout.trimEnd(), theirs.stdout.trimEnd())
        }
        const [mine, python] = results[2]!
        assert.deepStrictEqual(parseTable(ok(mine).stdout), parseTable(ok(python, "python glance").stdout))
      })
    })

    it("image-show is the same table as python-glanceclient's", async () => {
      const id = fileImage.get("id")!
      const extras = [[], ["--human-readable"], ["--max-column-width", "40"]]
      const results = await Promise.all(
        extras.map((extra) =>
          Promise.all([glance(user, ["image-show", ...extra, id]), pyGlance(user, ["image-show", ...extra, id])])
        )
      )
      for (const [mine, python] of results) {
        const ours = parseTable(ok(mine).stdout)
        const theirs = parseTable(ok(python, "python glance").stdout)
        assert.deepStrictEqual(ours.headers, theirs.headers)
        assert.deepStrictEqual(ours.rows.map((r) => r[0]).sort(), theirs.rows.map((r) => r[0]).sort())
        assert.deepStrictEqual(ours.rows.map((r) => r[0]), theirs.rows.map((r) => r[0]), "same order")
        const theirMap = new Map(theirs.rows.map(([k, v]) => [k!, v!]))
        for (const [k, v] of ours.rows) if (!timestamps.has(k!)) assert.strictEqual(v, theirMap.get(k!), k)
      }
    })

    it("image-create of a queued image prints the same properties as python-glanceclient's", async () => {
      const ours = imageOf(user, await glanceNoStdin(user, ["image-create", "--name", uniqueName("it-cli-cmp")]))
      // python-glanceclient reads any non-terminal stdin as image data, and runPython() pipes one:
      // compare our image-create output with its image-show of the same image.
      const theirs = parseShow(ok(await pyGlance(user, ["image-show", ours.get("id")!]), "python glance").stdout)
      assert.deepStrictEqual([...ours.keys()].sort(), [...theirs.keys()].sort())
      for (const [k, v] of ours) if (!timestamps.has(k)) assert.strictEqual(v, theirs.get(k), k)
    })

    it("image-download --file writes the exact bytes", async () => {
      const out = Path.join(dir, "download.bin")
      const r = ok(await glance(user, ["image-download", fileImage.get("id")!, "--file", out]))
      assert.strictEqual(r.stdout, "")
      assert.isTrue(Fs.readFileSync(out).equals(data))
      // Again over an existing file: replaced, not appended to.
      ok(await glance(user, ["image-download", fileImage.get("id")!, "--file", out]))
      assert.isTrue(Fs.readFileSync(out).equals(data))
      assert.deepStrictEqual(Fs.readdirSync(dir).filter((f) => f.includes(".part")), [])
    })

    it("image-download to a redirected standard output writes the exact bytes", async () => {
      const result = await glanceNoStdin(user, ["image-download", fileImage.get("id")!])
      assert.strictEqual(result.status, 0, result.stderr)
      assert.isTrue(result.stdoutBytes.equals(data))
      assert.strictEqual(result.stderr, "")
    })

    it("image-download --file of a named pipe writes through it; the pipe stays a pipe", async () => {
      const dir = tempDir()
      const fifo = await makeFifo(dir, "out.fifo")
      const received = readFifo(fifo)
      ok(await glanceNoStdin(user, ["image-download", fileImage.get("id")!, "--file", fifo]))
      assert.isTrue((await received).equals(data))
      assert.isTrue(Fs.lstatSync(fifo).isFIFO())
      assert.deepStrictEqual(Fs.readdirSync(dir), ["out.fifo"])
    })

    it("image-download --progress to a file (stderr not a terminal: no bar)", async () => {
      const out = Path.join(dir, "progress.bin")
      const r = ok(await glance(user, ["image-download", "--progress", fileImage.get("id")!, "--file", out]))
      assert.isTrue(Fs.readFileSync(out).equals(data))
      assert.strictEqual(r.stderr, "")
    })

    it("image-delete of several ids, one missing: exit 1, a message for it, the others deleted", async () => {
      const newImage = async () =>
        imageOf(user, await glanceNoStdin(user, ["image-create", "--name", uniqueName("it-cli-del")])).get("id")!
      const [a, b, c] = await Promise.all([newImage(), newImage(), newImage()])
      const missing = Crypto.randomUUID()
      const r = await glance(user, ["image-delete", a, missing, b])
      assert.strictEqual(r.stdout, "")
      // python-glanceclient's line, and nothing more.
      assert.strictEqual(oneLineFailure(r), `No image with an ID of '${missing}' exists.`)
      const [shownA, shownB, deleted] = await Promise.all([
        glance(user, ["image-show", a]),
        glance(user, ["image-show", b]),
        // All present: exit 0, silent.
        glance(user, ["image-delete", c])
      ])
      for (const [id, shown] of [[a, shownA], [b, shownB]] as const) {
        assert.strictEqual(shown.status, 1)
        assert.include(shown.stderr, "404")
        created[user].delete(id)
      }
      const clean = ok(deleted)
      assert.strictEqual(clean.stdout + clean.stderr, "")
      created[user].delete(c)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Output formats

describe.skipIf(!up)("glance -f / -c", () => {
  const tag = uniqueName("it-cli-fmt")
  let image = new Map<string, string>()

  beforeAll(async () => {
    if (!up) return
    image = imageOf(
      "demo",
      await glanceNoStdin("demo", [
        "image-create",
        "--name",
        uniqueName("it-cli-fmt"),
        "--tags",
        tag,
        "--property",
        "colour=blue",
        "--min-ram",
        "128"
      ])
    )
  })

  it("image-show -f json parses to the image", async () => {
    const json = JSON.parse(ok(await glance("demo", ["image-show", image.get("id")!, "-f", "json"])).stdout) as Record<
      string,
      unknown
    >
    assert.strictEqual(json.id, image.get("id"))
    assert.strictEqual(json.name, image.get("name"))
    assert.strictEqual(json.status, "queued")
    assert.strictEqual(json.min_ram, 128)
    assert.strictEqual(json.colour, "blue")
    assert.deepStrictEqual(json.tags, [tag])
    assert.isNull(json.size ?? null)
    assert.notProperty(json, "self")
  })

  it("image-show -f json -c picks columns; -f value -c prints bare values", async () => {
    const id = image.get("id")!
    const [json, value, values, columns] = await Promise.all([
      glance("demo", ["image-show", id, "-f", "json", "-c", "name", "-c", "colour"]),
      glance("demo", ["image-show", id, "-f", "value", "-c", "id"]),
      glance("demo", ["image-show", id, "-f", "value", "-c", "status", "-c", "min_ram"]),
      glance("demo", ["image-show", id, "-c", "name", "-c", "colour"])
    ])
    const picked = JSON.parse(ok(json).stdout)
    assert.deepStrictEqual(picked, { name: image.get("name"), colour: "blue" })
    assert.strictEqual(ok(value).stdout, `${id}\n`)
    assert.strictEqual(ok(values).stdout, "queued\n128\n")
    const table = parseTable(ok(columns).stdout)
    assert.deepStrictEqual(table.rows, [["name", image.get("name")!], ["colour", "blue"]])
  })

  it("image-show -f yaml and -f shell", async () => {
    const id = image.get("id")!
    const [asYaml, asShell] = await Promise.all([
      glance("demo", ["image-show", id, "-f", "yaml"]),
      glance("demo", ["image-show", id, "-f", "shell", "-c", "id", "-c", "name"])
    ])
    const yaml = Yaml.parse(ok(asYaml).stdout) as Record<string, unknown>
    assert.strictEqual(yaml.id, id)
    assert.deepStrictEqual(yaml.tags, [tag])
    const shell = ok(asShell).stdout
    assert.strictEqual(shell, `id="${id}"\nname="${image.get("name")}"\n`)
  })

  it("image-create -f value -c id prints just the new id", async () => {
    const r = ok(
      await glanceNoStdin("demo", ["image-create", "--name", uniqueName("it-cli-fmt-id"), "-f", "value", "-c", "id"])
    )
    const id = r.stdout.trim()
    assert.match(id, /^[0-9a-f-]{36}$/)
    created.demo.add(id)
    assert.strictEqual(r.stdout, `${id}\n`)
  })

  it("image-list -f json / -f value / -c", async () => {
    const [json, verboseJson, value, valueId, column, noneValue, noneJson] = await Promise.all([
      glance("demo", ["image-list", "--tag", tag, "-f", "json"]),
      glance("demo", ["--verbose", "image-list", "--tag", tag, "-f", "json"]),
      glance("demo", ["image-list", "--tag", tag, "-f", "value"]),
      glance("demo", ["image-list", "--tag", tag, "-f", "value", "-c", "ID"]),
      glance("demo", ["image-list", "--tag", tag, "-c", "Name"]),
      glance("demo", ["image-list", "--tag", `${tag}-none`, "-f", "value"]),
      glance("demo", ["image-list", "--tag", `${tag}-none`, "-f", "json"])
    ])
    const rows = JSON.parse(ok(json).stdout) as Array<Record<string, unknown>>
    assert.deepStrictEqual(rows, [{ ID: image.get("id"), Name: image.get("name") }])
    const verbose = JSON.parse(ok(verboseJson).stdout)
    assert.deepStrictEqual(Object.keys(verbose[0]), [
      "ID",
      "Name",
      "Disk_format",
      "Container_format",
      "Size",
      "Status",
      "Owner"
    ])
    assert.strictEqual(verbose[0].Status, "queued")
    assert.strictEqual(ok(value).stdout, `${image.get("id")} ${image.get("name")}\n`)
    assert.strictEqual(ok(valueId).stdout, `${image.get("id")}\n`)
    const table = parseTable(ok(column).stdout)
    assert.deepStrictEqual(table, { headers: ["Name"], rows: [[image.get("name")!]] })
    assert.strictEqual(ok(noneValue).stdout, "")
    assert.deepStrictEqual(JSON.parse(ok(noneJson).stdout), [])
  })

  it("-c of a column that does not exist: exit 1, one line naming it", async () => {
    const [show, list] = await Promise.all([
      glance("demo", ["image-show", image.get("id")!, "-c", "nonsense"]),
      glance("demo", ["image-list", "-c", "Nonsense"])
    ])
    assert.include(oneLineFailure(show), "nonsense")
    assert.include(oneLineFailure(list), "Nonsense")
  })

  it("-f of an unknown format: exit 2, one line", async () => {
    oneLineFailure(await glance("demo", ["image-show", image.get("id")!, "-f", "xml"]), 2)
  })
})

// ---------------------------------------------------------------------------------------------
// Bad input

describe.skipIf(!up)("glance with bad input", () => {
  it("an unknown flag: exit 2, one line", async () => {
    const cases = [
      ["image-list", "--bogus"],
      ["--bogus", "image-list"],
      ["image-show", "--bogus", "x"],
      ["image-list", "--limit", "many"],
      ["image-show"],
      ["image-nonsense"]
    ]
    const results = await Promise.all(cases.map((args) => glance("demo", args)))
    for (const [i, r] of results.entries()) {
      assert.strictEqual(r.stdout, "", cases[i]!.join(" "))
      oneLineFailure(r, 2)
    }
    assert.include(oneLineFailure(results[0]!, 2), "--bogus")
  })

  it("--property without '=': exit 2, one line, and no image created", async () => {
    const name = uniqueName("it-cli-badprop")
    const [create, filter] = await Promise.all([
      glanceNoStdin("demo", ["image-create", "--name", name, "--property", "novalue"]),
      glance("demo", ["image-list", "--property-filter", "novalue"])
    ])
    const line = oneLineFailure(create, 2)
    assert.include(line, "novalue")
    assert.include(line, "--property")
    const listed = ok(await glance("demo", ["image-list", "--property-filter", `name=${name}`, "-f", "value"]))
    assert.strictEqual(listed.stdout, "")
    // python-glanceclient's wording, which does not repeat the value.
    assert.include(oneLineFailure(filter, [1, 2]), "--property-filter expected properties in the format KEY=VALUE")
  })

  it("image-update --property without '=': exit 2, the image unchanged", async () => {
    const image = imageOf("demo", await glanceNoStdin("demo", ["image-create", "--name", uniqueName("it-cli-badupd")]))
    oneLineFailure(await glance("demo", ["image-update", image.get("id")!, "--name", "changed", "--property", "x"]), 2)
    assert.strictEqual(
      parseShow(ok(await glance("demo", ["image-show", image.get("id")!])).stdout).get("name"),
      image.get("name")
    )
  })

  it("image-create --file of a missing file: a clear line and NO image created", async () => {
    const name = uniqueName("it-cli-nofile")
    const missing = Path.join(tempDir(), "not-there.img")
    const r = await glance("demo", [
      "image-create",
      "--name",
      name,
      "--disk-format",
      "raw",
      "--container-format",
      "bare",
      "--file",
      missing
    ])
    assert.include(oneLineFailure(r, [1, 2]), missing)
    assert.strictEqual(r.stdout, "")
    const listed = ok(await glance("demo", ["image-list", "--property-filter", `name=${name}`, "-f", "value"]))
    assert.strictEqual(listed.stdout, "")
  })

  it("image-create --file without formats: a line naming the missing flags, no image created", async () => {
    const name = uniqueName("it-cli-noformat")
    const file = Path.join(tempDir(), "x.img")
    Fs.writeFileSync(file, "x")
    const line = oneLineFailure(
      // --no-inspect: python-glanceclient's rule (without it the inspected format is used, docs/inspection.md).
      await glance("demo", [
        "image-create",
        "--name",
        name,
        "--container-format",
        "bare",
        "--no-inspect",
        "--file",
        file
      ]),
      [1, 2]
    )
    assert.include(line, "--disk-format")
    assert.notInclude(line, "--container-format")
    const listed = ok(await glance("demo", ["image-list", "--property-filter", `name=${name}`, "-f", "value"]))
    assert.strictEqual(listed.stdout, "")
  })

  it("image-show of a malformed id or a missing image: exit 1, one clear line", async () => {
    for (const id of ["not-a-uuid", Crypto.randomUUID()]) {
      const r = await glance("demo", ["image-show", id])
      assert.strictEqual(r.stdout, "")
      assert.include(oneLineFailure(r), id)
    }
    // A path in place of an id reaches no other resource.
    const r = await glance("demo", ["image-show", "../../etc/passwd"])
    assert.strictEqual(r.stdout, "")
    oneLineFailure(r)
  })

  it("image-download --file into a directory that does not exist: exit 1, one line, no temp file", async () => {
    const image = imageOf(
      "demo",
      await glance("demo", [
        "image-create",
        "--name",
        uniqueName("it-cli-dl"),
        "--disk-format",
        "raw",
        "--container-format",
        "bare"
      ], {
        input: Buffer.from("some image data")
      })
    )
    const dir = tempDir()
    const target = Path.join(dir, "missing-dir", "out.img")
    const line = oneLineFailure(await glance("demo", ["image-download", image.get("id")!, "--file", target]))
    assert.include(line, target)
    assert.notInclude(line, ".part")
    assert.deepStrictEqual(Fs.readdirSync(dir), [])
    // --file naming an existing directory: refused, and nothing left beside it.
    const sub = Path.join(dir, "sub")
    Fs.mkdirSync(sub)
    oneLineFailure(await glance("demo", ["image-download", image.get("id")!, "--file", sub]))
    assert.deepStrictEqual(Fs.readdirSync(dir), ["sub"])
    assert.deepStrictEqual(Fs.readdirSync(sub), [])
  })

  it("image-download of an image without data: exit 1, one line, no file", async () => {
    const image = imageOf("demo", await glanceNoStdin("demo", ["image-create", "--name", uniqueName("it-cli-nodl")]))
    const dir = tempDir()
    const target = Path.join(dir, "out.img")
    const line = oneLineFailure(await glance("demo", ["image-download", image.get("id")!, "--file", target]))
    assert.include(line, "no data")
    assert.deepStrictEqual(Fs.readdirSync(dir), [])
  })

  it("another project's private image is not found for demo", async () => {
    const image = imageOf(
      "admin",
      await glanceNoStdin("admin", ["image-create", "--name", uniqueName("it-cli-private"), "--visibility", "private"])
    )
    const line = oneLineFailure(await glance("demo", ["image-show", image.get("id")!]))
    assert.include(line, "404")
    assert.strictEqual(
      oneLineFailure(await glance("demo", ["image-delete", image.get("id")!])),
      `No image with an ID of '${image.get("id")}' exists.`
    )
    ok(await glance("admin", ["image-show", image.get("id")!]))
  })
})

// ---------------------------------------------------------------------------------------------
// A large round trip

describe.skipIf(!up)("glance large round trip", () => {
  // 64 MiB and a short last block: 65 of the 1 MiB blocks the upload reads and the download
  // lends from its pool (a few blocks, reused many times over), so a block handed back before it
  // was written, or written twice, shows in the hashes. Both downloads run at once.
  it("image-create --file, image-download --file and to a redirected stdout: identical bytes", {
    timeout: 240_000
  }, async () => {
    const dir = tempDir()
    const source = Path.join(dir, "big.bin")
    const back = Path.join(dir, "big.back")
    const redirected = Path.join(dir, "big.stdout")
    const size = 64 * 1024 * 1024 + 54_321
    let id: string | undefined
    try {
      const sourceSha512 = await writeRandomFile(source, size)
      assert.strictEqual(Fs.statSync(source).size, size)
      const image = imageOf(
        "demo",
        await glanceNoStdin("demo", [
          "image-create",
          "--name",
          uniqueName("it-cli-large"),
          "--disk-format",
          "raw",
          "--container-format",
          "bare",
          "--file",
          source
        ], 180_000)
      )
      id = image.get("id")!
      assert.strictEqual(image.get("status"), "active")
      assert.strictEqual(image.get("size"), String(size))
      assert.strictEqual(unwrap(image.get("os_hash_value")), sourceSha512)
      // To a file, and to a redirected standard output, where the blocks are reused once written too.
      const fd = Fs.openSync(redirected, "w")
      const [toFile, toStdout] = await Promise.all([
        glanceNoStdin("demo", ["image-download", id, "--file", back], 180_000),
        glance("demo", ["image-download", id], { stdin: "ignore", stdout: fd, timeout: 180_000 })
          .finally(() => Fs.closeSync(fd))
      ])
      ok(toFile, "image-download --file")
      assert.strictEqual(toStdout.status, 0, toStdout.stderr)
      for (const copy of [back, redirected]) {
        assert.strictEqual(Fs.statSync(copy).size, size, copy)
        assert.strictEqual(await hashFile(copy), sourceSha512, copy)
      }
      ok(await glanceNoStdin("demo", ["image-delete", id]))
      created.demo.delete(id)
    } finally {
      if (id !== undefined && created.demo.has(id)) await glanceNoStdin("demo", ["image-delete", id])
      created.demo.delete(id ?? "")
      for (const file of [source, back, redirected]) Fs.rmSync(file, { force: true })
    }
  })
})
