#!/usr/bin/env bash
# The whole test suite, as CI runs it: install, format check, type check, build, start the OpenStack
# lab (Keystone + Glance on loopback, see scripts/lab/start.sh) and the tools tests make disk
# images with (scripts/test-tools.sh), then run the whole
# test suite (unit and integration).  Exits with the test runner's status.
set -euo pipefail
cd "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

section() { printf '\n==================== %s ====================\n' "$*"; }

section "npm ci"
npm ci

section "format check (npm run fmt:check)"
npm run fmt:check

section "type check (npm run check)"
npm run check

section "build (npm run build)"
npm run build
npm run docs:cli -- --check # docs/cli.md must match the command definitions (regenerate: npm run docs:cli)
npm run docs:api -- --check # docs/api/ must match the JSDoc of the public modules (regenerate: npm run docs:api)
npm run docs:examples       # every @example of the public JSDoc must compile against the package

section "test tools (scripts/test-tools.sh: qemu-img, compressors, genisoimage, sfdisk)"
bash scripts/test-tools.sh

section "OpenStack lab (scripts/lab/start.sh)"
bash scripts/lab/start.sh

section "tests (vitest run: unit + integration)"
status=0
results=$(mktemp)
started=$(date +%s)
CI=true npx vitest run --reporter=default --reporter=json --outputFile="$results" || status=$?
section "done: tests exited with status $status after $(($(date +%s) - started)) s"
# The slowest files (test files run side by side, so these add up to more than the run took),
# then the plain closing line CI reads, last: "tests: N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  const root = process.cwd() + "/"
  const files = r.testResults
    .map((f) => ({ name: f.name.replace(root, ""), ms: f.endTime - f.startTime, status: f.status }))
    .sort((a, b) => b.ms - a.ms)
  console.log("slowest test files:")
  for (const f of files.slice(0, 10)) {
    console.log(`  ${(f.ms / 1000).toFixed(1).padStart(7)} s  ${f.name}${f.status === "passed" ? "" : ` (${f.status})`}`)
  }
  if (process.argv[2] !== "0" && r.numFailedTests === 0) {
    console.log(`the runner failed (exit ${process.argv[2]}) with no failed test: an unhandled error or a file that did not load (see above)`)
  }
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)
' "$results" "$status" || echo "tests: no results file (the runner did not finish)"
rm -f "$results"
exit "$status"
