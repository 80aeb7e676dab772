/**
 * The `glance` commands beyond image CRUD, against the lab: members (demo shares, other
 * accepts), tags, deactivate/reactivate, image-create-via-import (glance-direct), copy-image,
 * stores-delete, image-tasks, the cache, discovery (import-info, stores-info, usage, explain),
 * tasks, locations and python-glanceclient's messages. A few read-only tables are compared
 * with python-glanceclient's structurally. Every image created here is deleted in afterAll.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { type LabUser, requireLab, runGlance, runPython, type RunResult, uniqueName } from "../support/lab.js"
import { cacheLock, withLock } from "../support/lock.js"

const up = requireLab()

/**
 * Runs our `glance` with the user's token and the image URL (this file tests commands, not
 * logins): standard input on /dev/null (no image data) unless `input` is given.
 */
const glance = (user: LabUser, args: ReadonlyArray<string>, options: { readonly input?: Buffer } = {}) =>
  runGlance(user, args, {
    login: "token",
    ...(options.input === undefined ? { stdin: "ignore" } : { input: options.input })
  })

/** Runs python-glanceclient's `glance` with the user's token and the image URL, as ours. */
const pyGlance = (user: LabUser, args: ReadonlyArray<string>) => runPython(user, args, { login: "token" })

const created: Record<LabUser, Set<string>> = { demo: new Set(), admin: new Set(), other: new Set() }
let dir = ""

afterAll(async () => {
  await Promise.all((["demo", "admin", "other"] as const).map((user) => {
    const ids = [...created[user]]
    return ids.length > 0 ? glance(user, ["image-delete", ...ids]) : undefined
  }))
  if (dir) Fs.rmSync(dir, { recursive: true, force: true })
})

const ok = (r: RunResult, what: string): string => {
  assert.strictEqual(r.status, 0, `${what} failed: ${r.stderr}`)
  return r.stdout
}

/** The cells of each `| a | b |` line of a table. */
const rowsOf = (stdout: string): Array<Array<string>> =>
  stdout.split("\n").filter((l) => l.startsWith("|")).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()))

/** A table's headers and, for a Property | Value table, its property names (continuation lines dropped). */
const shape = (stdout: string) => {
  const [headers = [], ...rows] = rowsOf(stdout)
  const keys = headers[0] === "Property" ? rows.map((r) => r[0]!).filter((k) => k.length > 0) : []
  return { headers, keys }
}

/** A Property | Value table as a record (wrapped values joined). */
const propertiesOf = (stdout: string): Record<string, string> => {
  const out: Record<string, string> = {}
  let last = ""
  for (const [k, v] of rowsOf(stdout).slice(1)) {
    if (k) out[last = k] = v ?? ""
    else out[last] += v ?? ""
  }
  return out
}

const valueOf = (r: RunResult, what: string) => ok(r, what).trim()

