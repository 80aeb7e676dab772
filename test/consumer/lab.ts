/**
 * A program an Effect user writes against the published package: log in from OS_* variables,
 * create an image, upload data as a stream, download it back, delete it. It prints one JSON line.
 */
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import { GlanceClient, Images } from "glanceclient"
import { NodeGlanceHttp } from "glanceclient/node"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const program = Effect.gen(function*() {
  const images = yield* Images.Images
  const data = new TextEncoder().encode(`consumer ${process.pid} ${Date.now()}`)
  const image = yield* Images.createAndUpload(
    { name: env("CONSUMER_IMAGE_NAME"), disk_format: "raw", container_format: "bare" },
    Stream.make(data),
    { size: data.byteLength }
  )
  const back = yield* Stream.runCollect(images.download(image.id))
  yield* images.delete(image.id)
  const bytes = Chunk.reduce(back, 0, (n, block) => n + block.byteLength)
  return { id: image.id, status: image.status, size: image.size, downloaded: bytes, sent: data.byteLength }
})

const GlanceLive = GlanceClient.layer({
  authUrl: env("OS_AUTH_URL"),
  username: env("OS_USERNAME"),
  password: Redacted.make(env("OS_PASSWORD")),
  projectName: env("OS_PROJECT_NAME"),
  userDomainName: env("OS_USER_DOMAIN_NAME"),
  projectDomainName: env("OS_PROJECT_DOMAIN_NAME")
}).pipe(Layer.provide(NodeGlanceHttp.layer()))

program.pipe(
  Effect.provide(GlanceLive),
  Effect.runPromise
).then(
  (result) => console.log(JSON.stringify(result)),
  (error: unknown) => {
    console.error(String(error))
    process.exitCode = 1
  }
)
