/**
 * The `TokenCache` in files of the user's own: one JSON file per login under
 * `$XDG_CACHE_HOME/glanceclient` (or `~/.cache/glanceclient`), named by the login's key, mode 600
 * in a directory of mode 700. A file another user could read or write, a file of another user,
 * or a link is ignored with a warning (and replaced by the next login). Writes go to a new file
 * renamed over the old one, so a reader never sees half a token.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { decodeSession, encodeSession, type Service, TokenCache } from "../TokenCache.js"

/**
 * Where the cache lives.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The directory of the cache files (default `directoryFrom(process.env)`). */
  readonly directory?: string | undefined
}

/**
 * `$XDG_CACHE_HOME/glanceclient` when it is set (and absolute), `~/.cache/glanceclient` otherwise.
 *
 * @since 0.1.0
 * @category operations
 */
export const directoryFrom = (env: Readonly<Record<string, string | undefined>>): string => {
  const xdg = env.XDG_CACHE_HOME
  return Path.join(xdg !== undefined && Path.isAbsolute(xdg) ? xdg : Path.join(Os.homedir(), ".cache"), "glanceclient")
}

/**
 * The file of a key.
 *
 * @since 0.1.0
 * @category operations
 */
export const fileOf = (directory: string, key: string): string => Path.join(directory, `token-${key}.json`)

/** The most bytes read of a cache file (a catalog is a few KiB; anything larger is not ours). */
const maxBytes = 4 * 1024 * 1024

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e)

/** A cache file's contents, or why it is not used (`undefined`: there is none). */
const readOwn = (file: string): { readonly text?: string; readonly problem?: string } => {
  let fd: number
  try {
    fd = Fs.openSync(file, Fs.constants.O_RDONLY | Fs.constants.O_NOFOLLOW)
  } catch (e) {
    const code = codeOf(e)
    if (code === "ENOENT") return {}
    return { problem: code === "ELOOP" ? "it is a symbolic link" : `it cannot be read (${code})` }
  }
  try {
    const stat = Fs.fstatSync(fd)
    if (!stat.isFile()) return { problem: "it is not a regular file" }
    if (typeof process.getuid === "function" && stat.uid !== process.getuid()) {
      return { problem: "it belongs to another user" }
    }
    if ((stat.mode & 0o077) !== 0) {
      return {
        problem: `other users can read or write it (mode ${(stat.mode & 0o777).toString(8).padStart(3, "0")}, not 600)`
      }
    }
    if (stat.size > maxBytes) return { problem: "it is too large to be a token" }
    return { text: Fs.readFileSync(fd, "utf8") }
  } finally {
    Fs.closeSync(fd)
  }
}

/** Writes `text` to `file` with mode 600, by renaming a new file over it. */
const writeOwn = (directory: string, file: string, text: string) => {
  Fs.mkdirSync(directory, { recursive: true, mode: 0o700 })
  const temporary = `${file}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
  const fd = Fs.openSync(temporary, Fs.constants.O_WRONLY | Fs.constants.O_CREAT | Fs.constants.O_EXCL, 0o600)
  try {
    Fs.writeFileSync(fd, text)
    Fs.fsyncSync(fd)
  } catch (e) {
    Fs.closeSync(fd)
    Fs.rmSync(temporary, { force: true })
    throw e
  }
  Fs.closeSync(fd)
  try {
    Fs.renameSync(temporary, file)
  } catch (e) {
    Fs.rmSync(temporary, { force: true })
    throw e
  }
}

/**
 * The file-based `TokenCache`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service> =>
  Effect.sync(() => {
    const directory = options.directory ?? directoryFrom(process.env)
    const load = (key: string) =>
      Effect.suspend(() => {
        const file = fileOf(directory, key)
        const { problem, text } = readOwn(file)
        if (problem !== undefined) {
          return Effect.as(
            Effect.logWarning(`The token cache file ${file} is ignored: ${problem}`),
            Option.none()
          )
        }
        return Effect.succeed(text === undefined ? Option.none() : decodeSession(text))
      })
    const save: Service["save"] = (key, session) =>
      Option.match(encodeSession(session), {
        onNone: () => Effect.void,
        onSome: (text) =>
          Effect.try(() => writeOwn(directory, fileOf(directory, key), text)).pipe(
            Effect.catchAll((e) => Effect.logWarning(`The token could not be kept in ${directory}: ${codeOf(e.error)}`))
          )
      })
    const remove = (key: string) =>
      Effect.try(() => Fs.rmSync(fileOf(directory, key), { force: true })).pipe(
        Effect.catchAll((e) =>
          Effect.logWarning(`The refused token could not be removed from ${directory}: ${codeOf(e.error)}`)
        )
      )
    return TokenCache.of({ load, save, remove })
  })

/**
 * The file-based `TokenCache` as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<TokenCache> => Layer.effect(TokenCache, make(options))
