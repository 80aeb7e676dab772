// Lists every image tagged bench-page through the library, 20 per page.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { GlanceClient, Images } from "../dist/src/index.js"

const program = Effect.gen(function*() {
  const images = yield* Images.Images
  return yield* Stream.runCount(images.list({ filters: { tag: ["bench-page"] }, pageSize: 20 }))
})
const n = await Effect.runPromise(program.pipe(
  Effect.provide(
    GlanceClient.layerConfig().pipe(Layer.provideMerge(Layer.merge(NodeHttpClient.layer, NodeFileSystem.layer)))
  )
))
if (n < 2000) throw new Error(`listed only ${n}`)
