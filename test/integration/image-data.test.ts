/**
 * Against the real Glance: compositions in which several consumers share a download's blocks get
 * the exact bytes, verified, over glanceclient/node's transport and over the portable one on the
 * platform's HttpClient.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import { GlanceClient, Images } from "../../src/index.js"
import { NodeGlanceHttp } from "../../src/node/index.js"
import { sharedDownloads } from "../support/compositions.js"
import { requireLab, settingsFor, uniqueName } from "../support/lab.js"

const up = requireLab()
const data = Crypto.randomBytes(3 * 1024 * 1024 + 4321)

const transports = {
  node: NodeGlanceHttp.layer(),
  portable: GlanceClient.portable.pipe(Layer.provideMerge(NodeHttpClient.layer))
} as const

for (const transport of ["node", "portable"] as const) {
  describe.skipIf(!up)(`lab: shared downloads over the ${transport} transport`, () => {
    const client = GlanceClient.layer(settingsFor("demo")).pipe(
      Layer.provideMerge(Layer.merge(transports[transport], NodeFileSystem.layer))
    )
    layer(client, { timeout: 120_000, excludeTestServices: true })((it) => {
      it.effect("every consumer of every composition gets the exact bytes, verified against Glance's sha512", () =>
        Effect.gen(function*() {
          const image = yield* Images.createAndUpload(
            { name: uniqueName("it-shared"), disk_format: "raw", container_format: "bare" },
            Stream.make(data),
            { size: data.byteLength }
          )
          const images = yield* Images.Images
          try {
            assert.strictEqual(image.os_hash_algo, "sha512")
            for (const [name, bytes] of yield* sharedDownloads(image.id)) assert.isTrue(bytes.equals(data), name)
          } finally {
            yield* Effect.ignore(images.delete(image.id))
          }
        }))
    })
  })
}
