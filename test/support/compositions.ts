/**
 * Compositions in which several consumers see the same blocks of a download: what issue 12 found
 * corrupted when the library reused blocks a consumer still held. Each returns the bytes its
 * consumers ended with, after later downloads have run (which would have refilled reused blocks).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Images } from "../../src/index.js"
import * as MisbehavingServer from "./misbehavingServer.js"

const joined = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks])

/** A new file path in a new temporary directory. */
export const tempFile = () => Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-data-")), "image.raw")

/** Runs each composition on downloads of `id`; returns what every consumer got, by name. */
export const sharedDownloads = (id: string) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    const download = () => images.download(id)
    const got: Array<readonly [string, Buffer]> = []
    const [a, b] = yield* Effect.scoped(Effect.flatMap(
      Stream.broadcast(download(), 2, 16),
      ([x, y]) => Effect.all([Stream.runCollect(x), Stream.runCollect(y)], { concurrency: 2 })
    ))
    const path = tempFile()
    const [, collected] = yield* Effect.scoped(Effect.flatMap(
      Stream.broadcast(download(), 2, 16),
      ([x, y]) => Effect.all([Stream.run(x, Images.fileSink(path)), Stream.runCollect(y)], { concurrency: 2 })
    ))
    const kept: Array<Uint8Array> = []
    yield* Stream.runDrain(Stream.tap(download(), (block) => Effect.sync(() => void kept.push(block))))
    const rechunked = yield* Stream.runCollect(Stream.rechunk(download(), 3))
    const slow: Array<Uint8Array> = []
    yield* download().pipe(
      Stream.buffer({ capacity: 8 }),
      Stream.runForEach((block) => Effect.as(Effect.sleep("3 millis"), void slow.push(block)))
    )
    // Later downloads, one through the library's own reused blocks: the blocks kept above stay as they were.
    yield* Images.downloadToFile(id, tempFile())
    yield* images.downloadEach(id, () => Effect.void)
    got.push(
      ["broadcast: first collector", joined(a)],
      ["broadcast: second collector", joined(b)],
      ["broadcast: file sink", Fs.readFileSync(path)],
      ["broadcast: collector beside the file sink", joined(collected)],
      ["a tap that keeps every block", joined(kept)],
      ["rechunk", joined(rechunked)],
      ["a slow consumer behind a buffer", joined(slow)]
    )
    return got
  }) satisfies Effect.Effect<unknown, unknown, Images.Images | FileSystem.FileSystem>

/** Serves one image from `server` as a fake Glance: its record, and its data answered by `files` in turn. */
export const serveImage = (
  server: MisbehavingServer.MisbehavingServer,
  id: string,
  record: Record<string, unknown>,
  ...files: Array<MisbehavingServer.Reply>
) => {
  server.reset()
  MisbehavingServer.fakeGlance(server, [MisbehavingServer.image({ id, ...record })])
  for (const file of files) server.on("GET", `/v2/images/${id}/file`, file, { times: files.length > 1 ? 1 : undefined })
}
