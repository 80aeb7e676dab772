// Bundles the `glance` executable into one minified, tree-shaken file for a fast start-up.
import * as esbuild from "esbuild"

await esbuild.build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/glance.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  // Written for debugging next to the bundle, not referenced from it (and not in the package).
  sourcemap: "external",
  banner: {
    js:
      "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
  },
  logLevel: "warning"
})
