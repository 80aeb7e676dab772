/**
 * `glance image-transfer` against the lab: real cross-project transfers through separate clients
 * and Keystone logins (lab-demo → lab-other, lab-admin), fanned out; a target that breaks
 * mid-upload (fault proxy) deleted and reported while the other finishes; a source cut mid-body
 * resumed with Range; a corrupt source leaving nothing anywhere; `--skip-existing`; copy-image and
 * glance-download with what the lab's Glance does with them. Every copy is downloaded again and
 * compared by hash with the disk image that was uploaded.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Images } from "../../src/index.js"
import { tool } from "../support/diskImages.js"
import { type FaultProxy, isFile, startFaultProxy } from "../support/faultProxy.js"
import {
  cleanEnv,
  clientFor,
  glanceBin,
  labDir,
  type LabUser,
  openrc,
  requireLab,
  runGlance,
  uniqueName
} from "../support/lab.js"

const up = requireLab()

const MiB = 1024 * 1024
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex")
const lines = (s: string) => s.split("\n").filter((l) => l.trim().length > 0)

interface Row {
  readonly Target: string
  readonly Result: string
  readonly Via: string
  readonly "Image ID": string | null
  readonly Status: string | null
  readonly os_hash_value: string | null
  readonly Detail: string
}

describe.skipIf(!up)("glance image-transfer against the lab", () => {
  const runtimes = {
    demo: ManagedRuntime.make(clientFor("demo")),
    other: ManagedRuntime.make(clientFor("other")),
    admin: ManagedRuntime.make(clientFor("admin"))
  }
  const images = <A, E>(user: LabUser, f: (images: Images.Service) => Effect.Effect<A, E>) =>
    runtimes[user].runPromise(Effect.flatMap(Images.Images, f))
  /** Images to delete at the end, whatever the tests did. */
  const made: Array<readonly [LabUser, string]> = []
  let dir: string
  let clouds: string
  let broken: FaultProxy
  let source: FaultProxy

  /** A real disk image (qcow2 converted from random raw data), uploaded by `user`: its id, name, file and hash. */
  const makeSource = async (user: LabUser, mib: number, extra: ReadonlyArray<string> = []) => {
    const name = uniqueName("transfer-src")
    const raw = Path.join(dir, `${name}.raw`)
    const disk = Path.join(dir, `${name}.qcow2`)
    Fs.writeFileSync(raw, randomBytes(mib * MiB))
    await tool("qemu-img", ["convert", "-q", "-f", "raw", "-O", "qcow2", raw, disk])
    Fs.rmSync(raw)
    const r = await runGlance(user, [
      "image-create",
      "--name",
      name,
      "--disk-format",
      "qcow2",
      "--container-format",
      "bare",
      "--min-ram",
      "64",
      "--property",
      "os_distro=cirros",
      "--tags",
      "transfer-test",
      "--file",
      disk,
      ...extra,
      "-f",
      "json"
    ], { login: "token", timeout: 180_000 })
    assert.strictEqual(r.status, 0, r.stderr)
    const id = (JSON.parse(r.stdout) as { id: string }).id
    made.push([user, id])
    return { id, name, disk, hash: sha512(Fs.readFileSync(disk)), size: Fs.statSync(disk).size }
  }

  /** `glance image-transfer ID ARGS -f json` as `user`, with the test's clouds.yaml. */
  const transfer = async (
    user: LabUser,
    id: string,
    args: ReadonlyArray<string>,
    globalArgs: ReadonlyArray<string> = []
  ) => {
    const r = await runGlance(user, [...globalArgs, "image-transfer", id, ...args, "-f", "json"], {
      env: { OS_CLIENT_CONFIG_FILE: clouds },
      timeout: 300_000
    })
    const rows = r.stdout.trim().startsWith("[") ? (JSON.parse(r.stdout) as Array<Row>) : []
    for (const row of rows) {
      const owner: LabUser | undefined = row.Target === "lab-other" || row.Target === "lab-other-broken"
        ? "other"
        : row.Target === "lab-admin"
        ? "admin"
        : undefined
      if (row["Image ID"] !== null && owner !== undefined) made.push([owner, row["Image ID"]])
    }
    return { ...r, rows, row: (target: string) => rows.find((row) => row.Target === target)! }
  }

  /** The sha512 of an image's data as `user` downloads it again. */
  const downloadedHash = (user: LabUser, id: string) =>
    images(user, (i) =>
      Stream.runFold(i.download(id), createHash("sha512"), (hash, block) => hash.update(block)).pipe(
        Effect.map((hash) => hash.digest("hex"))
      ))

  /** The images `user` sees with this name, but `except` (admin sees every project's images, the source's too). */
  const named = (user: LabUser, name: string, except?: string) =>
    images(user, (i) => Stream.runCollect(i.list({ filters: { name } }))).then((c) =>
      Array.from(c).filter((image) => image.id !== except)
    )

  beforeAll(async () => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-transfer-"))
    // A target whose uploads break: lab-other, its image API reached through a proxy that cuts them.
    broken = await startFaultProxy()
    source = await startFaultProxy()
    clouds = Path.join(dir, "clouds.yaml")
    const lab = Fs.readFileSync(Path.join(labDir, "clouds.yaml"), "utf8")
    const other = /\n  lab-other:\n((?: {4}.*\n)+)/.exec(lab)![1]!
    Fs.writeFileSync(
      clouds,
      `${lab.trimEnd()}\n  lab-other-broken:\n${other}    image_endpoint_override: "${broken.url}"\n` +
        `  lab-other-refused:\n${other.replace(/password: .*/, "password: \"not-the-password\"")}`,
      { mode: 0o600 }
    )
  })

  afterAll(async () => {
    for (const [user, id] of made) {
      await images(user, (i) => Effect.ignore(i.delete(id))).catch(() => undefined)
    }
    await Promise.all([broken?.close(), source?.close()])
    await Promise.all(Object.values(runtimes).map((r) => r.dispose()))
    if (dir) Fs.rmSync(dir, { recursive: true, force: true })
  })

  it(
    "demo → other and admin, fanned out through two logins: each copy holds the bytes, metadata copied with overrides",
    async () => {
      const src = await makeSource("demo", 6)
      const name = uniqueName("transfer-copy")
      const r = await transfer("demo", src.id, [
        "--to-cloud",
        "lab-other",
        "--to-cloud",
        "lab-admin",
        "--name",
        name,
        "--property",
        "copied_by=transfer-test"
      ])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(r.stderr, "")
      assert.deepStrictEqual(r.rows.map((row) => [row.Target, row.Result, row.Via, row.Status]), [
        ["lab-other", "copied", "stream", "active"],
        ["lab-admin", "copied", "stream", "active"]
      ])
      const sourceImage = await images("demo", (i) => i.get(src.id))
      for (const [user, target] of [["other", "lab-other"], ["admin", "lab-admin"]] as const) {
        const copy = await images(user, (i) => i.get(r.row(target)["Image ID"]!))
        assert.strictEqual(copy.name, name)
        assert.strictEqual(copy.size, src.size)
        assert.strictEqual(copy.os_hash_value, sourceImage.os_hash_value)
        assert.strictEqual(r.row(target).os_hash_value, sourceImage.os_hash_value)
        assert.strictEqual(copy.disk_format, "qcow2")
        assert.strictEqual(copy.container_format, "bare")
        assert.strictEqual(copy.min_ram, 64)
        assert.strictEqual(copy.os_distro, "cirros")
        assert.strictEqual(copy.copied_by, "transfer-test")
        assert.deepStrictEqual(copy.tags, ["transfer-test"])
        assert.notStrictEqual(copy.owner, sourceImage.owner)
        assert.strictEqual(await downloadedHash(user, copy.id), src.hash)
      }
    },
    600_000
  )

  it("--skip-existing reuses an image the target sees with the same data; --same-name wants its name too", async () => {
    const src = await makeSource("demo", 2)
    const first = await transfer("demo", src.id, ["--to-cloud", "lab-other", "--skip-existing"])
    assert.strictEqual(first.status, 0, first.stderr)
    assert.strictEqual(first.row("lab-other").Result, "copied")
    const copyId = first.row("lab-other")["Image ID"]!

    const again = await transfer("demo", src.id, ["--to-cloud", "lab-other", "--skip-existing"])
    assert.strictEqual(again.status, 0, again.stderr)
    assert.strictEqual(again.row("lab-other").Result, "skipped")
    assert.strictEqual(again.row("lab-other")["Image ID"], copyId)
    assert.match(again.row("lab-other").Detail, new RegExp(`image ${copyId} already holds this data`))
    assert.lengthOf(await named("other", src.name), 1)

    // Under another name, --same-name does not count the first copy: a second one is made.
    const renamed = uniqueName("transfer-renamed")
    const third = await transfer("demo", src.id, [
      "--to-cloud",
      "lab-other",
      "--skip-existing",
      "--same-name",
      "--name",
      renamed
    ])
    assert.strictEqual(third.status, 0, third.stderr)
    assert.strictEqual(third.row("lab-other").Result, "copied")
    assert.notStrictEqual(third.row("lab-other")["Image ID"], copyId)
    assert.strictEqual(await downloadedHash("other", third.row("lab-other")["Image ID"]!), src.hash)
  }, 300_000)

  it("a target whose upload breaks is deleted and reported (exit 1, one line); the other target finishes", async () => {
    const src = await makeSource("demo", 6)
    broken.reset()
    broken.inject((seen) => seen.method === "PUT" && isFile(seen), { _tag: "CutUpload", after: 2 * MiB })
    const r = await transfer("demo", src.id, ["--to-cloud", "lab-other-broken", "--to-cloud", "lab-admin"])
    assert.strictEqual(r.status, 1, r.stderr)
    assert.strictEqual(r.row("lab-other-broken").Result, "failed")
    assert.isNull(r.row("lab-other-broken")["Image ID"])
    assert.match(
      r.row("lab-other-broken").Detail,
      /^Uploading the data of image [0-9a-f-]+ failed, so the new image [0-9a-f-]+ was deleted: /
    )
    assert.deepStrictEqual(lines(r.stderr), [
      `glance: lab-other-broken: ${r.row("lab-other-broken").Detail}`,
      "1 of 2 targets failed"
    ])
    // The proxy saw the new image made, its upload cut, and the image deleted.
    const seen = broken.requests.map((s) => `${s.method} ${s.url.replace(/[0-9a-f-]{36}/, "ID")}`)
    assert.includeMembers(seen, ["POST /v2/images", "PUT /v2/images/ID/file", "DELETE /v2/images/ID"])
    assert.lengthOf(await named("other", src.name), 0)

    assert.strictEqual(r.row("lab-admin").Result, "copied")
    assert.strictEqual(await downloadedHash("admin", r.row("lab-admin")["Image ID"]!), src.hash)
  }, 300_000)

  it("a source cut mid-body resumes with Range; both targets get the whole image", async () => {
    const src = await makeSource("demo", 6)
    source.reset()
    source.inject(isFile, { _tag: "CutBody", after: 2_500_000 })
    const r = await transfer("demo", src.id, ["--to-cloud", "lab-other", "--to-cloud", "lab-admin"], [
      "--os-image-url",
      source.url
    ])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.deepStrictEqual(
      source.requests.filter(isFile).map((s) => [s.range, s.status]),
      [[undefined, 200], ["bytes=2500000-", 206]]
    )
    assert.deepStrictEqual(r.rows.map((row) => row.Result), ["copied", "copied"])
    assert.strictEqual(await downloadedHash("other", r.row("lab-other")["Image ID"]!), src.hash)
    assert.strictEqual(await downloadedHash("admin", r.row("lab-admin")["Image ID"]!), src.hash)
  }, 300_000)

  it("a corrupt source: every target fails and keeps nothing (exit 1)", async () => {
    const src = await makeSource("demo", 3)
    source.reset()
    source.inject(isFile, { _tag: "Corrupt", at: 1_000_000 })
    const r = await transfer("demo", src.id, ["--to-cloud", "lab-other", "--to-cloud", "lab-admin"], [
      "--os-image-url",
      source.url
    ])
    assert.strictEqual(r.status, 1, r.stderr)
    for (const target of ["lab-other", "lab-admin"]) {
      assert.strictEqual(r.row(target).Result, "failed")
      assert.isNull(r.row(target)["Image ID"])
      assert.match(
        r.row(target).Detail,
        /^Reading the source image .* failed, so the new image .* was deleted: .*corrupt/
      )
    }
    assert.strictEqual(lines(r.stderr).at(-1), "2 of 2 targets failed")
    assert.lengthOf(await named("other", src.name), 0)
    assert.lengthOf(await named("admin", src.name, src.id), 0)
  }, 300_000)

  it(
    "--to-store alone asks Glance for copy-image: admin's image gains the store; demo is refused by policy, said in its row",
    async () => {
      const src = await makeSource("admin", 2, ["--store", "fast"])
      const r = await transfer("admin", src.id, ["--to-store", "cheap"])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual([r.rows[0]!.Target, r.rows[0]!.Result, r.rows[0]!.Via], [
        "store cheap",
        "copied",
        "copy-image"
      ])
      assert.strictEqual(r.rows[0]!["Image ID"], src.id)
      const image = await images("admin", (i) => i.get(src.id))
      assert.sameMembers(Images.storeList(image.stores), ["fast", "cheap"])

      // The lab's policy keeps copy-image for admins: demo's row says so, and no second image is made.
      const mine = await makeSource("demo", 1)
      const refused = await transfer("demo", mine.id, ["--to-store", "cheap"])
      assert.strictEqual(refused.status, 1, refused.stderr)
      assert.strictEqual(refused.rows[0]!.Result, "failed")
      assert.match(refused.rows[0]!.Detail, /copy-image .*not authorized/i)
      assert.lengthOf(await named("demo", mine.name), 1)
    },
    600_000
  )

  /** The requests a `--debug` run sent, as `METHOD URL` with ids as ID (the curl lines on stderr). */
  const sent = (stderr: string) =>
    lines(stderr).flatMap((line) => {
      const m = /^REQ: curl -g -i -X (\w+) '([^']+)'/.exec(line)
      return m ? [`${m[1]} ${m[2]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "ID")}`] : []
    })

  it(
    "RegionOne → RegionTwo: RegionTwo's Glance (localhost) is asked for glance-download, refuses RegionOne's URL, so the data is streamed there and the row says why",
    async () => {
      const src = await makeSource("demo", 2)
      const name = uniqueName("transfer-region")
      const r = await transfer("demo", src.id, ["--to-region", "RegionTwo", "--name", name], ["--debug"])
      const id = r.row("RegionTwo")?.["Image ID"]
      if (id) made.push(["demo", id])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual([r.row("RegionTwo").Result, r.row("RegionTwo").Via], ["copied", "stream"])
      // The lab's import filtering allows only localhost: RegionOne's endpoint (127.0.0.1) is refused.
      assert.match(
        r.row("RegionTwo").Detail,
        /^glance-download failed \(The glance-download import of image [0-9a-f-]+ failed, so the new image [0-9a-f-]+ was deleted: Image [0-9a-f-]+ failed to import: .*\): streamed instead$/
      )
      // Read from RegionOne's endpoint, written to RegionTwo's.
      const requests = sent(r.stderr)
      assert.includeMembers(requests, [
        "POST http://localhost:9292/v2/images/ID/import",
        "DELETE http://localhost:9292/v2/images/ID",
        "GET http://127.0.0.1:9292/v2/images/ID/file",
        "PUT http://localhost:9292/v2/images/ID/file"
      ])
      assert.isFalse(requests.some((q) => q.startsWith("PUT http://127.0.0.1")), requests.join("\n"))
      assert.lengthOf(await named("demo", name), 1)
      assert.strictEqual(await downloadedHash("demo", id!), src.hash)
    },
    600_000
  )

  it(
    "RegionTwo → RegionOne: RegionOne's Glance fetches the image from localhost itself (glance-download); no data through the client",
    async () => {
      const src = await makeSource("demo", 2)
      const name = uniqueName("transfer-region")
      const r = await transfer("demo", src.id, ["--to-region", "RegionOne", "--name", name], [
        "--debug",
        "--os-region-name",
        "RegionTwo"
      ])
      const id = r.row("RegionOne")?.["Image ID"]
      if (id) made.push(["demo", id])
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(
        [r.row("RegionOne").Result, r.row("RegionOne").Via, r.row("RegionOne").Detail],
        ["copied", "glance-download", "size and hash match the source"]
      )
      const requests = sent(r.stderr)
      assert.includeMembers(requests, [
        "GET http://localhost:9292/v2/images/ID",
        "POST http://127.0.0.1:9292/v2/images/ID/import"
      ])
      assert.isFalse(requests.some((q) => q.endsWith("/file")), requests.join("\n"))
      assert.lengthOf(await named("demo", name), 1)
      assert.strictEqual(await downloadedHash("demo", id!), src.hash)
    },
    600_000
  )
  it(
    "image-create --if-absent (and image-create-via-import) show the image that already holds the file's data instead of making another",
    async () => {
      const src = await makeSource("demo", 2)
      const create = (command: string) =>
        runGlance("demo", [
          command,
          "--name",
          uniqueName("transfer-ifabsent"),
          "--disk-format",
          "qcow2",
          "--container-format",
          "bare",
          "--file",
          src.disk,
          "--if-absent",
          "-f",
          "json"
        ], { login: "token", timeout: 180_000 })
      for (const command of ["image-create", "image-create-via-import"]) {
        const r = await create(command)
        assert.strictEqual(r.status, 0, r.stderr)
        const shown = JSON.parse(r.stdout) as { id: string }
        if (shown.id !== src.id) made.push(["demo", shown.id])
        assert.strictEqual(shown.id, src.id)
        assert.deepStrictEqual(lines(r.stderr), [
          `glance: image ${src.id} already holds the data of ${src.disk}: not created again`
        ])
      }
      // Other data: created as usual.
      const fresh = Path.join(dir, "fresh.raw")
      Fs.writeFileSync(fresh, randomBytes(MiB))
      const r = await runGlance("demo", [
        "image-create",
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--file",
        fresh,
        "--if-absent",
        "-f",
        "json"
      ], { login: "token", timeout: 180_000 })
      assert.strictEqual(r.status, 0, r.stderr)
      const created = JSON.parse(r.stdout) as { id: string; os_hash_value: string; status: string }
      made.push(["demo", created.id])
      assert.notStrictEqual(created.id, src.id)
      assert.strictEqual(created.status, "active")
      assert.strictEqual(created.os_hash_value, sha512(Fs.readFileSync(fresh)))
      assert.strictEqual(r.stderr, "")
    },
    600_000
  )
  it("mistakes get one line before anything is sent: no target, an unknown cloud, a target twice", async () => {
    const id = "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01"
    const cases: Array<[ReadonlyArray<string>, number, RegExp]> = [
      [[], 2, /^image-transfer needs a target: --to-cloud, --to-region or --to-store$/],
      [
        ["--to-cloud", "nowhere"],
        1,
        /^Cloud "nowhere" is not in .*clouds\.yaml \(it has: lab-admin, lab-demo, lab-other, lab-other-broken, lab-other-refused\)$/
      ],
      [["--to-cloud", "lab-other", "--to-cloud", "lab-other"], 2, /^The target lab-other is given twice$/],
      [["--to-cloud", "lab-other", "--same-name"], 2, /^--same-name only goes with --skip-existing$/]
    ]
    for (const [args, status, line] of cases) {
      source.reset()
      const r = await transfer("demo", id, args, ["--os-image-url", source.url])
      assert.strictEqual(r.status, status, r.stderr)
      assert.lengthOf(lines(r.stderr), 1, r.stderr)
      assert.match(r.stderr.trim(), line)
      assert.strictEqual(r.stdout, "")
      assert.deepStrictEqual(source.requests, [])
    }
  }, 300_000)
  it("Ctrl-C mid-transfer: the copies under way are deleted, then glance ends as interrupted (exit 130)", async () => {
    const src = await makeSource("demo", 3)
    source.reset()
    // A slow source, so that the copies exist and are being uploaded when the signal comes.
    source.inject(isFile, { _tag: "Drip", chunk: 64 * 1024, everyMs: 100 })
    const name = uniqueName("transfer-sigint")
    const child = spawn(process.execPath, [
      glanceBin,
      "--os-image-url",
      source.url,
      "image-transfer",
      src.id,
      "--to-cloud",
      "lab-other",
      "--to-cloud",
      "lab-admin",
      "--name",
      name
    ], { env: { ...cleanEnv(), ...openrc("demo"), OS_CLIENT_CONFIG_FILE: clouds }, stdio: ["ignore", "pipe", "pipe"] })
    const err: Array<Buffer> = []
    child.stderr.on("data", (b: Buffer) => err.push(b))
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    const deadline = Date.now() + 120_000
    while (!source.requests.some((s) => isFile(s) && s.status === 200) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.isTrue(source.requests.some((s) => isFile(s) && s.status === 200), "the source download started")
    // Both copies were made before the data started to flow (admin sees every project's images).
    const before = await named("admin", name)
    for (const image of before) made.push(["admin", image.id])
    assert.lengthOf(before, 2)
    for (const image of before) assert.include(["queued", "saving"], image.status)
    child.kill("SIGINT")
    const code = await closed
    assert.strictEqual(code, 130, Buffer.concat(err).toString())
    assert.deepStrictEqual(lines(Buffer.concat(err).toString()), [
      "glance: SIGINT: deleting the copies not finished",
      "... terminating glance client"
    ])
    assert.lengthOf(await named("admin", name), 0)
  }, 300_000)
  it("a target whose login is refused fails alone, before any image is made there", async () => {
    const src = await makeSource("demo", 1)
    const r = await transfer("demo", src.id, ["--to-cloud", "lab-other-refused", "--to-cloud", "lab-other"])
    assert.strictEqual(r.status, 1, r.stderr)
    assert.strictEqual(r.row("lab-other-refused").Result, "failed")
    assert.match(
      r.row("lab-other-refused").Detail,
      /^Connecting to lab-other-refused failed: Invalid OpenStack Identity credentials/
    )
    assert.isFalse(r.stderr.includes("not-the-password"))
    assert.strictEqual(r.row("lab-other").Result, "copied")
    assert.lengthOf(await named("other", src.name), 1)
    assert.strictEqual(await downloadedHash("other", r.row("lab-other")["Image ID"]!), src.hash)
  }, 300_000)
})
