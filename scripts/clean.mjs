// Empties dist/ before a build, so the package never carries the output of a module that is gone.
import * as Fs from "node:fs"

Fs.rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true })
