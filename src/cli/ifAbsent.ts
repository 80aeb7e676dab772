/**
 * `--if-absent` of `image-create` and `image-create-via-import`: the file is hashed first with the
 * cloud's `os_hash_algo`, and an active image the project already sees with that data is shown
 * instead of a new one (`Transfer.findFile`).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Images from "../Images.js"
import * as Transfer from "../Transfer.js"
import { LocalFileError, UsageError } from "./errors.js"
import * as Flags from "./flags.js"

/** The `--if-absent` flag. */
export const ifAbsentFlag = Flags.flag(
  "if-absent",
  "With --file: hash the file first (the cloud's os_hash_algo) and, when the project already sees an active image with that data, show it instead of creating a new one."
)

/** The image that already holds the file's data (said on stderr), or none: go on and create one. */
export const existingImage = (ifAbsent: boolean, file: string | undefined) =>
  Effect.gen(function*() {
    if (!ifAbsent) return Option.none<Images.Image>()
    if (file === undefined) {
      return yield* new UsageError({ message: "--if-absent needs --file: the data to look for" })
    }
    const found = yield* Transfer.findFile(file).pipe(
      Effect.catchTags({
        SystemError: (e) => new LocalFileError({ message: `Cannot read ${file}: ${e.description ?? e.reason}` }),
        BadArgument: (e) => new LocalFileError({ message: `Cannot read ${file}: ${e.description ?? "bad argument"}` })
      })
    )
    if (Option.isSome(found)) {
      yield* Console.error(`glance: image ${found.value.id} already holds the data of ${file}: not created again`)
    }
    return found
  })
