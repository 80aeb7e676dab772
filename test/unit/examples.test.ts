/**
 * The checker of the JSDoc examples (scripts/examples.ts, `npm run docs:examples` in CI): it finds
 * the ```ts blocks of `@example` tags, compiles them against the package, and names the file and
 * line of a broken one.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"
import { checkExamples, examplesOf, publicModules } from "../../scripts/examples.js"

const source = [
  "/**",
  " * Lists images.",
  " *",
  " * @example",
  " * ```ts",
  " * import { Effect, Stream } from \"effect\"",
  " * import { Images } from \"glanceclient\"",
  " *",
  " * const all = Effect.flatMap(Images.Images, (images) => Stream.runCollect(images.list()))",
  " * ```",
  " *",
  " * @example",
  " * ```ts",
  " * import { Effect } from \"effect\"",
  " * import { Images } from \"glanceclient\"",
  " * import { GlanceTest } from \"glanceclient/testing\"",
  " *",
  " * const broken = Effect.flatMap(Images.Images, (images) => images.lisst())",
  " * const wrongType: number = Effect.provide(broken, GlanceTest.layer())",
  " * ```",
  " *",
  " * ```ts",
  " * not an example: the second block of a tag is prose of its own",
  " * ```",
  " */",
  "export const x = 1"
].join("\n")

describe("JSDoc examples", () => {
  it("finds the first ```ts block of each @example tag, with the line each starts on", () => {
    const examples = examplesOf("src/Fixture.ts", source)
    assert.deepStrictEqual(examples.map((e) => e.line), [6, 14])
    assert.include(examples[0]!.code, "images.list()")
    assert.notInclude(examples[0]!.code, " * ")
  })

  it("a correct example compiles; a broken one fails at its source line", () => {
    const problems = checkExamples(examplesOf("src/Fixture.ts", source))
    assert.strictEqual(problems.length, 2, problems.join("\n"))
    assert.match(problems[0]!, /^src\/Fixture\.ts:18: TS2551: Property 'lisst' does not exist/)
    assert.match(problems[1]!, /^src\/Fixture\.ts:19: TS2322: /)
  }, 60_000)

  it("the public modules are the three entry points and the modules they re-export", () => {
    const modules = publicModules().map((f) => f.slice(f.lastIndexOf("/src/") + 1))
    for (const m of ["src/index.ts", "src/Images.ts", "src/GlanceClient.ts", "src/node/httpClient.ts"]) {
      assert.include(modules, m)
    }
    assert.include(modules, "src/testing/GlanceTest.ts")
    assert.isFalse(
      modules.some((m) => m.includes("/internal/") || m.startsWith("src/cli/") || m === "src/node/blockGet.ts"),
      modules.join(" ")
    )
  }, 60_000)
})

describe("@since and @category", () => {
  it("every export of the public modules carries both (the API reference shows them), @internal ones aside", () => {
    const missing: Array<string> = []
    let exports = 0
    for (const file of publicModules()) {
      const source = ts.createSourceFile(file, Fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true)
      for (const statement of source.statements) {
        const exported = ts.canHaveModifiers(statement) &&
          (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
        if (!exported && !ts.isExportDeclaration(statement)) continue
        if (ts.isExportDeclaration(statement)) {
          // `export type { A } from "./internal/x.js"`: the tags are on A where it is declared.
          const from = Path.resolve(
            Path.dirname(file),
            (statement.moduleSpecifier as ts.StringLiteral).text.replace(/\.js$/, ".ts")
          )
          const names = statement.exportClause !== undefined && ts.isNamedExports(statement.exportClause)
            ? statement.exportClause.elements.map((e) => e.name.text)
            : []
          const declared = ts.createSourceFile(from, Fs.readFileSync(from, "utf8"), ts.ScriptTarget.ES2022, true)
          for (const name of names) {
            exports++
            const declaration = declared.statements.find((d) =>
              (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isClassDeclaration(d)) &&
              d.name?.text === name
            )
            const tags = declaration === undefined ? [] : ts.getJSDocTags(declaration).map((t) => t.tagName.text)
            for (const tag of ["since", "category"]) {
              if (!tags.includes(tag)) missing.push(`${Path.relative(".", from)}: ${name}: no @${tag}`)
            }
          }
          continue
        }
        const tags = ts.getJSDocTags(
          ts.isVariableStatement(statement) ? statement.declarationList.declarations[0]! : statement
        ).map((t) => t.tagName.text)
        if (tags.includes("internal")) continue
        exports++
        const name = statement.getText(source).split("\n")[0]!.slice(0, 60)
        for (const tag of ["since", "category"]) {
          if (!tags.includes(tag)) missing.push(`${file.slice(file.lastIndexOf("/src/") + 1)}: ${name}: no @${tag}`)
        }
      }
    }
    assert.isAbove(exports, 250)
    assert.deepStrictEqual(missing, [])
  })
})
