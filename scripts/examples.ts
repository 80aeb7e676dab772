// Type-checks the examples of the public JSDoc, as @effect/docgen does: every ```ts block after an
// `@example` tag in the modules of the public entry points is compiled, as a module of its own,
// against the package (`glanceclient`, `glanceclient/node`, `glanceclient/testing` mapped to src/)
// with the project's compiler options. A broken example fails with its file and line.
//   npm run docs:examples    exit 1 when an example does not compile (CI)
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"

const root = Path.resolve(import.meta.dirname, "..")

/** One example: the (first) ```ts block of an `@example` tag, and the line of the source it starts on (1-based). */
export interface Example {
  readonly file: string
  readonly line: number
  readonly code: string
}

/** The examples of the JSDoc comments of one source file. */
export const examplesOf = (file: string, text: string): Array<Example> => {
  const found: Array<Example> = []
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const start = text.slice(0, comment.index).split("\n").length
    // The comment's lines without their leading ` * `.
    const lines = comment[0].split("\n").map((l) => l.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/$/, ""))
    let inExample = false
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      if (/^@\w+/.test(line)) inExample = line.startsWith("@example")
      if (!inExample || !/^```(ts|typescript)\s*$/.test(line)) continue
      const end = lines.findIndex((l, j) => j > i && l.startsWith("```"))
      if (end === -1) throw new Error(`${file}:${start + i}: an @example block is not closed`)
      found.push({ file, line: start + i + 1, code: lines.slice(i + 1, end).join("\n") })
      // One block per tag: prose and other blocks after it are the tag's explanation, not code to compile.
      inExample = false
      i = end
    }
  }
  return found
}

/**
 * The modules of the public entry points (and so of the API reference, as `typedoc.json` documents
 * it): the three entry points and the modules they re-export (`export * as Images from "./Images.js"`).
 */
export const publicModules = (): Array<string> => {
  const entries = ["src/index.ts", "src/node/index.ts", "src/testing/index.ts"].map((f) => Path.join(root, f))
  const reexported = entries.flatMap((entry) =>
    [...Fs.readFileSync(entry, "utf8").matchAll(/^export \* as \w+ from "(\.[^"]+)\.js"$/gm)].map((m) =>
      Path.join(Path.dirname(entry), `${m[1]}.ts`)
    )
  )
  return [...entries, ...reexported].sort()
}

/** The compiler's complaints about the examples, one line each (`file:line: message`); empty when they compile. */
export const checkExamples = (examples: ReadonlyArray<Example>): Array<string> => {
  const config = ts.getParsedCommandLineOfConfigFile(Path.join(root, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    }
  })!
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    // An example shows a value it does not use, as @effect/docgen's do.
    noUnusedLocals: false,
    noUnusedParameters: false,
    baseUrl: root,
    paths: {
      glanceclient: ["src/index.ts"],
      "glanceclient/node": ["src/node/index.ts"],
      "glanceclient/testing": ["src/testing/index.ts"]
    }
  }
  // Each example is a virtual module in a folder of the project, so `effect` resolves from node_modules.
  const virtual = new Map(examples.map((e, i) => [Path.join(root, ".examples", `example${i}.ts`), e]))
  const host = ts.createCompilerHost(options)
  const { fileExists, getSourceFile, readFile } = host
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f)
  host.readFile = (f) => virtual.get(f)?.code ?? readFile.call(host, f)
  host.getSourceFile = (f, language, ...rest) => {
    const example = virtual.get(f)
    return example !== undefined
      ? ts.createSourceFile(f, example.code, language, true)
      : getSourceFile.call(host, f, language, ...rest)
  }
  const program = ts.createProgram([...virtual.keys()], options, host)
  const problems: Array<string> = []
  for (const [f, example] of virtual) {
    const source = program.getSourceFile(f)!
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { line } = source.getLineAndCharacterOfPosition(d.start ?? 0)
      const message = ts.flattenDiagnosticMessageText(d.messageText, " ")
      problems.push(`${Path.relative(root, example.file)}:${example.line + line}: TS${d.code}: ${message}`)
    }
  }
  return problems
}

if (import.meta.filename === Path.resolve(process.argv[1] ?? "")) {
  const examples = publicModules().flatMap((f) => examplesOf(f, Fs.readFileSync(f, "utf8")))
  if (examples.length === 0) {
    console.error("No @example block found in the public modules: the extraction is broken")
    process.exit(1)
  }
  const problems = checkExamples(examples)
  for (const p of problems) console.error(p)
  console.log(
    `${examples.length} examples in ${new Set(examples.map((e) => e.file)).size} modules: ${
      problems.length === 0 ? "they compile" : `${problems.length} errors`
    }`
  )
  if (problems.length > 0) process.exit(1)
}
