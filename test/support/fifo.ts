/** Named pipes for tests of what reads or writes through one. */
import { spawn, spawnSync } from "node:child_process"
import * as Path from "node:path"

/** Makes a named pipe `name` in `dir` and returns its path. */
export const makeFifo = (dir: string, name: string): string => {
  const path = Path.join(dir, name)
  const made = spawnSync("mkfifo", [path])
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr.toString()}`)
  return path
}

/** Reads a named pipe from another process until its writer closes it: everything written, in order. */
export const readFifo = (path: string): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const reader = spawn("cat", [path], { stdio: ["ignore", "pipe", "inherit"] })
    const received: Array<Buffer> = []
    reader.stdout!.on("data", (b: Buffer) => received.push(b))
    reader.on("error", reject)
    reader.on("close", () => resolve(Buffer.concat(received)))
  })