describe.skipIf(!up)("glance CLI: members, import, tags, cache, tasks, discovery", () => {
  let shared = ""
  let otherProject = ""
  let imported = ""

  beforeAll(async () => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-cli-more-"))
    shared = valueOf(
      await glance("demo", [
        "image-create",
        "--name",
        uniqueName("it-cli-more-shared"),
        "--visibility",
        "shared",
        "-f",
        "value",
        "-c",
        "id"
      ]),
      "image-create"
    )
    created.demo.add(shared)
    // other's project id: the owner of an image other creates (and deletes at once).
    const [otherImage, owner] = valueOf(
      await glance("other", [
        "image-create",
        "--name",
        uniqueName("it-cli-more-probe"),
        "-f",
        "value",
        "-c",
        "id",
        "-c",
        "owner"
      ]),
      "image-create as other"
    ).split("\n")
    created.other.add(otherImage!)
    otherProject = owner!
    if ((await glance("other", ["image-delete", otherImage!])).status === 0) created.other.delete(otherImage!)
  })

  describe("discovery, compared with python-glanceclient", () => {
    it("import-info", async () => {
      const [mine, python] = await Promise.all([glance("demo", ["import-info"]), pyGlance("demo", ["import-info"])])
      const ours = ok(mine, "import-info")
      const theirs = python.stdout
      assert.deepStrictEqual(shape(ours), shape(theirs))
      assert.deepStrictEqual(shape(ours).keys, ["import-methods"])
      assert.include(propertiesOf(ours)["import-methods"], "glance-direct")
      assert.strictEqual(ours, theirs)
    })

    it("stores-info, and --detail as admin", async () => {
      const [mine, python, mineDetail, pythonDetail] = await Promise.all([
        glance("demo", ["stores-info"]),
        pyGlance("demo", ["stores-info"]),
        glance("admin", ["stores-info", "--detail"]),
        pyGlance("admin", ["stores-info", "--detail"])
      ])
      const ours = ok(mine, "stores-info")
      const theirs = python.stdout
      assert.deepStrictEqual(shape(ours), shape(theirs))
      assert.strictEqual(ours, theirs)
      const stores = JSON.parse(propertiesOf(ours).stores!) as Array<{ id: string }>
      assert.includeMembers(stores.map((s) => s.id), ["fast", "cheap"])
      const detail = ok(mineDetail, "stores-info --detail")
      assert.deepStrictEqual(shape(detail), shape(pythonDetail.stdout))
      assert.include(detail, "\"type\": \"file\"")
    })

    it("usage", async () => {
      const [mine, python] = await Promise.all([glance("demo", ["usage"]), pyGlance("demo", ["usage"])])
      const ours = ok(mine, "usage")
      const theirs = python.stdout
      assert.deepStrictEqual(shape(ours).headers, ["Quota", "Limit", "Usage"])
      assert.deepStrictEqual(shape(ours), shape(theirs))
      assert.deepStrictEqual(rowsOf(ours), rowsOf(theirs))
    })

    it("explain image: the Attribute | Description table", async () => {
      const [mine, python] = await Promise.all([
        glance("demo", ["explain", "image"]),
        pyGlance("demo", ["explain", "image"])
      ])
      const ours = ok(mine, "explain")
      const theirs = python.stdout
      assert.deepStrictEqual(shape(ours).headers, ["Attribute", "Description"])
      assert.deepStrictEqual(rowsOf(ours).map((r) => r[0]), rowsOf(theirs).map((r) => r[0]))
      assert.include(rowsOf(ours).map((r) => r[0]), "disk_format")
    })

    it("explain of an unknown model: python-glanceclient's message, exit 1", async () => {
      const r = await glance("demo", ["explain", "nosuchmodel"])
      assert.strictEqual(r.status, 1)
      assert.strictEqual(r.stderr.trim(), "Unable to find requested model 'nosuchmodel'")
    })
  })

  describe("members", () => {
    it("member-create, member-list (as python), member-update as the member, member-get, member-delete", async () => {
      const offered = ok(await glance("demo", ["member-create", shared, otherProject]), "member-create")
      assert.deepStrictEqual(rowsOf(offered), [["Image ID", "Member ID", "Status"], [shared, otherProject, "pending"]])
      const listed = ok(await glance("demo", ["member-list", "--image-id", shared]), "member-list")
      const theirs = (await pyGlance("demo", ["member-list", "--image-id", shared])).stdout
      assert.deepStrictEqual(shape(listed), shape(theirs))
      assert.strictEqual(listed, theirs)
      const accepted = ok(await glance("other", ["member-update", shared, otherProject, "accepted"]), "member-update")
      assert.deepStrictEqual(rowsOf(accepted)[1], [shared, otherProject, "accepted"])
      const got = propertiesOf(ok(await glance("demo", ["member-get", shared, otherProject]), "member-get"))
      assert.strictEqual(got.status, "accepted")
      assert.strictEqual(got.member_id, otherProject)
      ok(await glance("demo", ["member-delete", shared, otherProject]), "member-delete")
      assert.deepStrictEqual(
        rowsOf(ok(await glance("demo", ["member-list", "--image-id", shared]), "member-list")),
        [["Image ID", "Member ID", "Status"]]
      )
    })

    it("member-update with a bad status is a usage error", async () => {
      const r = await glance("other", ["member-update", shared, otherProject, "maybe"])
      assert.strictEqual(r.status, 2)
    })

    it("member-list needs --image-id", async () => {
      assert.strictEqual((await glance("demo", ["member-list"])).status, 2)
    })
  })

  describe("tags", () => {
    it("image-tag-update prints ID | Tags; image-tag-delete removes the tag", async () => {
      const out = ok(await glance("demo", ["image-tag-update", shared, "blue"]), "image-tag-update")
      assert.deepStrictEqual(rowsOf(out), [["ID", "Tags"], [shared, "['blue']"]])
      ok(await glance("demo", ["image-tag-delete", shared, "blue"]), "image-tag-delete")
      assert.strictEqual(
        valueOf(await glance("demo", ["image-show", shared, "-f", "value", "-c", "tags"]), "show"),
        "[]"
      )
    })
  })

  describe("import workflow", () => {
    const data = Crypto.randomBytes(64 * 1024)

    it("image-create-via-import --file --wait: glance-direct, active with the data", async () => {
      const file = Path.join(dir, "data.bin")
      Fs.writeFileSync(file, data)
      const out = ok(
        await glance("demo", [
          "image-create-via-import",
          "--name",
          uniqueName("it-cli-more-import"),
          "--disk-format",
          "raw",
          "--container-format",
          "bare",
          "--file",
          file,
          "--wait"
        ]),
        "image-create-via-import"
      )
      const image = propertiesOf(out)
      imported = image.id!
      created.demo.add(imported)
      assert.strictEqual(image.status, "active")
      assert.strictEqual(image.size, String(data.length))
      assert.strictEqual(image.os_hash_value, Crypto.createHash("sha512").update(data).digest("hex"))
    })

    it("image-tasks lists the import's task", async () => {
      const rows = rowsOf(ok(await glance("demo", ["image-tasks", imported]), "image-tasks"))
      assert.deepStrictEqual(rows[0], ["Message", "Status", "Updated at"])
      assert.isAtLeast(rows.length, 2)
      assert.include(rows.slice(1).map((r) => r[1]), "success")
      assert.deepStrictEqual(
        rowsOf((await pyGlance("demo", ["image-tasks", imported])).stdout)[0],
        rows[0]
      )
    })

    it("image-import copy-image to cheap as admin (--wait), then stores-delete cheap", async () => {
      const out = ok(
        await glance("admin", [
          "image-import",
          imported,
          "--import-method",
          "copy-image",
          "--stores",
          "cheap",
          "--wait"
        ]),
        "image-import copy-image"
      )
      assert.deepStrictEqual(propertiesOf(out).stores!.split(",").sort(), ["cheap", "fast"])
      ok(await glance("admin", ["stores-delete", imported, "--store", "cheap"]), "stores-delete")
      assert.strictEqual(
        valueOf(await glance("demo", ["image-show", imported, "-f", "value", "-c", "stores"]), "show"),
        "fast"
      )
    })

    it("image-deactivate / image-reactivate as admin", async () => {
      const status = async () =>
        valueOf(await glance("demo", ["image-show", imported, "-f", "value", "-c", "status"]), "show")
      ok(await glance("admin", ["image-deactivate", imported]), "image-deactivate")
      assert.strictEqual(await status(), "deactivated")
      ok(await glance("admin", ["image-reactivate", imported]), "image-reactivate")
      assert.strictEqual(await status(), "active")
    })

    it("image-stage then image-import (glance-direct) on a queued image", async () => {
      const id = valueOf(
        await glance("demo", [
          "image-create",
          "--name",
          uniqueName("it-cli-more-stage"),
          "--disk-format",
          "raw",
          "--container-format",
          "bare",
          "-f",
          "value",
          "-c",
          "id"
        ]),
        "image-create"
      )
      created.demo.add(id)
      ok(await glance("demo", ["image-stage", id], { input: data }), "image-stage from stdin")
      const out = ok(await glance("demo", ["image-import", id, "--wait", "--timeout", "60"]), "image-import")
      assert.strictEqual(propertiesOf(out).status, "active")
    })

    it("python-glanceclient's checks and messages", async () => {
      const cases: Array<[LabUser, Array<string>, string]> = [
        [
          "demo",
          ["image-import", imported, "--import-method", "bogus"],
          "Import method 'bogus' is not valid for this cloud. Valid values can be retrieved with import-info command."
        ],
        [
          "demo",
          ["image-import", imported, "--import-method", "web-download"],
          "Provide URI for web-download import method."
        ],
        [
          "demo",
          ["image-import", imported, "--import-method", "copy-image"],
          "Provide either --stores or --all-stores for 'copy-image' import method."
        ],
        [
          "demo",
          ["image-import", imported, "--store", "fast", "--stores", "cheap"],
          "Only one of --store, --stores and --all-stores can be provided"
        ],
        [
          "demo",
          ["image-import", imported],
          "The 'glance-direct' import method can only be applied to an image in status 'uploading'"
        ],
        [
          "demo",
          ["image-import", imported, "--import-method", "copy-image", "--stores", "nowhere"],
          "Store 'nowhere' is not valid for this cloud. Valid values can be retrieved with stores-info command."
        ],
        [
          "demo",
          ["image-create-via-import", "--import-method", "copy-image"],
          "Import method 'copy-image' cannot be used while creating the image."
        ],
        [
          "demo",
          ["image-create-via-import", "--import-method", "glance-direct", "--disk-format", "raw"],
          "You must specify a --file or provide data via stdin for the glance-direct import method."
        ],
        [
          "demo",
          ["image-create-via-import", "--import-method", "web-download"],
          "URI is required for web-download import method. Please use '--uri <uri>'."
        ],
        [
          "demo",
          ["task-create", "--type", "import", "--input", "{nope"],
          "Failed to parse the \"input\" parameter. Must be a valid JSON object."
        ]
      ]
      const results = await Promise.all(cases.map(([user, args]) => glance(user, args)))
      cases.forEach(([, args, message], i) => {
        const r = results[i]!
        assert.strictEqual(r.status, 1, `${args.join(" ")}: ${r.stderr}`)
        assert.strictEqual(r.stderr.trim(), message, args.join(" "))
      })
    })

    it("the OS_IMAGE_* variables stand in for their flags (a flag beats its variable)", async () => {
      const env = (vars: Record<string, string>, args: ReadonlyArray<string>) =>
        runGlance("demo", args, { login: "token", stdin: "ignore", env: vars })
      const cases: Array<[Record<string, string>, Array<string>, number, string]> = [
        [
          { OS_IMAGE_STORE: "fast", OS_IMAGE_STORES: "cheap" },
          ["image-import", imported],
          1,
          "Only one of --store, --stores and --all-stores can be provided"
        ],
        [
          { OS_IMAGE_STORES: "cheap" },
          ["image-import", imported, "--store", "fast"],
          1,
          "Only one of --store, --stores and --all-stores can be provided"
        ],
        [
          { OS_IMAGE_IMPORT_METHOD: "copy-image" },
          ["image-create-via-import"],
          1,
          "Import method 'copy-image' cannot be used while creating the image."
        ],
        [
          { OS_IMAGE_IMPORT_METHOD: "copy-image" },
          ["image-create-via-import", "--import-method", "web-download"],
          1,
          "URI is required for web-download import method. Please use '--uri <uri>'."
        ],
        [
          { OS_IMAGE_STORE: "fast" },
          ["image-create", "--name", uniqueName("env-store")],
          2,
          "--store option should only be provided with --file option or stdin."
        ],
        [
          { OS_IMAGE_ALLOW_FAILURE: "maybe" },
          ["image-import", imported],
          2,
          "--allow-failure expects True or False, not \"maybe\""
        ]
      ]
      const results = await Promise.all(cases.map(([vars, args]) => env(vars, args)))
      cases.forEach(([vars, args, status, message], i) => {
        const r = results[i]!
        const what = `${JSON.stringify(vars)} ${args.join(" ")}`
        assert.strictEqual(r.stderr.trim(), message, what)
        assert.strictEqual(r.status, status, what)
      })
    })

    it("location-add / location-delete / location-update: the lab hides locations, said clearly", async () => {
      const cases = [
        ["location-add", imported, "--url", "file:///nowhere"],
        ["location-delete", imported, "--url", "file:///nowhere"],
        ["location-update", imported, "--url", "file:///nowhere", "--metadata", "{\"a\": 1}"],
        ["location-add", imported, "--url", "file:///x", "--metadata", "[1]"]
      ]
      const results = await Promise.all(cases.map((args) => glance("demo", args)))
      for (const [i, r] of results.slice(0, 3).entries()) {
        assert.strictEqual(r.status, 1, cases[i]![0])
        assert.match(r.stderr, /does not show image locations/, cases[i]![0])
      }
      const bad = results[3]!
      assert.strictEqual(bad.stderr.trim(), "Metadata is not a valid JSON object.")
    })
  })

  describe("cache (admin)", () => {
    it("cache-queue, cache-list (as python's table), cache-delete, cache-clear --target queue", async () => {
      // The queue is Glance's, shared with every other test: cache-clear empties it for all of them.
      await withLock(cacheLock, "cli-more.test.ts: cache-queue … cache-clear", async () => {
        ok(await glance("admin", ["cache-queue", imported]), "cache-queue")
        const listed = ok(await glance("admin", ["cache-list"]), "cache-list")
        assert.deepStrictEqual(rowsOf(listed)[0], [
          "ID",
          "State",
          "Last Accessed (UTC)",
          "Last Modified (UTC)",
          "Size",
          "Hits"
        ])
        const row = rowsOf(listed).find((r) => r[0] === imported)
        assert.isDefined(row, listed)
        assert.include(["queued", "cached"], row![1])
        ok(await glance("admin", ["cache-delete", imported]), "cache-delete")
        ok(await glance("admin", ["cache-clear", "--target", "queue"]), "cache-clear")
        const after = ok(await glance("admin", ["cache-list", "-f", "value", "-c", "ID"]), "cache-list")
        assert.notInclude(after.split("\n"), imported)
      })
    })

    it("as a non-admin: python-glanceclient's per-image line, exit 1", async () => {
      const r = await glance("demo", ["cache-queue", imported])
      assert.strictEqual(r.status, 1)
      assert.strictEqual(r.stderr.trim(), `You are not permitted to queue the image '${imported}' for caching.`)
    })
  })

  describe("tasks", () => {
    it("task-list as python-glanceclient; task-show of one; --status and --type filters", async () => {
      const [mine, python] = await Promise.all([
        glance("admin", ["task-list", "--page-size", "5"]),
        pyGlance("admin", ["task-list"])
      ])
      const ours = ok(mine, "task-list")
      const rows = rowsOf(ours)
      assert.deepStrictEqual(rows[0], ["ID", "Type", "Status", "Owner"])
      assert.deepStrictEqual(shape(ours), shape(python.stdout))
      assert.isAtLeast(rows.length, 2)
      const shown = propertiesOf(ok(await glance("admin", ["task-show", rows[1]![0]!]), "task-show"))
      assert.strictEqual(shown.id, rows[1]![0])
      assert.notProperty(shown, "self")
      assert.notProperty(shown, "schema")
      const filtered = rowsOf(ok(await glance("admin", ["task-list", "--status", "success"]), "task-list --status"))
      assert.isTrue(filtered.slice(1).every((r) => r[2] === "success"))
      // Glance filters on the task types it knows (only `import`), as python-glanceclient shows.
      assert.match((await glance("admin", ["task-list", "--type", "api_image_import"])).stderr, /Invalid type value/)
    })
  })
})
