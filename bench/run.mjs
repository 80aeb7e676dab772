#!/usr/bin/env node
// Side-by-side benchmark against the lab: our `glance` and library vs python-glanceclient and
// curl, alternating, several repetitions each, medians and ratios from the same run.
// Writes bench/RESULTS.md. Needs the lab (bash scripts/lab/start.sh) and a build (npm run build).
//
//   npm run bench                       # all scenarios, 3 repetitions
//   npm run bench -- --reps 5 --only download,upload
//   npm run bench -- --size-mib 256     # a smaller image for a quick run
//   npm run bench -- --baseline DIR     # also rows of another build (DIR: a built checkout), same run
//   npm run bench -- --only transfer --size-mib 512 --results /tmp/transfer.md  # one scenario, written elsewhere
//   npm run bench -- --no-python        # without python-glanceclient's rows
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const root = Path.resolve(import.meta.dirname, "..")
const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}
const reps = Number(flag("reps", "3"))
const sizeMiB = Number(flag("size-mib", "1024"))
const only = flag("only", "download,upload,transfer,list,paginate").split(",")
// Where the report goes: a run of some scenarios only can be written beside RESULTS.md, not over it.
const results = flag("results", Path.join(root, "bench/RESULTS.md"))
// Another build of the project (a checkout of an earlier commit, built): its CLI and library rows
// run in the same alternation, so before and after are compared within one run.
const baseline = flag("baseline", undefined)
const baselineLabel = flag("baseline-label", "before")
const labDir = process.env.LAB_DIR ?? "/tmp/openstack-lab"
const work = Path.join(process.env.BENCH_DIR ?? Path.join(Os.tmpdir(), "glance-bench"))
Fs.mkdirSync(work, { recursive: true })

const readEnv = (file) =>
  Object.fromEntries(
    Fs.readFileSync(file, "utf8").split("\n").map((l) => /^(?:export\s+)?([A-Z_0-9]+)=(.*)$/.exec(l.trim())).filter(
      Boolean
    ).map((m) => [m[1], m[2]])
  )
const demo = readEnv(Path.join(labDir, "demo-openrc"))
// The 2,000 images of the pagination scenario belong to project other, so that demo's image-list stays small.
const other = readEnv(Path.join(labDir, "other-openrc"))
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")))
const glanceUrl = "http://127.0.0.1:9292"
const ours = Path.join(root, "dist/glance.js")
if (!Fs.existsSync(ours)) execFileSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "inherit" })

const freshHome = () => Fs.mkdtempSync(Path.join(work, "home-"))

