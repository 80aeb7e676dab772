// A user's program: the library's verified download stream (every block the consumer's own), run
// into the platform's file sink (`sink`, default), into the library's `Images.fileSink` (`fileSink`:
// atomic, otherwise the same), or the library's own `Images.downloadToFile` (`toFile`: the library is
// the only reader, so it lends a few reused blocks). The HTTP client is the user's choice: `node`
// (glanceclient/node, default) or `platform` (NodeHttpClient.layer with the portable transport).
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { GlanceClient, Images } from "../dist/src/index.js"
import { NodeGlanceHttp } from "../dist/src/node/index.js"

const [id, path, how = "sink", client = "node"] = process.argv.slice(2)
const program = how === "toFile" ? Images.downloadToFile(id, path) : Effect.gen(function*() {
  const images = yield* Images.Images
  const fs = yield* FileSystem.FileSystem
  yield* Stream.run(images.download(id), how === "fileSink" ? Images.fileSink(path) : fs.sink(path))
})
// Imported only when asked for: a program on glanceclient/node's client does not load undici.
const http = client === "platform"
  ? GlanceClient.portable.pipe(Layer.provideMerge((await import("@effect/platform-node/NodeHttpClient")).layer))
  : NodeGlanceHttp.layer()
await Effect.runPromise(program.pipe(
  Effect.provide(GlanceClient.layerConfig().pipe(Layer.provideMerge(Layer.merge(http, NodeFileSystem.layer))))
))
