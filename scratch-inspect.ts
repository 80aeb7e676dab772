import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ImageInspector from "./src/ImageInspector.js"
import * as NodeDecompression from "./src/node/decompression.js"
const files = process.argv.slice(2)
for (const f of files) {
  const r = await Effect.runPromise(
    ImageInspector.inspectFile(f).pipe(Effect.provide(Layer.merge(NodeContext.layer, NodeDecompression.layer)))
  )
  console.log(
    f,
    JSON.stringify({
      format: r.format,
      q: r.qemuFormat,
      v: r.variant,
      vs: r.virtualSize,
      c: r.compression,
      safe: r.safe,
      p: r.problems.map((p) => p.message),
      w: r.warnings,
      b: r.bytesRead,
      bf: r.backingFile,
      acc: r.accepts
    })
  )
}
