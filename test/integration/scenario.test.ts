/**
 * CLI parity, proven by a whole scenario: an operator's session with `glance` across the users
 * demo, other and admin (images, sharing, import and stores, metadata definitions, tasks, the
 * cache, discovery, deletion), run once with our `glance` and once with python-glanceclient's,
 * at the same time, each with its own names. Every step is compared structurally: exit status,
 * table headers, property names and cell values, with run-specific values (names, ids, UUIDs,
 * timestamps, request ids) normalised. Where ours differs on purpose, the step says so and
 * checks the difference exactly (README, "Differences from python-glanceclient").
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import {
  keystoneLogin,
  type LabUser,
  requireLab,
  runGlance,
  runPython,
  type RunResult,
  tokenEnv,
  uniqueName
} from "../support/lab.js"
import { cacheLock, withLock } from "../support/lock.js"
import {
  normalise,
  normaliseOutput,
  type Output,
  parseOutput,
  propertiesOf,
  rowsOf,
  type Substitution
} from "../support/tables.js"

const up = requireLab()

type Client = "ours" | "python"

type Phase = "images" | "sharing" | "import" | "metadefs" | "tasks" | "cache" | "end"

/** What a step keeps of its output for the comparison, when parts of it depend on timing. */
interface Keep {
  /** Only these properties of a Property | Value table (the others change with timing). */
  readonly properties?: ReadonlyArray<string>
  /** Only the rows whose first cell (normalised) passes (tables shared with other users). */
  readonly rows?: (firstCell: string) => boolean
  /** Cells replaced by a placeholder after checking them: column index → allowed values. */
  readonly cells?: Readonly<Record<number, ReadonlyArray<string>>>
}

interface Step {
  readonly phase: Phase
  readonly label: string
  readonly user: LabUser
  readonly args: ReadonlyArray<string>
  readonly result: RunResult
  readonly keep: Keep
  readonly ms: number
}

/** Stops the runs still going (afterAll, after a timeout): their commands are killed. */
const stop = new AbortController()

/**
 * Runs one `glance` (ours: dist/glance.js; python's: /usr/bin/glance with a fresh HOME), standard
 * input from a file or /dev/null. Both clients run with the user's token and the image URL (one
 * login per user for the file): the scenario compares commands; logins are auth.test.ts's and
 * secrets.test.ts's, and a password login per step made the lab's Keystone the slowest part.
 */
