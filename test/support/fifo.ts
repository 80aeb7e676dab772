/** Named pipes for tests of what reads or writes through one. */
import * as Path from "node:path"
import { run } from "./run.js"

/** Makes a named pipe `name` in `dir` and returns its path. */
export const makeFifo = async (dir: string, name: string): Promise<string> => {
  const path = Path.join(dir, name)
  const made = await run("mkfifo", [path], { stdin: "ignore", timeout: 10_000 })
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr}`)
  return path
}

/**
 * Reads a named pipe from another process until its writer closes it: everything written, in
 * order. Fails when no writer has come and gone within `timeout` milliseconds (default 120 s).
 */
export const readFifo = async (path: string, timeout?: number): Promise<Buffer> =>
  (await run("cat", [path], { stdin: "ignore", timeout })).stdoutBytes
