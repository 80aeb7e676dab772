/**
 * Parity with python-glanceclient's v2 shell, against the lab: docs/cli.md generated from the
 * command definitions, `glance help` / `COMMAND --help` in argparse's layout, `bash-completion`,
 * `add-location` (Image API 2.17, which the lab does not offer), and the image-create /
 * image-update flags that come from the cloud's image schema (cached on disk per endpoint).
 * Every image created here is deleted in afterAll.
 */
import { afterAll, assert, beforeEach, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import {
  cleanEnv,
  glanceBin,
  type LabUser,
  openrc,
  pythonGlance,
  repoRoot,
  requireLab,
  type RunResult,
  uniqueName
} from "../support/lab.js"

const up = requireLab()

const homes: Array<string> = []
/** A fresh HOME (so a fresh schema cache), removed in afterAll. */
const freshHome = () => {
  const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-parity-"))
  homes.push(home)
  return home
}

/** Runs our `glance` on an 80-column terminal, standard input on /dev/null. */
const glance = (
  user: LabUser | undefined,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): RunResult => {
  const result = spawnSync(process.execPath, [glanceBin, ...args], {
    env: { ...cleanEnv(), ...(user ? openrc(user) : {}), COLUMNS: "80", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000
  })
  return { stdout: result.stdout.toString(), stderr: result.stderr.toString(), status: result.status ?? -1 }
}

/** python-glanceclient's output, without its pointer to the v1 help. */
const python = (args: ReadonlyArray<string>): RunResult => {
  const r = pythonGlance("demo", args, { COLUMNS: "80" })
  return { ...r, stdout: r.stdout.replace(/\n\nRun `glance --os-image-api-version 1 help[^`]*` for v1 help\n?$/, "\n") }
}

const created: Array<string> = []

// The runs below are synchronous: let vitest's worker talk to its parent between tests.
beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)))

afterAll(() => {
  if (created.length > 0) glance("demo", ["image-delete", ...created])
  for (const home of homes) Fs.rmSync(home, { recursive: true, force: true })
})

const ok = (r: RunResult, what: string): string => {
  assert.strictEqual(r.status, 0, `${what} failed: ${r.stderr}`)
  return r.stdout
}

/** The one line of a failure on stderr. */
const oneLine = (r: RunResult): string => {
  const lines = r.stderr.split("\n").filter((l) => l.length > 0)
  assert.strictEqual(lines.length, 1, `expected one line on stderr, got: ${r.stderr}`)
  return lines[0]!
}

/** python-glanceclient's commands, as its `glance help` lists them. */
const pythonCommands = (): Array<string> => {
  const help = python(["help"]).stdout
  const section = help.slice(help.indexOf("<subcommand>\n"), help.indexOf("\nOptions:"))
  return [...section.matchAll(/^ {4}([a-z][a-z-]+)/gm)].map((m) => m[1]!)
}

/** The `--flags` and `<ARGS>` an argparse usage paragraph names. */
const usageTokens = (help: string) => {
  const usage = help.slice(0, help.indexOf("\n\n"))
  return {
    flags: new Set(usage.match(/--?[a-z][a-z-]*/g) ?? []),
    args: usage.replace(/\[[^\]]*\]/g, "").match(/<[A-Za-z_]+>/g) ?? []
  }
}

/** The section titles of an argparse help (`Positional arguments:`, `Options:`, …). */
const headings = (help: string) => help.split("\n").filter((l) => /^[A-Z][A-Za-z ]+:$/.test(l))

describe.skipIf(!up)("glance CLI parity with python-glanceclient", () => {
  describe("docs/cli.md", () => {
    const docs = Fs.readFileSync(Path.join(repoRoot, "docs/cli.md"), "utf8")
    const docsScript = (env: Record<string, string> = {}) =>
      spawnSync("npm", ["run", "-s", "docs:cli", "--", "--check"], {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        timeout: 120_000
      })

    it("is up to date with the command definitions, and --check fails when it is not", () => {
      const current = docsScript()
      assert.strictEqual(current.status, 0, current.stderr.toString())
      const stale = Path.join(freshHome(), "cli.md")
      Fs.writeFileSync(stale, docs.replace("Describe a specific image.", "Describes an image."))
      const check = docsScript({ CLI_DOCS_FILE: stale })
      assert.strictEqual(check.status, 1)
      assert.include(check.stderr.toString(), "is out of date with the command definitions: run `npm run docs:cli`")
    })

    it("has every python-glanceclient command with its usage, and add-location", () => {
      const commands = pythonCommands()
      assert.isAtLeast(commands.length, 65)
      for (const name of [...commands, "add-location"]) {
        assert.include(docs, `\n### ${name}\n`, name)
        assert.include(docs, `usage: glance ${name}`, name)
        // The docs show what `glance help COMMAND` prints.
        const usage = ok(glance(undefined, ["help", name]), `help ${name}`).split("\n\n")[0]!
        assert.include(docs, usage, name)
      }
    }, 180_000)

    it("lists the global options with their OS_* variables", () => {
      for (
        const [flag, env] of [
          ["--os-auth-url", "OS_AUTH_URL"],
          ["--os-password", "OS_PASSWORD"],
          [
            "--os-cloud",
            "OS_CLOUD"
          ],
          ["--os-image-url", "OS_IMAGE_URL"],
          ["--os-cacert <ca-certificate>", "OS_CACERT"]
        ] as const
      ) {
        assert.match(docs, new RegExp(`\\| \`${flag}\` +\\| \`${env}\` +\\|`), flag)
      }
    })
  })

  describe("help", () => {
    it("prints exactly python-glanceclient's help for commands with the same arguments", () => {
      for (
        const name of [
          "image-delete",
          "image-tag-delete",
          "image-deactivate",
          "member-delete",
          "stores-delete",
          "cache-queue",
          "md-namespace-delete",
          "help",
          "bash-completion"
        ]
      ) {
        assert.strictEqual(ok(glance(undefined, ["help", name]), name), python(["help", name]).stdout, name)
      }
    }, 180_000)

    it("has python-glanceclient's layout, flags and arguments for the others, as help X and X --help alike", () => {
      for (
        const name of [
          "image-show",
          "image-list",
          "image-create",
          "image-update",
          "image-download",
          "member-update",
          "location-add",
          "cache-clear",
          "task-create",
          "md-property-create"
        ]
      ) {
        const ours = ok(glance(undefined, ["help", name]), name)
        assert.strictEqual(ok(glance(undefined, [name, "--help"]), name), ours)
        assert.strictEqual(ok(glance(undefined, [name, "-h", "whatever"]), name), ours)
        const theirs = python(["help", name]).stdout
        assert.isTrue(ours.startsWith(`usage: glance ${name} `), ours)
        // usage, a blank line, the description, a blank line, the sections.
        assert.strictEqual(ours.split("\n\n")[1]!.length > 0, true)
        for (const heading of headings(theirs)) assert.include(headings(ours), heading, `${name}: ${heading}`)
        const mine = usageTokens(ours)
        const pythons = usageTokens(theirs)
        for (const flag of pythons.flags) assert.isTrue(mine.flags.has(flag), `${name}: ${flag}`)
        assert.deepStrictEqual(mine.args, pythons.args, name)
      }
    }, 180_000)

    it("glance help lists every command, and --help before a command is the same", () => {
      const ours = ok(glance(undefined, ["help"]), "help")
      assert.isTrue(ours.startsWith("usage: glance [--version] [-d] [-v]"))
      assert.strictEqual(ok(glance(undefined, ["--help"]), "--help"), ours)
      assert.strictEqual(ok(glance(undefined, []), "no command"), ours, "no command prints the help, as argparse")
      assert.strictEqual(ok(glance(undefined, ["--help", "image-show"]), "--help image-show"), ours)
      for (const name of [...pythonCommands(), "add-location"]) {
        assert.match(ours, new RegExp(`\\n {4}${name}( |\\n)`), name)
      }
      assert.include(ours, "\n  --os-auth-url OS_AUTH_URL\n")
      assert.isTrue(ours.endsWith(`See "glance help COMMAND" for help on a specific command.\n`))
    })

    it("an unknown command is python-glanceclient's one line, exit 1", () => {
      const r = glance(undefined, ["help", "image-nosuch"])
      assert.strictEqual(r.status, 1)
      assert.strictEqual(oneLine(r), "'image-nosuch' is not a valid subcommand")
      const theirs = python(["help", "image-nosuch"])
      assert.strictEqual(theirs.status, 1)
      assert.strictEqual(theirs.stderr.trim(), oneLine(r))
    })
  })

  describe("unknown arguments", () => {
    it("are named as argparse names them, exit 2, like python-glanceclient", () => {
      // (Global options after the command are accepted by ours; python-glanceclient refuses them.)
      for (const args of [["image-show", "--bogus", "x"], ["image-list", "--bogus"], ["image-show", "x", "y"]]) {
        const ours = glance("demo", args)
        const theirs = python(args)
        assert.strictEqual(ours.status, 2, args.join(" "))
        assert.strictEqual(theirs.status, 2, args.join(" "))
        const pythonLine = theirs.stderr.trim().split("\n").at(-1)!.replace(/^glance: error: /, "")
        assert.strictEqual(oneLine(ours), pythonLine, args.join(" "))
      }
    })
  })

  describe("md-namespace-create's flags that python-glanceclient offers but cannot use", () => {
    it("fail there whatever their value; here they are unrecognized arguments (README)", () => {
      const flags = [
        ["--created-at", "2020-01-01T00:00:00Z"],
        ["--updated-at", "2020-01-01T00:00:00Z"],
        ["--schema", "/v2/schemas/metadefs/namespace"],
        ["--self", "/v2/metadefs/namespaces/x"],
        ["--resource-type-associations", "OS::Glance::Image"]
      ]
      const names: Array<string> = []
      try {
        for (const [flag, value] of flags) {
          const name = uniqueName("it-parity-ns")
          names.push(name)
          const theirs = pythonGlance("admin", ["md-namespace-create", name, flag!, value!], { COLUMNS: "80" })
          assert.strictEqual(theirs.status, 1, `python ${flag}: ${theirs.stdout}${theirs.stderr}`)
          const ours = glance("admin", ["md-namespace-create", name, flag!, value!])
          assert.strictEqual(ours.status, 2, flag)
          assert.strictEqual(oneLine(ours), `unrecognized arguments: ${flag}`)
        }
        // Nothing was created by either client.
        const listed = ok(glance("admin", ["md-namespace-list"]), "md-namespace-list")
        for (const name of names) assert.notInclude(listed, name)
      } finally {
        for (const name of names) glance("admin", ["md-namespace-delete", name])
      }
    }, 60_000)
  })

  describe("bash-completion", () => {
    // python-glanceclient's md-namespace-create takes every property of the namespace schema,
    // the read-only ones included; ours takes the writable ones.
    const namespaceReadOnly = ["--created-at", "--updated-at", "--self", "--resource-type-associations"]

    it("prints every command and option on one line, python-glanceclient's words included", () => {
      const r = glance(undefined, ["bash-completion"])
      const lines = ok(r, "bash-completion").split("\n").filter((l) => l.length > 0)
      assert.strictEqual(lines.length, 1)
      const ours = lines[0]!.split(" ")
      assert.strictEqual(new Set(ours).size, ours.length, "no word twice")
      assert.notInclude(ours, "bash-completion")
      for (
        const word of ["help", "add-location", "image-create", "--os-distro", "--url", "-h", "--help", "--property"]
      ) {
        assert.include(ours, word)
      }
      const theirs = python(["bash-completion"]).stdout.trim().split(" ")
      const missing = theirs.filter((w) => !ours.includes(w))
      assert.deepStrictEqual(missing.sort(), [...namespaceReadOnly].sort())
      // python-glanceclient's own spelling of the command works too.
      assert.strictEqual(ok(glance(undefined, ["bash_completion"]), "bash_completion"), r.stdout)
    })
  })

  describe("add-location", () => {
    it("against a cloud without Image API v2.17: one clear line, exit 1, nothing changed", () => {
      const image = JSON.parse(
        ok(glance("demo", ["image-create", "--name", uniqueName("parity-addloc"), "-f", "json"]), "image-create")
      ) as { id: string }
      created.push(image.id)
      const r = glance("demo", ["add-location", "--url", "http://127.0.0.1:9/nowhere.img", image.id])
      assert.strictEqual(r.status, 1)
      assert.strictEqual(r.stdout, "")
      assert.match(
        oneLine(r),
        /^Adding an image location is not supported by this cloud \(needs Image API v2\.17; http:\/\/127\.0\.0\.1:9292 offers up to v2\.16\)$/
      )
      const after = JSON.parse(ok(glance("demo", ["image-show", image.id, "-f", "json"]), "image-show")) as {
        status: string
      }
      assert.strictEqual(after.status, "queued")
    })

    it("checks --validation-data as python-glanceclient before any request; --url is required", () => {
      const id = "00000000-0000-0000-0000-000000000000"
      const bad = glance("demo", ["add-location", "--url", "http://x/y", "--validation-data", "{oops", id])
      assert.strictEqual(bad.status, 1)
      assert.strictEqual(oneLine(bad), "validation-data is not a valid JSON object.")
      const key = glance("demo", [
        "add-location",
        "--url",
        "http://x/y",
        "--validation-data",
        "{\"checksum\":\"a\"}",
        id
      ])
      assert.strictEqual(
        oneLine(key),
        "Validation Data should contain only os_hash_algo and os_hash_value. `checksum` is not allowed"
      )
      const algo = glance("demo", [
        "add-location",
        "--url",
        "http://x/y",
        "--validation-data",
        "{\"os_hash_algo\":\"crc32\",\"os_hash_value\":\"a\"}",
        id
      ])
      assert.strictEqual(
        oneLine(algo),
        "os_hash_algo: `crc32` is incorrect, allowed hashing algorithms: sha512, sha256, sha1, md5"
      )
      const noUrl = glance("demo", ["add-location", id])
      assert.strictEqual(noUrl.status, 2)
      assert.include(oneLine(noUrl), "--url")
    })
  })

  describe("image-create / image-update flags from the cloud's image schema", () => {
    // The lab's Glance 25 schema has properties the static flags do not cover.
    const policy = "--cinder-encryption-key-deletion-policy"
    const schemaRequests = (stderr: string) =>
      stderr.split("\n").filter((l) => l.startsWith("REQ: curl") && l.includes("/v2/schemas/image")).length

    it("takes a property of the cloud's schema as a typed flag, cached 0600 on disk for the next run", () => {
      const home = freshHome()
      const env = { HOME: home }
      const name = uniqueName("parity-schema")
      const first = glance(
        "demo",
        ["--debug", "image-create", "--name", name, policy, "do_not_delete", "-f", "json"],
        env
      )
      const image = JSON.parse(ok(first, "image-create")) as Record<string, unknown>
      created.push(image.id as string)
      assert.strictEqual(image.cinder_encryption_key_deletion_policy, "do_not_delete")
      assert.strictEqual(schemaRequests(first.stderr), 1, "the first run asks for the schema")

      const dirs = Fs.readdirSync(Path.join(home, ".cache/glanceclient"))
      assert.strictEqual(dirs.length, 1)
      const file = Path.join(home, ".cache/glanceclient", dirs[0]!, "image_schema.json")
      assert.strictEqual(Fs.statSync(file).mode & 0o777, 0o600)
      assert.property(JSON.parse(Fs.readFileSync(file, "utf8")).properties, "cinder_encryption_key_id")

      const second = glance("demo", [
        "--debug",
        "image-update",
        image.id as string,
        "--cinder-encryption-key-id",
        "0b6e1e87-0000-4000-8000-000000000001",
        "-f",
        "json"
      ], env)
      const updated = JSON.parse(ok(second, "image-update")) as Record<string, unknown>
      assert.strictEqual(updated.cinder_encryption_key_id, "0b6e1e87-0000-4000-8000-000000000001")
      assert.strictEqual(updated.cinder_encryption_key_deletion_policy, "do_not_delete")
      assert.strictEqual(schemaRequests(second.stderr), 0, "the second run reads the disk cache")
      // --get-schema (python-glanceclient's flag) ignores the cached copy.
      const refreshed = glance("demo", [
        "--debug",
        "--get-schema",
        "image-update",
        image.id as string,
        policy,
        "on_image_deletion",
        "-f",
        "json"
      ], env)
      assert.strictEqual(
        (JSON.parse(ok(refreshed, "image-update")) as Record<string, unknown>).cinder_encryption_key_deletion_policy,
        "on_image_deletion"
      )
      assert.strictEqual(schemaRequests(refreshed.stderr), 1, "--get-schema fetches the schema again")

      // glance help shows the cloud's flags once the schema is cached (and not before).
      const help = ok(glance("demo", ["help", "image-create"], env), "help")
      assert.include(help, `[${policy} <CINDER_ENCRYPTION_KEY_DELETION_POLICY>]`)
      assert.include(help, "Valid values: on_image_deletion, do_not_delete")
      assert.notInclude(ok(glance("demo", ["help", "image-create"], { HOME: freshHome() }), "help"), policy)
    })

    it("image-create-via-import takes them too, as python-glanceclient's does", () => {
      const name = uniqueName("parity-schema-import")
      const data = Path.join(freshHome(), "data.raw")
      Fs.writeFileSync(data, "imported with a schema flag\n")
      const r = glance("demo", [
        "image-create-via-import",
        "--name",
        name,
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--file",
        data,
        policy,
        "do_not_delete",
        "-f",
        "json"
      ])
      const image = JSON.parse(ok(r, "image-create-via-import")) as Record<string, unknown>
      created.push(image.id as string)
      assert.strictEqual(image.cinder_encryption_key_deletion_policy, "do_not_delete")
      const unknown = glance("demo", ["image-create-via-import", "--name", name, "--no-such-property", "1"])
      assert.strictEqual(unknown.status, 2)
      assert.strictEqual(oneLine(unknown), "unrecognized arguments: --no-such-property")
    })

    it("an enum value the schema does not allow: the allowed values listed, exit 2, no image", () => {
      const name = uniqueName("parity-enum")
      const r = glance("demo", ["image-create", "--name", name, policy, "sometimes"], { HOME: freshHome() })
      assert.strictEqual(r.status, 2)
      assert.strictEqual(
        oneLine(r),
        `argument ${policy}: invalid choice: 'sometimes' (choose from 'on_image_deletion', 'do_not_delete')`
      )
      assert.notInclude(ok(glance("demo", ["image-list"]), "image-list"), name)
    })

    it("a flag the schema does not declare: 'unrecognized arguments', exit 2, no image, with or without a cache", () => {
      const home = freshHome()
      for (const _ of [1, 2]) {
        const name = uniqueName("parity-unknown")
        const r = glance("demo", ["image-create", "--name", name, "--no-such-property", "x"], { HOME: home })
        assert.strictEqual(r.status, 2)
        assert.strictEqual(oneLine(r), "unrecognized arguments: --no-such-property")
        assert.notInclude(ok(glance("demo", ["image-list"]), "image-list"), name)
      }
      // A read-only property of the schema is no flag either.
      const readOnly = glance("demo", ["image-update", "00000000-0000-0000-0000-000000000000", "--checksum", "x"], {
        HOME: home
      })
      assert.strictEqual(oneLine(readOnly), "unrecognized arguments: --checksum")
      assert.strictEqual(readOnly.status, 2)
    })

    it("the cache follows $XDG_CACHE_HOME", () => {
      const cache = freshHome()
      const r = glance("demo", ["image-create", "--name", uniqueName("parity-xdg"), "--nope", "1"], {
        HOME: freshHome(),
        XDG_CACHE_HOME: cache
      })
      assert.strictEqual(r.status, 2)
      const dirs = Fs.readdirSync(Path.join(cache, "glanceclient"))
      assert.strictEqual(dirs.length, 1)
      assert.isTrue(Fs.existsSync(Path.join(cache, "glanceclient", dirs[0]!, "image_schema.json")))
    })
  })
})