const run = async (client: Client, user: LabUser, args: ReadonlyArray<string>, stdin?: string): Promise<RunResult> => {
  const input = stdin === undefined ? "ignore" : await Fs.promises.open(stdin, "r")
  try {
    const options = {
      login: "token" as const,
      stdin: typeof input === "string" ? ("ignore" as const) : input.fd,
      signal: stop.signal
    }
    return await (client === "ours" ? runGlance(user, args, options) : runPython(user, args, options))
  } finally {
    if (typeof input !== "string") await input.close()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One client's run of the scenario: the steps it ran, and what it made (for the comparison and the cleanup). */
class Run {
  readonly steps: Array<Step> = []
  readonly substitutions: Array<Substitution> = []
  readonly images = new Set<string>()
  readonly namespaces = new Set<string>()
  /** The image of the images strand and the one of the import strand. */
  readonly ids = { image: "", imported: "" }
  readonly name: string
  error: string | undefined
  constructor(readonly client: Client) {
    // Same length for both clients, so prettytable wraps both runs' values at the same places.
    this.name = uniqueName(`it-scenario-${client === "ours" ? "ours" : "pyth"}`)
  }

  /** Values of this run that the other run has under other spellings. */
  sub(from: string, to: string) {
    if (from !== "") this.substitutions.push([from, to])
  }

  /** Runs and records one step of the scenario. */
  async step(
    phase: Phase,
    label: string,
    user: LabUser,
    args: ReadonlyArray<string>,
    options: { readonly stdin?: string; readonly keep?: Keep } = {}
  ): Promise<RunResult> {
    if (stop.signal.aborted) throw new Error(`stopped before ${label}`)
    const start = Date.now()
    const result = await run(this.client, user, args, options.stdin)
    this.steps.push({ phase, label, user, args, result, keep: options.keep ?? {}, ms: Date.now() - start })
    return result
  }

  /** The value of a property in a step's Property | Value table; fails the run when it is missing. */
  property(result: RunResult, key: string, what: string): string {
    const value = propertiesOf(result.stdout)[key]
    if (value === undefined || value === "") {
      throw new Error(`${what} printed no ${key} (exit ${result.status}): ${result.stderr.trim().split("\n")[0]}`)
    }
    return value
  }

  /** Polls `image-show` until `ok` holds (with our client in both runs: polls are waits, not steps). */
  async until(id: string, ok: (p: Record<string, string>) => boolean, what: string) {
    const deadline = Date.now() + 60_000
    for (;;) {
      if (stop.signal.aborted) throw new Error(`stopped while waiting for ${what}`)
      const shown = await run("ours", "demo", ["image-show", id])
      if (shown.status === 0 && ok(propertiesOf(shown.stdout))) return
      if (Date.now() > deadline) throw new Error(`${what}: not reached in 60 s (${shown.stdout}${shown.stderr})`)
      await sleep(1000)
    }
  }
}

/**
 * Whether an image's import is over: Glance drops the `os_glance_import_task` lock a moment after
 * the image turns active (or reaches its new store), so a step that shows the image waits for
 * that too, or the two clients' runs see it at different moments.
 */
const importDone = (p: Record<string, string>) => (p.os_glance_import_task ?? "") === ""

/**
 * The id of an image's one import task, asked of Glance directly (a wait, not a step): not from
 * the `os_glance_import_task` that image-create-via-import printed, which Glance removes from the
 * image once the import is done, so whether the output has it depends on timing.
 */
const importTask = async (image: string): Promise<string> => {
  const { OS_AUTH_TOKEN, OS_IMAGE_URL } = await tokenEnv("demo")
  const response = await fetch(`${OS_IMAGE_URL}/v2/images/${image}/tasks`, {
    headers: { "X-Auth-Token": OS_AUTH_TOKEN! }
  })
  const tasks = ((await response.json()) as { tasks?: ReadonlyArray<{ id: string }> }).tasks ?? []
  if (response.status !== 200 || tasks.length !== 1) {
    throw new Error(`the tasks of image ${image}: HTTP ${response.status}, ${tasks.length} tasks (one expected)`)
  }
  return tasks[0]!.id
}

/**
 * The scenario, as an operator types it; only the run's own names and ids differ between clients.
 * Three independent strands run side by side (images and sharing; import, tasks and cache;
 * metadata definitions), then discovery and deletion.
 */
const scenario = async (r: Run, data: string, dir: string, otherProject: string) => {
  r.sub(r.name, "<name>")
  const [id, { imported, viaFileId }] = await Promise.all([
    imagesAndSharing(r, data, dir, otherProject),
    importTasksCache(r, data),
    metadefs(r)
  ])

  // Discovery, then deletion.
  await r.step("end", "usage", "demo", ["usage"])
  await r.step("end", "explain image", "demo", ["explain", "image"])
  await r.step("end", "image-delete", "demo", ["image-delete", id, imported, ...(viaFileId ? [viaFileId] : [])])
  await r.step("end", "image-show of a deleted image", "demo", ["image-show", id])
  await r.step("end", "image-delete of a deleted image", "demo", ["image-delete", id])
  await r.step("end", "image-list after image-delete", "demo", ["image-list", "--property-filter", `name=${r.name}`])
}

const imagesAndSharing = async (r: Run, data: string, dir: string, otherProject: string) => {
  const download = Path.join(dir, `download-${r.client}.bin`)
  // Images (demo): create with data and properties, show, list, update, tags, download, (de|re)activate.
  const created = await r.step("images", "image-create --file", "demo", [
    "image-create",
    "--name",
    r.name,
    "--disk-format",
    "raw",
    "--container-format",
    "bare",
    "--file",
    data,
    "--property",
    "color=blue",
    "--property",
    "flavour=plain"
  ])
  const id = r.property(created, "id", "image-create")
  r.images.add(id)
  r.ids.image = id
  r.sub(id, "<image>")
  await r.step("images", "image-show", "demo", ["image-show", id])
  await r.step("images", "image-list --property-filter", "demo", [
    "image-list",
    "--property-filter",
    `name=${r.name}`,
    "--property-filter",
    "color=blue"
  ])
  await r.step("images", "image-list --property-filter without '='", "demo", [
    "image-list",
    "--property-filter",
    "color"
  ])
  await r.step("images", "image-update: add and remove a property", "demo", [
    "image-update",
    id,
    "--property",
    "size_class=small",
    "--remove-property",
    "flavour"
  ])
  await r.step("images", "image-tag-update", "demo", ["image-tag-update", id, "red"])
  await r.step("images", "image-tag-delete", "demo", ["image-tag-delete", id, "red"])
  await r.step("images", "image-tag-delete of a missing tag", "demo", ["image-tag-delete", id, "red"])
  await r.step("images", "image-tag-update with an empty tag", "demo", ["image-tag-update", id, ""])
  await r.step("images", "image-show after the tag changes", "demo", ["image-show", id])
  await r.step("images", "image-download --file", "demo", ["image-download", id, "--file", download])
  await r.step("images", "image-deactivate (owner)", "demo", ["image-deactivate", id])
  await r.step("images", "image-show deactivated", "demo", ["image-show", id])
  await r.step("images", "image-download of a deactivated image", "demo", [
    "image-download",
    id,
    "--file",
    `${download}.deactivated`
  ])
  await r.step("images", "image-reactivate (owner)", "demo", ["image-reactivate", id])

  // Sharing: demo offers the image to other's project, other accepts and sees it, demo withdraws it.
  await r.step("sharing", "image-update --visibility shared", "demo", ["image-update", id, "--visibility", "shared"])
  await r.step("sharing", "member-create", "demo", ["member-create", id, otherProject])
  await r.step("sharing", "member-list", "demo", ["member-list", "--image-id", id])
  await r.step("sharing", "member-get", "demo", ["member-get", id, otherProject])
  await r.step("sharing", "member-update accepted (other)", "other", ["member-update", id, otherProject, "accepted"])
  await r.step("sharing", "image-list as other", "other", ["image-list", "--property-filter", `name=${r.name}`])
  await r.step("sharing", "member-list as other", "other", ["member-list", "--image-id", id])
  await r.step("sharing", "member-delete", "demo", ["member-delete", id, otherProject])
  await r.step("sharing", "image-list as other after member-delete", "other", [
    "image-list",
    "--property-filter",
    `name=${r.name}`
  ])

  return id
}

const importTasksCache = async (r: Run, data: string) => {
  // Import: glance-direct from standard input, copy-image to `cheap`, stores, tasks.
  const importName = `${r.name}-imp`
  const stable = ["container_format", "disk_format", "id", "min_disk", "min_ram", "name", "owner", "visibility"]
  const viaStdin = await r.step("import", "image-create-via-import glance-direct (stdin)", "demo", [
    "image-create-via-import",
    "--name",
    importName,
    "--disk-format",
    "raw",
    "--container-format",
    "bare",
    "--import-method",
    "glance-direct"
  ], { stdin: data, keep: { properties: stable } })
  const imported = r.property(viaStdin, "id", "image-create-via-import")
  r.images.add(imported)
  r.ids.imported = imported
  r.sub(imported, "<imported>")
  const task = await importTask(imported)
  r.sub(task, "<import-task>")
  // The same with --file, as from a script (standard input not a terminal): a deliberate difference.
  const viaFile = await r.step("import", "image-create-via-import --file (stdin not a terminal)", "demo", [
    "image-create-via-import",
    "--name",
    `${r.name}-fil`,
    "--disk-format",
    "raw",
    "--container-format",
    "bare",
    "--file",
    data
  ], { keep: { properties: stable } })
  const viaFileId = propertiesOf(viaFile.stdout).id
  if (viaFileId) {
    r.images.add(viaFileId)
    r.sub(viaFileId, "<imported-from-file>")
  }
  await r.until(imported, (p) => p.status === "active" && importDone(p), "glance-direct import active")
  await r.step("import", "image-show imported", "demo", ["image-show", imported])
  await r.step("import", "image-import copy-image as the owner", "demo", [
    "image-import",
    imported,
    "--import-method",
    "copy-image",
    "--stores",
    "cheap"
  ])
  await r.step("import", "image-import copy-image as admin", "admin", [
    "image-import",
    imported,
    "--import-method",
    "copy-image",
    "--stores",
    "cheap"
  ], { keep: { properties: stable } })
  await r.until(
    imported,
    (p) => (p.stores ?? "").split(",").includes("cheap") && importDone(p),
    "copy-image to cheap"
  )
  await r.step("import", "stores-info", "demo", ["stores-info"])
  await r.step("import", "image-show in both stores", "demo", ["image-show", imported])
  await r.step("import", "stores-delete cheap (owner)", "demo", ["stores-delete", imported, "--store", "cheap"])
  await r.step("import", "image-show after stores-delete", "demo", ["image-show", imported])
  await r.step("import", "import-info", "demo", ["import-info"])
  await r.step("import", "image-tasks", "demo", ["image-tasks", imported])

  // Tasks (admin: the lab keeps the tasks API from other users).
  await r.step("tasks", "task-list as demo", "demo", ["task-list"])
  await r.step("tasks", "task-list", "admin", ["task-list"], { keep: { rows: (id) => id === "<import-task>" } })
  await r.step("tasks", "task-show of the import task", "admin", ["task-show", task])

  // The cache (admin): shared by both runs and by other tests, so one run at a time and only our rows.
  await withLock(cacheLock, `scenario.test.ts: the ${r.client} run's cache steps`, async () => {
    await r.step("cache", "cache-queue", "admin", ["cache-queue", imported])
    await r.step("cache", "cache-list", "admin", ["cache-list"], {
      keep: { rows: (id) => id === "<imported>", cells: { 1: ["queued", "cached"], 4: ["6144", ""] } }
    })
    await r.step("cache", "cache-delete", "admin", ["cache-delete", imported])
    await r.step("cache", "cache-clear --target queue", "admin", ["cache-clear", "--target", "queue"])
    await r.step("cache", "cache-list after cache-delete", "admin", ["cache-list"], {
      keep: { rows: (id) => id === "<imported>" }
    })
    await r.step("cache", "cache-queue as demo (not permitted)", "demo", ["cache-queue", imported])
  })
  return { imported, viaFileId }
}

/** Metadata definitions (admin; demo may not create namespaces). */
const metadefs = async (r: Run) => {
  const ns = `${r.name}-ns`
  r.namespaces.add(ns)
  await r.step("metadefs", "md-namespace-create", "admin", [
    "md-namespace-create",
    ns,
    "--display-name",
    "Scenario namespace",
    "--description",
    "Made by the parity scenario",
    "--visibility",
    "private"
  ])
  await r.step("metadefs", "md-namespace-show", "admin", ["md-namespace-show", ns])
  await r.step("metadefs", "md-object-create", "admin", [
    "md-object-create",
    ns,
    "--name",
    "obj1",
    "--schema",
    JSON.stringify({ description: "An object", properties: { p1: { type: "string", title: "P1" } } })
  ])
  await r.step("metadefs", "md-object-list", "admin", ["md-object-list", ns])
  await r.step("metadefs", "md-property-create", "admin", [
    "md-property-create",
    ns,
    "--name",
    "prop1",
    "--title",
    "Prop 1",
    "--schema",
    JSON.stringify({ type: "integer", minimum: 0, description: "A count" })
  ])
  await r.step("metadefs", "md-property-list", "admin", ["md-property-list", ns])
  await r.step("metadefs", "md-tag-create-multiple", "admin", ["md-tag-create-multiple", ns, "--names", "a,b,c"])
  await r.step("metadefs", "md-resource-type-associate", "admin", [
    "md-resource-type-associate",
    ns,
    "--name",
    "OS::Glance::Image",
    "--prefix",
    "hw_"
  ])
  await r.step("metadefs", "md-namespace-resource-type-list", "admin", ["md-namespace-resource-type-list", ns])
  await r.step("metadefs", "md-namespace-show with its contents", "admin", ["md-namespace-show", ns])
  await r.step("metadefs", "md-namespace-delete", "admin", ["md-namespace-delete", ns])
  await r.step("metadefs", "md-namespace-show of a deleted namespace", "admin", ["md-namespace-show", ns])
}

/** A step's output as compared: exit status, stdout's tables and lines, stderr's lines, normalised. */
interface Shape {
  readonly status: number
  readonly stdout: Output
  readonly stderr: ReadonlyArray<string>
}

const shapeOf = (r: Run, step: Step): Shape => {
  const stdout = normaliseOutput(parseOutput(step.result.stdout), r.substitutions)
  const { cells = {}, properties, rows } = step.keep
  const tables = stdout.tables.map((t) => {
    let kept = t.rows
    if (properties !== undefined) kept = kept.filter((row) => properties.includes(row[0]!))
    if (rows !== undefined) kept = kept.filter((row) => rows(row[0]!))
    kept = kept.map((row) =>
      row.map((c, i) => {
        const allowed = cells[i]
        if (allowed === undefined) return c
        assert.include(allowed, c, `${r.client}: ${step.label}: column ${t.headers[i]}`)
        return `<${t.headers[i]}>`
      })
    )
    return { headers: t.headers, rows: kept }
  })
  return {
    status: step.result.status,
    stdout: { tables, lines: stdout.lines },
    stderr: step.result.stderr.split("\n").map((l) => normalise(l.trim(), r.substitutions)).filter((l) => l !== "")
  }
}

/**
 * Steps where ours differs from python-glanceclient on purpose (README, "Differences from
 * python-glanceclient"); each checks the difference exactly instead of equality.
 */
const deliberate: Record<string, (ours: Shape, python: Shape) => void> = {
  // python-glanceclient takes any standard input that is not a terminal (/dev/null in a script,
  // cron, CI) for image data and refuses --file beside it; ours reads stdin only when it is a pipe
  // or a file, so --file works from scripts.
  "image-create-via-import --file (stdin not a terminal)": (ours, python) => {
    assert.strictEqual(python.status, 1)
    assert.deepStrictEqual(python.stderr, [
      "You cannot use both --file and stdin with the glance-direct import method."
    ])
    assert.strictEqual(ours.status, 0, ours.stderr.join("\n"))
    assert.deepStrictEqual(ours.stdout.tables[0]?.rows.find((r) => r[0] === "id"), ["id", "<imported-from-file>"])
  },
  // A usage mistake exits 2 (python-glanceclient's own checks exit 1); the words are python's.
  "image-list --property-filter without '='": (ours, python) => {
    assert.deepStrictEqual(ours.stderr, python.stderr)
    assert.deepStrictEqual(ours.stderr, ["Argument --property-filter expected properties in the format KEY=VALUE"])
    assert.deepStrictEqual([ours.status, python.status], [2, 1])
  },
  // cache-* commands print python-glanceclient's line for each refused image, but exit 1 (python: 0).
  "cache-queue as demo (not permitted)": (ours, python) => {
    assert.deepStrictEqual(ours.stderr, python.stderr)
    assert.deepStrictEqual(ours.stderr, ["You are not permitted to queue the image '<imported>' for caching."])
    assert.deepStrictEqual([ours.status, python.status], [1, 0])
  }
}

/** Keystone's id of a lab user's project. */
const projectIdOf = async (user: LabUser): Promise<string> => (await keystoneLogin(user)).projectId

describe.skipIf(!up)("glance parity scenario: ours and python-glanceclient, step by step", () => {
  const ours = new Run("ours")
  const python = new Run("python")
  const bytes = Crypto.randomBytes(6 * 1024)
  let dir = ""
  const elapsed = { ours: 0, python: 0 }
  let runs: Promise<unknown> = Promise.resolve()

  beforeAll(async () => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-scenario-"))
    const data = Path.join(dir, "data.bin")
    Fs.writeFileSync(data, bytes)
    const otherProject = await projectIdOf("other")
    const start = Date.now()
    runs = Promise.all([ours, python].map(async (r) => {
      try {
        await scenario(r, data, dir, otherProject)
      } catch (e) {
        r.error = e instanceof Error ? e.message : String(e)
      }
      elapsed[r.client] = Date.now() - start
    }))
    await runs
  }, 900_000)

  afterAll(async () => {
    // After a timeout the runs are still going: stop them before cleaning up behind them.
    stop.abort("the scenario's afterAll")
    await runs
    // Ignoring failures: everything the runs made goes, whatever state they stopped in.
    const cleanup = (user: LabUser, args: ReadonlyArray<string>) =>
      runGlance(user, args, { login: "token", stdin: "ignore", timeout: 60_000 }).then((r) => r.stdout, () => "")
    await Promise.all([ours, python].map(async (r) => {
      // Also an image whose create was cut short before its id was read.
      const listed = await Promise.all(
        [r.name, `${r.name}-imp`, `${r.name}-fil`].map((name) =>
          cleanup("demo", ["image-list", "--property-filter", `name=${name}`, "-f", "value", "-c", "ID"])
        )
      )
      for (const id of listed.join("\n").split("\n")) if (id.trim() !== "") r.images.add(id.trim())
      if (r.images.size > 0) {
        await cleanup("admin", ["cache-delete", ...r.images])
        await cleanup("demo", ["image-delete", ...r.images])
      }
      await Promise.all([...r.namespaces].map((ns) => cleanup("admin", ["md-namespace-delete", ns])))
    }))
    if (dir) Fs.rmSync(dir, { recursive: true, force: true })
    const slowest = (r: Run) =>
      [...r.steps].sort((a, b) => b.ms - a.ms).slice(0, 3).map((s) => `${s.label} ${s.ms} ms`).join(", ")
    console.log(
      `scenario: ours ${elapsed.ours} ms (${ours.steps.length} steps; slowest: ${slowest(ours)}), ` +
        `python-glanceclient ${elapsed.python} ms (slowest: ${slowest(python)}), side by side`
    )
  })

  const stepsOf = (r: Run, phase: Phase) => r.steps.filter((s) => s.phase === phase)

  /** Compares every step of a phase: same labels, then equal shapes (or the deliberate difference). */
  const compare = (phase: Phase) => {
    const mine = stepsOf(ours, phase)
    const theirs = stepsOf(python, phase)
    assert.deepStrictEqual(
      mine.map((s) => s.label),
      theirs.map((s) => s.label),
      `The runs stopped at different steps (ours: ${ours.error ?? "completed"}; python: ${python.error ?? "completed"})`
    )
    assert.isAbove(mine.length, 0, `No step of ${phase} ran (ours: ${ours.error}; python: ${python.error})`)
    for (const [i, step] of mine.entries()) {
      const a = shapeOf(ours, step)
      const b = shapeOf(python, theirs[i]!)
      const check = deliberate[step.label]
      if (check !== undefined) check(a, b)
      else assert.deepStrictEqual(a, b, `${step.label} (${step.args[0]} as ${step.user}): ours differs from python's`)
    }
  }

  /** A step's result in one run. */
  const result = (r: Run, label: string): RunResult => {
    const step = r.steps.find((s) => s.label === label)
    assert.isDefined(step, `${r.client}: step '${label}' did not run (${r.error})`)
    return step!.result
  }

  const both = (f: (r: Run) => void) => {
    for (const r of [ours, python]) f(r)
  }

  it("images: create, show, list, update, tags, download, deactivate and reactivate", () => {
    compare("images")
    const sha512 = Crypto.createHash("sha512").update(bytes).digest("hex")
    both((r) => {
      const created = propertiesOf(result(r, "image-create --file").stdout)
      assert.strictEqual(created.status, "active", r.client)
      assert.strictEqual(created.size, String(bytes.length), r.client)
      assert.strictEqual(created.os_hash_value!.replace(/ /g, ""), sha512, r.client)
      assert.strictEqual(created.color, "blue", r.client)
      const updated = propertiesOf(result(r, "image-update: add and remove a property").stdout)
      assert.strictEqual(updated.size_class, "small", r.client)
      assert.notProperty(updated, "flavour", r.client)
      assert.deepStrictEqual(rowsOf(result(r, "image-tag-update").stdout).map((row) => row[1]), ["['red']"])
      assert.strictEqual(propertiesOf(result(r, "image-show after the tag changes").stdout).tags, "[]", r.client)
      assert.isTrue(
        Fs.readFileSync(Path.join(dir, `download-${r.client}.bin`)).equals(bytes),
        `${r.client}: downloaded bytes differ`
      )
      assert.strictEqual(propertiesOf(result(r, "image-show deactivated").stdout).status, "deactivated", r.client)
      assert.strictEqual(result(r, "image-download of a deactivated image").status, 1, r.client)
    })
  })

  it("sharing: member-create, member-list, member-get, member-update as other, member-delete", () => {
    compare("sharing")
    both((r) => {
      const seen = rowsOf(result(r, "image-list as other").stdout).map((row) => row[0])
      assert.deepStrictEqual(seen, [r.ids.image], `${r.client}: other sees the shared image`)
      assert.strictEqual(rowsOf(result(r, "member-list as other").stdout)[0]?.[2], "accepted", r.client)
      assert.deepStrictEqual(rowsOf(result(r, "image-list as other after member-delete").stdout), [], r.client)
    })
  })

  it("import: glance-direct, copy-image to cheap, stores-info, stores-delete, import-info, image-tasks", () => {
    compare("import")
    both((r) => {
      const stores = (label: string) => propertiesOf(result(r, label).stdout).stores!.split(",").sort()
      assert.deepStrictEqual(stores("image-show imported"), ["fast"], r.client)
      assert.deepStrictEqual(stores("image-show in both stores"), ["cheap", "fast"], r.client)
      assert.deepStrictEqual(stores("image-show after stores-delete"), ["fast"], r.client)
      assert.strictEqual(result(r, "image-import copy-image as the owner").status, 1, r.client)
      assert.include(rowsOf(result(r, "image-tasks").stdout).map((row) => row[1]), "success", r.client)
    })
  })

  it("metadefs: namespace, object, property, tags, resource type association, delete", () => {
    compare("metadefs")
    both((r) => {
      const shown = propertiesOf(result(r, "md-namespace-show with its contents").stdout)
      assert.strictEqual(shown.objects, "[\"obj1\"]", r.client)
      assert.strictEqual(shown.properties, "[\"prop1\"]", r.client)
      assert.deepStrictEqual(JSON.parse(shown.tags!).sort(), ["a", "b", "c"], r.client)
      assert.strictEqual(shown.resource_type_associations, "[\"OS::Glance::Image\"]", r.client)
      assert.strictEqual(result(r, "md-namespace-show of a deleted namespace").status, 1, r.client)
    })
  })

  it("tasks: task-list (admin; demo is refused), task-show of the import task", () => {
    compare("tasks")
    both((r) => {
      assert.strictEqual(result(r, "task-list as demo").status, 1, r.client)
      const task = propertiesOf(result(r, "task-show of the import task").stdout)
      assert.strictEqual(task.status, "success", r.client)
      assert.strictEqual(task.type, "api_image_import", r.client)
    })
  })

  it("cache (admin): cache-queue, cache-list, cache-delete, cache-clear; refused for demo", () => {
    compare("cache")
    both((r) => {
      const imported = r.ids.imported
      const listed = rowsOf(result(r, "cache-list").stdout).map((row) => row[0])
      assert.include(listed, imported, `${r.client}: cache-list shows the queued image`)
      const after = rowsOf(result(r, "cache-list after cache-delete").stdout).map((row) => row[0])
      assert.notInclude(after, imported, r.client)
    })
  })

  it("usage, explain image, image-delete; the deleted image is gone", () => {
    compare("end")
    both((r) => {
      assert.strictEqual(result(r, "image-delete").status, 0, `${r.client}: ${result(r, "image-delete").stderr}`)
      assert.strictEqual(result(r, "image-show of a deleted image").status, 1, r.client)
      assert.deepStrictEqual(rowsOf(result(r, "image-list after image-delete").stdout), [], r.client)
      assert.include(rowsOf(result(r, "explain image").stdout).map((row) => row[0]), "disk_format", r.client)
    })
  })

  it("both runs completed", () => {
    assert.isUndefined(ours.error, `ours: ${ours.error}`)
    assert.isUndefined(python.error, `python-glanceclient: ${python.error}`)
  })
})
