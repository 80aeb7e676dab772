/**
 * The checker of the JSDoc examples (scripts/examples.ts, `npm run docs:examples` in CI): it finds
 * the ```ts blocks of `@example` tags, compiles them against the package, and names the file and
 * line of a broken one.
 */
import { assert, describe, it } from "@effect/vitest"
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

  it("the public modules are those of the three entry points, internals left out", () => {
    const modules = publicModules().map((f) => f.slice(f.lastIndexOf("/src/") + 1))
    for (const m of ["src/index.ts", "src/Images.ts", "src/GlanceClient.ts", "src/node/httpClient.ts"]) {
      assert.include(modules, m)
    }
    assert.include(modules, "src/testing/GlanceTest.ts")
    assert.isFalse(modules.some((m) => m.includes("/internal/") || m.startsWith("src/cli/")), modules.join(" "))
  }, 60_000)
})
