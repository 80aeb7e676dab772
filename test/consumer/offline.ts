/**
 * The README's "Testing your code offline" example as a program: `publish` run over `GlanceTest`,
 * no cloud. It prints one JSON line.
 */
import { Effect, Stream } from "effect"
import { Images } from "glanceclient"
import { GlanceTest } from "glanceclient/testing"

// Your code:
const publish = (name: string, bytes: Uint8Array) =>
  Images.createAndUpload(
    { name, disk_format: "raw", container_format: "bare" },
    Stream.make(bytes),
    { size: bytes.byteLength }
  ).pipe(Effect.map((image) => image.id))

const program = Effect.gen(function*() {
  const id = yield* publish("greeting", new TextEncoder().encode("hello, glance"))
  const image = yield* Effect.flatMap(Images.Images, (images) => images.get(id))
  // The installed types keep the known statuses as literals (this line does not compile if `status`
  // is a plain string) and still take one a newer cloud sends.
  const known: Extract<Images.ImageStatus, "active"> = "active"
  const newer: Images.ImageStatus = "replicating"
  return { status: image.status, size: image.size, known: image.status === known && newer !== known }
})

program.pipe(Effect.provide(GlanceTest.layer()), Effect.runPromise).then(
  (result) => console.log(JSON.stringify(result)),
  (error: unknown) => {
    console.error(String(error))
    process.exitCode = 1
  }
)