/** Runs a command under /usr/bin/time; returns wall, cpu and peak RSS. */
const measure = (cmd, argv, env = {}, input) => {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", cmd, ...argv], {
    env: { ...baseEnv, ...env },
    input: input ?? "",
    maxBuffer: 1 << 26
  })
  const lines = r.stderr.toString().trim().split("\n")
  const [wall, user, sys, rssKb] = lines.pop().split(" ").map(Number)
  if (r.status !== 0) {
    throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}): ${lines.slice(-3).join(" | ")}`)
  }
  return { wall, cpu: user + sys, rss: rssKb / 1024, stdout: r.stdout.toString() }
}

const token = (env = demo) => {
  const r = spawnSync("curl", [
    "-si",
    "-X",
    "POST",
    `${demo.OS_AUTH_URL}/auth/tokens`,
    "-H",
    "content-type: application/json",
    "-d",
    JSON.stringify({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: env.OS_USERNAME, domain: { name: "Default" }, password: env.OS_PASSWORD } }
        },
        scope: { project: { name: env.OS_PROJECT_NAME, domain: { name: "Default" } } }
      }
    })
  ])
  return /x-subject-token:\s*(\S+)/i.exec(r.stdout.toString())[1]
}
const tok = token()
const api = (method, path, body, headers = {}, as = tok) => {
  const r = spawnSync("curl", [
    "-s",
    "-X",
    method,
    `${glanceUrl}${path}`,
    "-H",
    `x-auth-token: ${as}`,
    "-H",
    "content-type: application/json",
    ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    ...(body ? ["-d", JSON.stringify(body)] : [])
  ], { maxBuffer: 1 << 26 })
  const text = r.stdout.toString()
  return text ? JSON.parse(text) : undefined
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** A copy of `items` in an order fixed by `seed` (Fisher-Yates over a small LCG). */
const shuffled = (items, seed) => {
  const out = [...items]
  let x = seed * 2654435761 % 4294967296
  for (let k = out.length - 1; k > 0; k--) {
    x = (x * 1664525 + 1013904223) % 4294967296
    const j = x % (k + 1)
    ;[out[k], out[j]] = [out[j], out[k]]
  }
  return out
}

/** Alternates the contenders `reps` times; returns medians per contender. */
const alternate = (all) => {
  // --no-python: python-glanceclient's rows left out (a shorter run when they are not the question).
  const contenders = args.includes("--no-python") ? all.filter((c) => !c.name.startsWith("python")) : all
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]))
  for (let i = 0; i < reps; i++) {
    // A new order each repetition (shuffled, seeded), so no contender always runs right after the
    // same one; and the page cache is flushed between runs (a 1 GiB write left writeback busy for
    // whoever came next: +0.8 s for one row in an earlier run).
    const order = shuffled(contenders, i + 1)
    for (const c of order) {
      c.before?.()
      const sample = c.run()
      samples[c.name].push(sample)
      console.error(
        `  ${c.name}: ${sample.wall.toFixed(2)} s, ${sample.cpu.toFixed(2)} s CPU, ${sample.rss.toFixed(0)} MiB`
      )
      c.after?.()
      spawnSync("sync")
    }
  }
  return contenders.map((c) => ({
    name: c.name,
    wall: median(samples[c.name].map((s) => s.wall)),
    best: Math.min(...samples[c.name].map((s) => s.wall)),
    cpu: median(samples[c.name].map((s) => s.cpu)),
    rss: Math.max(...samples[c.name].map((s) => s.rss)),
    n: samples[c.name].length
  }))
}

const sections = []
const table = (title, rows, reference, note = "") => {
  const ref = rows.find((r) => r.name === reference)
  const lines = [
    `### ${title}`,
    "",
    ...(note ? [note, ""] : []),
    "| contender | wall median (s) | × " + reference + " | wall best (s) | CPU median (s) | peak RSS (MiB) | runs |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.name} | ${r.wall.toFixed(2)} | ${(r.wall / ref.wall).toFixed(2)} | ${r.best.toFixed(2)} | ${
        r.cpu.toFixed(2)
      } | ${r.rss.toFixed(0)} | ${r.n} |`
    ),
    ""
  ]
  sections.push(lines.join("\n"))
  console.log(lines.join("\n"))
}

// ---------------------------------------------------------------- data
const size = sizeMiB * 1024 * 1024
const source = Path.join(work, `image-${sizeMiB}m.img`)
if (!Fs.existsSync(source) || Fs.statSync(source).size !== size) {
  console.log(`writing ${sizeMiB} MiB of random data to ${source}`)
  execFileSync("head", ["-c", String(size), "/dev/urandom"], { stdio: ["ignore", Fs.openSync(source, "w"), "inherit"] })
}
const benchName = `bench-download-${sizeMiB}m`
let image = api("GET", `/v2/images?name=${benchName}&status=active`).images[0]
if (!image) {
  console.log(`uploading ${benchName} once with curl`)
  image = api("POST", "/v2/images", { name: benchName, disk_format: "raw", container_format: "bare" })
  execFileSync("curl", [
    "-s",
    "-T",
    source,
    "-X",
    "PUT",
    `${glanceUrl}/v2/images/${image.id}/file`,
    "-H",
    `x-auth-token: ${tok}`,
    "-H",
    "content-type: application/octet-stream"
  ])
}
const out = (name) => Path.join(work, `out-${name}.img`)
const rmOut = (name) => () => Fs.rmSync(out(name), { force: true })
const envDemo = { ...demo }
// Token + image URL: the same inputs curl gets (no Keystone login in the measured run).
const envToken = { OS_AUTH_TOKEN: tok, OS_IMAGE_URL: glanceUrl }

// ---------------------------------------------------------------- download
if (only.includes("download")) {
  // Warm Glance's cache (measure warm, as the issue asks).
  measure("curl", ["-s", "-o", out("warm"), `${glanceUrl}/v2/images/${image.id}/file`, "-H", `x-auth-token: ${tok}`])
  Fs.rmSync(out("warm"), { force: true })
  const rows = alternate([
    {
      name: "curl -o (no verification)",
      run: () =>
        measure("curl", [
          "-s",
          "-o",
          out("curl"),
          `${glanceUrl}/v2/images/${image.id}/file`,
          "-H",
          `x-auth-token: ${tok}`
        ]),
      after: rmOut("curl")
    },
    {
      name: "node:http pipeline (no verification)",
      run: () =>
        measure("node", [
          Path.join(root, "bench/node-floor.mjs"),
          `${glanceUrl}/v2/images/${image.id}/file`,
          tok,
          out("node")
        ]),
      after: rmOut("node")
    },
    {
      name: "python-glanceclient image-download",
      run: () =>
        measure("glance", ["image-download", image.id, "--file", out("py")], { ...envDemo, HOME: freshHome() }),
      after: rmOut("py")
    },
    {
      name: "ours: glance image-download",
      run: () => measure("node", [ours, "image-download", image.id, "--file", out("ours")], envDemo),
      after: rmOut("ours")
    },
    {
      name: "python-glanceclient image-download > file (stdout)",
      run: () =>
        measure("sh", ["-c", `exec glance image-download ${image.id} > ${out("pys")}`], {
          ...envDemo,
          HOME: freshHome()
        }),
      after: rmOut("pys")
    },
    {
      name: "ours: glance image-download > file (stdout)",
      run: () => measure("sh", ["-c", `exec node ${ours} image-download ${image.id} > ${out("ourss")}`], envDemo),
      after: rmOut("ourss")
    },
    {
      name: "ours: glance image-download (token + URL)",
      run: () => measure("node", [ours, "image-download", image.id, "--file", out("ourst")], envToken),
      after: rmOut("ourst")
    },
    {
      name: "ours: library Stream.run into FileSystem.sink",
      run: () => measure("node", [Path.join(root, "bench/lib-download.mjs"), image.id, out("lib")], envDemo),
      after: rmOut("lib")
    },
    {
      name: "ours: library Stream.run into Images.fileSink",
      run: () =>
        measure("node", [Path.join(root, "bench/lib-download.mjs"), image.id, out("libs"), "fileSink"], envDemo),
      after: rmOut("libs")
    },
    {
      name: "ours: library Images.downloadToFile",
      run: () => measure("node", [Path.join(root, "bench/lib-download.mjs"), image.id, out("libf"), "toFile"], envDemo),
      after: rmOut("libf")
    },
    ...(baseline === undefined ? [] : [
      {
        name: `${baselineLabel}: glance image-download`,
        run: () =>
          measure(
            "node",
            [Path.join(baseline, "dist/glance.js"), "image-download", image.id, "--file", out("b")],
            envDemo
          ),
        after: rmOut("b")
      },
      {
        name: `${baselineLabel}: glance image-download > file (stdout)`,
        run: () =>
          measure("sh", [
            "-c",
            `exec node ${Path.join(baseline, "dist/glance.js")} image-download ${image.id} > ${out("bs")}`
          ], envDemo),
        after: rmOut("bs")
      },
      ...[["Stream.run into FileSystem.sink", "sink"], ["Stream.run into Images.fileSink", "fileSink"], [
        "Images.downloadToFile",
        "toFile"
      ]].map(
        ([what, how]) => ({
          name: `${baselineLabel}: library ${what}`,
          run: () =>
            measure("node", [Path.join(baseline, "bench/lib-download.mjs"), image.id, out(`b${how}`), how], envDemo),
          after: rmOut(`b${how}`)
        })
      )
    ])
  ])
  table(
    `Download ${sizeMiB} MiB to a file, verified (warm cache)`,
    rows,
    "curl -o (no verification)",
    "Both glance clients verify the sha512 of the image; curl does not."
  )
  // The library target is relative to the CLI with the same inputs (a password login from OS_*).
  const cli = rows.find((r) => r.name === "ours: glance image-download")
  sections.push(
    "Library vs `glance image-download` (both log in with a password): " +
      rows.filter((r) => r.name.startsWith("ours: library")).map((r) =>
        `${r.name.slice("ours: library ".length)} ${(r.wall / cli.wall).toFixed(2)}×`
      ).join(", ") + ".",
    ""
  )
  const before = rows.find((r) => r.name === `${baselineLabel}: glance image-download`)
  if (before !== undefined) {
    sections.push(
      `The same for ${baselineLabel} (its library vs its own CLI): ` +
        rows.filter((r) => r.name.startsWith(`${baselineLabel}: library`)).map((r) =>
          `${r.name.slice(`${baselineLabel}: library `.length)} ${(r.wall / before.wall).toFixed(2)}×`
        ).join(", ") + ".",
      ""
    )
  }
}

// ---------------------------------------------------------------- upload
if (only.includes("upload")) {
  const created = []
  const fresh = () => {
    const i = api("POST", "/v2/images", { name: "bench-upload", disk_format: "raw", container_format: "bare" })
    created.push(i.id)
    return i.id
  }
  const rows = alternate([
    {
      name: "curl -T",
      run: () =>
        measure("curl", [
          "-s",
          "-T",
          source,
          "-X",
          "PUT",
          `${glanceUrl}/v2/images/${fresh()}/file`,
          "-H",
          `x-auth-token: ${tok}`,
          "-H",
          "content-type: application/octet-stream"
        ])
    },
    {
      name: "python-glanceclient image-upload",
      run: () => measure("glance", ["image-upload", "--file", source, fresh()], { ...envDemo, HOME: freshHome() })
    },
    {
      name: "ours: glance image-upload",
      run: () => measure("node", [ours, "image-upload", "--file", source, fresh()], envDemo)
    },
    {
      name: "ours: glance image-upload (token + URL)",
      run: () => measure("node", [ours, "image-upload", "--file", source, fresh()], envToken)
    },
    {
      name: "python-glanceclient image-upload < file (stdin)",
      run: () =>
        measure("sh", ["-c", `exec glance image-upload ${fresh()} < ${source}`], { ...envDemo, HOME: freshHome() })
    },
    {
      name: "ours: glance image-upload < file (stdin)",
      run: () => measure("sh", ["-c", `exec node ${ours} image-upload ${fresh()} < ${source}`], envDemo)
    },
    ...(baseline === undefined ? [] : [
      {
        name: `${baselineLabel}: glance image-upload`,
        run: () =>
          measure("node", [Path.join(baseline, "dist/glance.js"), "image-upload", "--file", source, fresh()], envDemo)
      },
      {
        name: `${baselineLabel}: glance image-upload < file (stdin)`,
        run: () =>
          measure("sh", [
            "-c",
            `exec node ${Path.join(baseline, "dist/glance.js")} image-upload ${fresh()} < ${source}`
          ], envDemo)
      }
    ])
  ])
  for (const id of created) api("DELETE", `/v2/images/${id}`)
  table(`Upload ${sizeMiB} MiB from a file`, rows, "curl -T")
}

// ---------------------------------------------------------------- transfer
if (only.includes("transfer")) {
  // The bench image of demo copied to project other (and admin): our image-transfer streams it from
  // one Glance login into another (two with --to-cloud twice) without touching disk; the way without
  // it is a download to a file followed by an upload from that file.
  const admin = readEnv(Path.join(labDir, "admin-openrc"))
  const adminTok = token(admin)
  const copyName = "bench-transfer-copy"
  const cleanCopies = () => {
    for (const i of api("GET", `/v2/images?name=${copyName}&limit=100`, undefined, {}, adminTok).images) {
      api("DELETE", `/v2/images/${i.id}`, undefined, {}, adminTok)
    }
    Fs.rmSync(out("transfer"), { force: true })
  }
  cleanCopies()
  const clouds = { OS_CLIENT_CONFIG_FILE: Path.join(labDir, "clouds.yaml") }
  const otherUpload = (cmd) =>
    `${cmd} image-create --name ${copyName} --disk-format raw --container-format bare --file ${out("transfer")}`
  // The second half runs as other: its openrc is sourced in the shell (no password on a command line).
  const asOther = `. ${Path.join(labDir, "other-openrc")} &&`
  const otherTok = token(other)
  /** A queued image in project other for curl to upload into. */
  const newCopy = () =>
    api("POST", "/v2/images", { name: copyName, disk_format: "raw", container_format: "bare" }, {}, otherTok)
  /** One row: `glance image-transfer` of a build to the given clouds (its copies deleted after). */
  const transferRow = (label, bin, targets) => ({
    name: `${label}: glance image-transfer ${targets.map((t) => `--to-cloud ${t}`).join(" ")}`,
    run: () =>
      measure("node", [
        bin,
        "image-transfer",
        image.id,
        ...targets.flatMap((t) => ["--to-cloud", t]),
        "--name",
        copyName
      ], {
        ...envDemo,
        ...clouds
      }),
    after: cleanCopies
  })
  const rows = alternate([
    {
      // The floor of streaming through one process pair: no verification, no metadata, no login.
      name: "curl piped into curl -T - (no verification)",
      run: () => {
        const copy = newCopy()
        return measure("sh", [
          "-c",
          `curl -sf ${glanceUrl}/v2/images/${image.id}/file -H "x-auth-token: $SRC_TOKEN" | curl -sf -T - -X PUT ${glanceUrl}/v2/images/${copy.id}/file -H "x-auth-token: $DST_TOKEN" -H "content-type: application/octet-stream"`
        ], { SRC_TOKEN: tok, DST_TOKEN: otherTok })
      },
      after: cleanCopies
    },
    {
      // The floor of the two halves one after the other: what streaming can gain on a Glance that
      // serves the download and takes the upload in one process is the difference with the row above.
      name: "curl -o, then curl -T (no verification)",
      run: () => {
        const copy = newCopy()
        return measure("sh", [
          "-c",
          `curl -sf -o ${
            out("transfer")
          } ${glanceUrl}/v2/images/${image.id}/file -H "x-auth-token: $SRC_TOKEN" && curl -sf -T ${
            out("transfer")
          } -X PUT ${glanceUrl}/v2/images/${copy.id}/file -H "x-auth-token: $DST_TOKEN" -H "content-type: application/octet-stream"`
        ], { SRC_TOKEN: tok, DST_TOKEN: otherTok })
      },
      after: cleanCopies
    },
    {
      name: "python-glanceclient image-download --file, then image-create --file",
      run: () =>
        measure("sh", [
          "-c",
          `glance image-download ${image.id} --file ${out("transfer")} && ${asOther} ${
            otherUpload("glance")
          } > /dev/null`
        ], { ...envDemo, HOME: freshHome() }),
      after: cleanCopies
    },
    {
      name: "ours: glance image-download --file, then image-create --file",
      run: () =>
        measure("sh", [
          "-c",
          `node ${ours} image-download ${image.id} --file ${out("transfer")} && ${asOther} ${
            otherUpload(`node ${ours}`)
          } > /dev/null`
        ], envDemo),
      after: cleanCopies
    },
    transferRow("ours", ours, ["lab-other"]),
    transferRow("ours", ours, ["lab-other", "lab-admin"]),
    // The transfer of another build (--baseline), one and two targets, in the same alternation.
    ...(baseline === undefined ? [] : [
      transferRow(baselineLabel, Path.join(baseline, "dist/glance.js"), ["lab-other"]),
      transferRow(baselineLabel, Path.join(baseline, "dist/glance.js"), ["lab-other", "lab-admin"])
    ])
  ])
  table(
    `Transfer ${sizeMiB} MiB from project demo to project other (two logins, one Glance)`,
    rows,
    "ours: glance image-download --file, then image-create --file",
    "Every glance contender verifies the source's sha512 on the way (curl does not); the download-then-upload rows write the whole image to disk in between."
  )
}

// ---------------------------------------------------------------- image-list
if (only.includes("list")) {
  const tokenEnv = { ...baseEnv, OS_AUTH_TOKEN: tok, OS_IMAGE_URL: glanceUrl }
  const rows = alternate([
    {
      name: "python-glanceclient image-list (token + URL)",
      run: () => measure("glance", ["image-list"], { ...tokenEnv, HOME: freshHome() })
    },
    { name: "ours: glance image-list (token + URL)", run: () => measure("node", [ours, "image-list"], tokenEnv) }
  ])
  table("`glance image-list`, token + image URL", rows, "python-glanceclient image-list (token + URL)")
  const rows2 = alternate([
    {
      name: "python-glanceclient image-list (password)",
      run: () => measure("glance", ["image-list"], { ...envDemo, HOME: freshHome() })
    },
    { name: "ours: glance image-list (password)", run: () => measure("node", [ours, "image-list"], envDemo) }
  ])
  table("`glance image-list`, password auth", rows2, "python-glanceclient image-list (password)")
  // The token cache (--os-token-cache): a password login once, then the kept token and catalog.
  const cacheEnv = { ...envDemo, OS_TOKEN_CACHE: "1", XDG_CACHE_HOME: Fs.mkdtempSync(Path.join(work, "cache-")) }
  measure("node", [ours, "image-list"], cacheEnv)
  const rows3 = alternate([
    { name: "ours: glance image-list (token + URL)", run: () => measure("node", [ours, "image-list"], tokenEnv) },
    {
      name: "ours: glance image-list (password, token cached)",
      run: () => measure("node", [ours, "image-list"], cacheEnv)
    }
  ])
  table(
    "`glance image-list`, password auth with the token cache",
    rows3,
    "ours: glance image-list (token + URL)",
    "Target (issue 17): password mode with a cached token within 1.2x token + URL mode."
  )
}

// ---------------------------------------------------------------- pagination
if (only.includes("paginate")) {
  const want = 2000
  const otherTok = token(other)
  const have = () => {
    let n = 0
    let next = "/v2/images?limit=1000&tag=bench-page"
    while (next) {
      const page = api("GET", next, undefined, {}, otherTok)
      n += page.images.length
      next = page.next
    }
    return n
  }
  const count = have()
  if (count < want) {
    console.log(`seeding ${want - count} image records tagged bench-page (once)`)
    for (let i = count; i < want; i++) {
      api("POST", "/v2/images", { name: `bench-page-${i}`, tags: ["bench-page"] }, {}, otherTok)
    }
  }
  const rows = alternate([
    {
      name: "python-glanceclient API (images.list, page 20)",
      run: () => measure("/usr/bin/python3", [Path.join(root, "bench/py-paginate.py")], other)
    },
    {
      name: "ours: library Images.list (page 20)",
      run: () => measure("node", [Path.join(root, "bench/lib-paginate.mjs")], other)
    }
  ])
  table(
    `Listing ${want} images through pagination (library call)`,
    rows,
    "python-glanceclient API (images.list, page 20)"
  )
}

// ---------------------------------------------------------------- report
const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).stdout.toString().trim()
const cpu = Os.cpus()[0]?.model ?? "unknown"
const report = [
  "# Benchmark results",
  "",
  `- date: ${new Date().toISOString()}`,
  `- commit: ${commit}`,
  `- machine: ${Os.cpus().length} × ${cpu}, ${
    (Os.totalmem() / 2 ** 30).toFixed(0)
  } GiB, ${Os.platform()} ${Os.release()}, node ${process.version}`,
  `- lab: Keystone + Glance 25 on loopback (scripts/lab/start.sh); user demo, and user other for the 2,000 images of the pagination scenario`,
  `- reproduce: \`npm run build && npm run bench -- --reps ${reps} --size-mib ${sizeMiB}${
    args.includes("--only") ? ` --only ${only.join(",")}` : ""
  }${args.includes("--no-python") ? " --no-python" : ""}${
    baseline === undefined ? "" : ` --baseline DIR --baseline-label ${JSON.stringify(baselineLabel)}`
  }\``,
  `- method: contenders alternate (a new shuffled order each repetition, the page cache flushed between runs), ${reps} runs each; wall and CPU (user+sys) are medians, RSS the peak, from /usr/bin/time; \"wall best\" is the fastest run (this shared machine's noise only ever adds time)`,
  "",
  ...sections
].join("\n")
const notesFile = Path.join(root, "bench/NOTES.md")
const notes = Fs.existsSync(notesFile) ? `\n${Fs.readFileSync(notesFile, "utf8")}` : ""
Fs.writeFileSync(results, report + notes)
console.log(`wrote ${results}`)
