/**
 * Parity with python-glanceclient's v2 shell, against the lab: docs/cli.md generated from the
 * command definitions, `glance help` / `COMMAND --help` in argparse's layout, `bash-completion`,
 * `add-location` (Image API 2.17, which the lab does not offer), and the image-create /
 * image-update flags that come from the cloud's image schema (cached on disk per endpoint).
 * Every image created here is deleted in afterAll.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { type LabUser, repoRoot, requireLab, runGlance, runPython, type RunResult, uniqueName } from "../support/lab.js"
import { mapPool } from "../support/pool.js"
import { run } from "../support/run.js"

const up = requireLab()

const homes: Array<string> = []
/** A fresh HOME (so a fresh schema cache), removed in afterAll. */
const freshHome = () => {
  const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-parity-"))
  homes.push(home)
  return home
}

/** Runs our `glance` on an 80-column terminal, standard input on /dev/null. */
const glance = (user: LabUser | undefined, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  runGlance(user, args, { env: { COLUMNS: "80", ...env }, stdin: "ignore" })

/** python-glanceclient's output (as demo, or `user`), without its pointer to the v1 help. */
const python = async (args: ReadonlyArray<string>, user: LabUser = "demo"): Promise<RunResult> => {
  const r = await runPython(user, args, { env: { COLUMNS: "80" } })
  return { ...r, stdout: r.stdout.replace(/\n\nRun `glance --os-image-api-version 1 help[^`]*` for v1 help\n?$/, "\n") }
}

const created: Array<string> = []

afterAll(async () => {
  if (created.length > 0) await glance("demo", ["image-delete", ...created])
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

let pythonHelp: Promise<RunResult> | undefined

/** python-glanceclient's commands, as its `glance help` lists them (asked once for the file). */
const pythonCommands = async (): Promise<Array<string>> => {
  pythonHelp ??= python(["help"])
  const help = (await pythonHelp).stdout
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
      run("npm", ["run", "-s", "docs:cli", "--", "--check"], {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        stdin: "ignore",
        timeout: 120_000
      })

    it("is up to date with the command definitions, and --check fails when it is not", async () => {
      const stale = Path.join(freshHome(), "cli.md")
      Fs.writeFileSync(stale, docs.replace("Describe a specific image.", "Describes an image."))
      const [current, check] = await Promise.all([docsScript(), docsScript({ CLI_DOCS_FILE: stale })])
      assert.strictEqual(current.status, 0, current.stderr)
      assert.strictEqual(check.status, 1)
      assert.include(check.stderr, "is out of date with the command definitions: run `npm run docs:cli`")
    }, 180_000)

    it("has every python-glanceclient command with its usage, and add-location", async () => {
      const commands = await pythonCommands()
      assert.isAtLeast(commands.length, 65)
      const names = [...commands, "add-location"]
      const helps = await mapPool(names, 4, (name) => glance(undefined, ["help", name]))
      for (const [i, name] of names.entries()) {
        assert.include(docs, `\n### ${name}\n`, name)
        assert.include(docs, `usage: glance ${name}`, name)
        // The docs show what `glance help COMMAND` prints.
        const usage = ok(helps[i]!, `help ${name}`).split("\n\n")[0]!
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
    it("prints exactly python-glanceclient's help for commands with the same arguments", async () => {
      const names = [
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
      const helps = await mapPool(
        names,
        3,
        (name) => Promise.all([glance(undefined, ["help", name]), python(["help", name])])
      )
      for (const [i, name] of names.entries()) {
        const [ours, theirs] = helps[i]!
        assert.strictEqual(ok(ours, name), theirs.stdout, name)
      }
    }, 180_000)

    it(
      "has python-glanceclient's layout, flags and arguments for the others, as help X and X --help alike",
      async () => {
        const names = [
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
        const helps = await mapPool(names, 2, (name) =>
          Promise.all([
            glance(undefined, ["help", name]),
            glance(undefined, [name, "--help"]),
            glance(undefined, [name, "-h", "whatever"]),
            python(["help", name])
          ]))
        for (const [i, name] of names.entries()) {
          const [help, dashDashHelp, dashH, python] = helps[i]!
          const ours = ok(help, name)
          assert.strictEqual(ok(dashDashHelp, name), ours)
          assert.strictEqual(ok(dashH, name), ours)
          const theirs = python.stdout
          assert.isTrue(ours.startsWith(`usage: glance ${name} `), ours)
          // usage, a blank line, the description, a blank line, the sections.
          assert.strictEqual(ours.split("\n\n")[1]!.length > 0, true)
          for (const heading of headings(theirs)) assert.include(headings(ours), heading, `${name}: ${heading}`)
          const mine = usageTokens(ours)
          const pythons = usageTokens(theirs)
          for (const flag of pythons.flags) assert.isTrue(mine.flags.has(flag), `${name}: ${flag}`)
          assert.deepStrictEqual(mine.args, pythons.args, name)
        }
      },
      180_000
    )

    it("glance help lists every command, and --help before a command is the same", async () => {
      const [help, dashDashHelp, none, helpFirst, commands] = await Promise.all([
        glance(undefined, ["help"]),
        glance(undefined, ["--help"]),
        glance(undefined, []),
        glance(undefined, ["--help", "image-show"]),
        pythonCommands()
      ])
      const ours = ok(help, "help")
      assert.isTrue(ours.startsWith("usage: glance [--version] [-d] [-v]"))
      assert.strictEqual(ok(dashDashHelp, "--help"), ours)
      assert.strictEqual(ok(none, "no command"), ours, "no command prints the help, as argparse")
      assert.strictEqual(ok(helpFirst, "--help image-show"), ours)
      for (const name of [...commands, "add-location"]) {
        assert.match(ours, new RegExp(`\\n {4}${name}( |\\n)`), name)
      }
      assert.include(ours, "\n  --os-auth-url OS_AUTH_URL\n")
      assert.isTrue(ours.endsWith(`See "glance help COMMAND" for help on a specific command.\n`))
    })

    it("an unknown command is python-glanceclient's one line, exit 1", async () => {
      const [r, theirs] = await Promise.all([
        glance(undefined, ["help", "image-nosuch"]),
        python(["help", "image-nosuch"])
      ])
      assert.strictEqual(r.status, 1)
      assert.strictEqual(oneLine(r), "'image-nosuch' is not a valid subcommand")
      assert.strictEqual(theirs.status, 1)
      assert.strictEqual(theirs.stderr.trim(), oneLine(r))
    })
  })

  describe("unknown arguments", () => {
    it("are named as argparse names them, exit 2, like python-glanceclient", async () => {
      // (Global options after the command are accepted by ours; python-glanceclient refuses them.)
      const cases = [["image-show", "--bogus", "x"], ["image-list", "--bogus"], ["image-show", "x", "y"]]
      const results = await Promise.all(cases.map((args) => Promise.all([glance("demo", args), python(args)])))
      for (const [i, args] of cases.entries()) {
        const [ours, theirs] = results[i]!
        assert.strictEqual(ours.status, 2, args.join(" "))
        assert.strictEqual(theirs.status, 2, args.join(" "))
        const pythonLine = theirs.stderr.trim().split("\n").at(-1)!.replace(/^glance: error: /, "")
        assert.strictEqual(oneLine(ours), pythonLine, args.join(" "))
      }
    })
  })

  describe("md-namespace-create's flags that python-glanceclient offers but cannot use", () => {
    it("fail there whatever their value; here they are unrecognized arguments (README)", async () => {
      const flags = [
        ["--created-at", "2020-01-01T00:00:00Z"],
        ["--updated-at", "2020-01-01T00:00:00Z"],
        ["--schema", "/v2/schemas/metadefs/namespace"],
        ["--self", "/v2/metadefs/namespaces/x"],
        ["--resource-type-associations", "OS::Glance::Image"]
      ]
      const names = flags.map(() => uniqueName("it-parity-ns"))
      try {
        const results = await Promise.all(flags.map(([flag, value], i) => {
          const args = ["md-namespace-create", names[i]!, flag!, value!]
          return Promise.all([python(args, "admin"), glance("admin", args)])
        }))
        for (const [i, [flag]] of flags.entries()) {
          const [theirs, ours] = results[i]!
          assert.strictEqual(theirs.status, 1, `python ${flag}: ${theirs.stdout}${theirs.stderr}`)
          assert.strictEqual(ours.status, 2, flag)
          assert.strictEqual(oneLine(ours), `unrecognized arguments: ${flag}`)
        }
        // Nothing was created by either client.
        const listed = ok(await glance("admin", ["md-namespace-list"]), "md-namespace-list")
        for (const name of names) assert.notInclude(listed, name)
      } finally {
        await Promise.all(names.map((name) => glance("admin", ["md-namespace-delete", name])))
      }
    })
  })

  describe("a command's own mistakes, checked from the command table", () => {
    it("are argparse's words, as python-glanceclient prints them after its usage, before any request", async () => {
      const cases = [
        ["image-list", "--limit", "ten"],
        ["image-list", "--sort-dir", "up"],
        ["image-list", "--page-size"],
        ["image-list", "--so", "name"],
        ["task-list", "--page-size=x"],
        ["image-show"],
        ["image-show", "a", "b", "--nosuch"],
        ["image-delete"],
        ["member-update", "a", "b", "maybe"],
        ["md-tag-create", "ns"]
      ]
      const results = await mapPool(cases, 4, (args) => Promise.all([python(args), glance("demo", args)]))
      for (const [i, args] of cases.entries()) {
        const [theirs, ours] = results[i]!
        assert.strictEqual(theirs.status, 2, args.join(" "))
        assert.strictEqual(ours.status, 2, args.join(" "))
        const said = theirs.stderr.trim().split("\n").at(-1)!.replace(/^glance( [a-z-]+)?: error: /, "")
        assert.strictEqual(oneLine(ours), said, args.join(" "))
      }
    }, 120_000)

    it("an abbreviated option, and --include-stores with or without its value, are taken as argparse takes them", async () => {
      const lines = [
        ["image-list", "--lim", "1", "--sort-k", "name"],
        ["image-list", "--limit", "1", "--include-stores"],
        ["image-list", "--limit", "1", "--include-stores", "False"]
      ]
      const results = await Promise.all(lines.map((args) => Promise.all([python(args), glance("demo", args)])))
      // Other files create images meanwhile: the same table, one row at most, not the same row.
      const rows = (out: string) => out.split("\n").filter((l) => l.startsWith("| "))
      for (const [i, [theirs, ours]] of results.entries()) {
        assert.strictEqual(theirs.status, 0, theirs.stderr)
        const [header, ...mine] = rows(ok(ours, lines[i]!.join(" ")))
        assert.strictEqual(header, rows(theirs.stdout)[0], lines[i]!.join(" "))
        assert.isAtMost(mine.length, 1)
      }
      assert.include(rows(results[1]![1].stdout)[0], "Stores")
      assert.notInclude(rows(results[2]![1].stdout)[0], "Stores")
    })
  })

  describe("bash-completion", () => {
    // python-glanceclient's md-namespace-create takes every property of the namespace schema,
    // the read-only ones included; ours takes the writable ones.
    const namespaceReadOnly = ["--created-at", "--updated-at", "--self", "--resource-type-associations"]

    it("prints every command and option on one line, python-glanceclient's words included", async () => {
      const [r, pythons, underscored] = await Promise.all([
        glance(undefined, ["bash-completion"]),
        python(["bash-completion"]),
        glance(undefined, ["bash_completion"])
      ])
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
      const theirs = pythons.stdout.trim().split(" ")
      const missing = theirs.filter((w) => !ours.includes(w))
      assert.deepStrictEqual(missing.sort(), [...namespaceReadOnly].sort())
      // python-glanceclient's own spelling of the command works too.
      assert.strictEqual(ok(underscored, "bash_completion"), r.stdout)
    })
  })

  describe("add-location", () => {
    it("against a cloud without Image API v2.17: one clear line, exit 1, nothing changed", async () => {
      const image = JSON.parse(
        ok(await glance("demo", ["image-create", "--name", uniqueName("parity-addloc"), "-f", "json"]), "image-create")
      ) as { id: string }
      created.push(image.id)
      const r = await glance("demo", ["add-location", "--url", "http://127.0.0.1:9/nowhere.img", image.id])
      assert.strictEqual(r.status, 1)
      assert.strictEqual(r.stdout, "")
      assert.match(
        oneLine(r),
        /^Adding an image location is not supported by this cloud \(needs Image API v2\.17; http:\/\/127\.0\.0\.1:9292 offers up to v2\.16\)$/
      )
      const after = JSON.parse(ok(await glance("demo", ["image-show", image.id, "-f", "json"]), "image-show")) as {
        status: string
      }
      assert.strictEqual(after.status, "queued")
    })

    it("checks --validation-data as python-glanceclient before any request; --url is required", async () => {
      const id = "00000000-0000-0000-0000-000000000000"
      const withData = (data: string) => ["add-location", "--url", "http://x/y", "--validation-data", data, id]
      const [bad, key, algo, noUrl] = await Promise.all([
        glance("demo", withData("{oops")),
        glance("demo", withData("{\"checksum\":\"a\"}")),
        glance("demo", withData("{\"os_hash_algo\":\"crc32\",\"os_hash_value\":\"a\"}")),
        glance("demo", ["add-location", id])
      ])
      assert.strictEqual(bad.status, 1)
      assert.strictEqual(oneLine(bad), "validation-data is not a valid JSON object.")
      assert.strictEqual(
        oneLine(key),
        "Validation Data should contain only os_hash_algo and os_hash_value. `checksum` is not allowed"
      )
      assert.strictEqual(
        oneLine(algo),
        "os_hash_algo: `crc32` is incorrect, allowed hashing algorithms: sha512, sha256, sha1, md5"
      )
      assert.strictEqual(noUrl.status, 2)
      assert.include(oneLine(noUrl), "--url")
    })
  })

  describe("image-create / image-update flags from the cloud's image schema", () => {
    // The lab's Glance 25 schema has properties the static flags do not cover.
    const policy = "--cinder-encryption-key-deletion-policy"
    const schemaRequests = (stderr: string) =>
      stderr.split("\n").filter((l) => l.startsWith("REQ: curl") && l.includes("/v2/schemas/image")).length

    it("takes a property of the cloud's schema as a typed flag, cached 0600 on disk for the next run", async () => {
      const home = freshHome()
      const env = { HOME: home }
      const name = uniqueName("parity-schema")
      const first = await glance(
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

      const second = await glance("demo", [
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
      const refreshed = await glance("demo", [
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
      const help = ok(await glance("demo", ["help", "image-create"], env), "help")
      assert.include(help, `[${policy} <CINDER_ENCRYPTION_KEY_DELETION_POLICY>]`)
      assert.include(help, "Valid values: on_image_deletion, do_not_delete")
      assert.notInclude(ok(await glance("demo", ["help", "image-create"], { HOME: freshHome() }), "help"), policy)
    })

    it("image-create-via-import takes them too, as python-glanceclient's does", async () => {
      const name = uniqueName("parity-schema-import")
      const data = Path.join(freshHome(), "data.raw")
      Fs.writeFileSync(data, "imported with a schema flag\n")
      const r = await glance("demo", [
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
      const unknown = await glance("demo", ["image-create-via-import", "--name", name, "--no-such-property", "1"])
      assert.strictEqual(unknown.status, 2)
      assert.strictEqual(oneLine(unknown), "unrecognized arguments: --no-such-property")
    })

    it("an enum value the schema does not allow: the allowed values listed, exit 2, no image", async () => {
      const name = uniqueName("parity-enum")
      const r = await glance("demo", ["image-create", "--name", name, policy, "sometimes"], { HOME: freshHome() })
      assert.strictEqual(r.status, 2)
      assert.strictEqual(
        oneLine(r),
        `argument ${policy}: invalid choice: 'sometimes' (choose from 'on_image_deletion', 'do_not_delete')`
      )
      assert.notInclude(
        ok(await glance("demo", ["image-list", "--property-filter", `name=${name}`]), "image-list"),
        name
      )
    })

    it("a flag the schema does not declare: 'unrecognized arguments', exit 2, no image, with or without a cache", async () => {
      const home = freshHome()
      for (const _ of [1, 2]) {
        const name = uniqueName("parity-unknown")
        const r = await glance("demo", ["image-create", "--name", name, "--no-such-property", "x"], { HOME: home })
        assert.strictEqual(r.status, 2)
        assert.strictEqual(oneLine(r), "unrecognized arguments: --no-such-property")
        assert.notInclude(
          ok(await glance("demo", ["image-list", "--property-filter", `name=${name}`]), "image-list"),
          name
        )
      }
      // A read-only property of the schema is no flag either.
      const readOnly = await glance(
        "demo",
        ["image-update", "00000000-0000-0000-0000-000000000000", "--checksum", "x"],
        {
          HOME: home
        }
      )
      assert.strictEqual(oneLine(readOnly), "unrecognized arguments: --checksum")
      assert.strictEqual(readOnly.status, 2)
    })

    it("the cache follows $XDG_CACHE_HOME", async () => {
      const cache = freshHome()
      const r = await glance("demo", ["image-create", "--name", uniqueName("parity-xdg"), "--nope", "1"], {
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
