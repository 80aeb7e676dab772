/**
 * Checks on the local image data made before anything is created on the server: data piped
 * on standard input next to `--file`, and a file that opens but cannot be read.
 */
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"

/** Whether a socket on standard input (what Node's child_process gives) yields data before its end or `wait`. */
const socketHoldsData = (wait: number) =>
  Effect.async<boolean>((resume) => {
    const stdin = process.stdin
    const done = (holds: boolean) => () => {
      clearTimeout(timer)
      stdin.off("data", onData).off("end", onEnd).off("error", onEnd)
      stdin.pause()
      resume(Effect.succeed(holds))
    }
    const onData = done(true)
    const onEnd = done(false)
    const timer = setTimeout(onEnd, wait)
    stdin.once("data", onData).once("end", onEnd).once("error", onEnd)
    stdin.resume()
  })

/**
 * Whether standard input holds data (a non-empty redirected file, or a pipe with bytes in
 * it). A pipe that is empty and closed, or whose writer has sent nothing yet, does not
 * count: scripts and CI runners often leave an idle pipe on standard input.
 */
export const stdinHoldsData: Effect.Effect<boolean> = Effect.suspend(() => {
  let stat: Fs.Stats
  try {
    stat = Fs.fstatSync(0)
  } catch {
    return Effect.succeed(false)
  }
  if (stat.isFile()) return Effect.succeed(stat.size > 0)
  if (stat.isSocket()) return socketHoldsData(200)
  if (!stat.isFIFO()) return Effect.succeed(false)
  let fd: number | undefined
  try {
    // A second, non-blocking description of the same pipe: an idle writer gives EAGAIN, not a hang.
    fd = Fs.openSync("/dev/stdin", Fs.constants.O_RDONLY | Fs.constants.O_NONBLOCK)
    return Effect.succeed(Fs.readSync(fd, Buffer.alloc(1), 0, 1, null) > 0)
  } catch {
    return Effect.succeed(false)
  } finally {
    if (fd !== undefined) Fs.closeSync(fd)
  }
})

/** Why the first byte of a regular file cannot be read (e.g. `EIO` for /proc/self/mem), if it cannot. */
export const firstReadFailure = (path: string): string | undefined => {
  let fd: number | undefined
  try {
    fd = Fs.openSync(path, "r")
    Fs.readSync(fd, Buffer.alloc(1), 0, 1, 0)
    return undefined
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return code === "EIO" ? "input/output error" : code === "EACCES" ? "permission denied" : code ?? String(e)
  } finally {
    if (fd !== undefined) Fs.closeSync(fd)
  }
}
