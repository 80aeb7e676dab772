// Sums the lines test/support/assertionCount.ts wrote (ASSERTION_COUNTS=FILE) per test file:
//   node scripts/assertion-counts.mjs FILE            one "checks tests file" line per file, and the total
//   node scripts/assertion-counts.mjs FILE --json     the same as a JSON object
import * as Fs from "node:fs"

const [file, flag] = process.argv.slice(2)
if (file === undefined) {
  console.error("usage: node scripts/assertion-counts.mjs FILE [--json]")
  process.exit(2)
}
const perFile = new Map()
for (const line of Fs.readFileSync(file, "utf8").split("\n")) {
  if (line.trim() === "") continue
  const r = JSON.parse(line)
  // From test/ on, so that counts taken in two checkouts compare.
  const name = r.file.slice(r.file.lastIndexOf("/test/") + 1)
  const entry = perFile.get(name) ?? { checks: 0, tests: 0 }
  entry.checks += r.checks
  entry.tests += r.tests ?? 1
  perFile.set(name, entry)
}
const sorted = [...perFile.entries()].sort(([a], [b]) => a.localeCompare(b))
if (flag === "--json") {
  console.log(JSON.stringify(Object.fromEntries(sorted), null, 2))
} else {
  let checks = 0
  let tests = 0
  for (const [name, e] of sorted) {
    console.log(`${String(e.checks).padStart(7)} ${String(e.tests).padStart(5)}  ${name}`)
    checks += e.checks
    tests += e.tests
  }
  console.log(`${String(checks).padStart(7)} ${String(tests).padStart(5)}  total (checks, tests)`)
}
