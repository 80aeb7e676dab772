/**
 * Child processes for tests, run asynchronously: a test never blocks its vitest worker (a
 * `spawnSync` of a long command freezes the worker's RPC, and the run exits 1 with every test
 * green). Every child has a deadline; one still running then is killed and the test fails with a
 * message naming the command and what it had printed.
 */
import { spawn } from "node:child_process"

/** What a finished command printed, and how it ended. */
export interface RunResult {
  readonly stdout: string
  readonly stderr: string
  /** The exit status; -1 when a signal ended it. */
  readonly status: number
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null
  /** The raw standard output, for binary data. */
  readonly stdoutBytes: Buffer
}

/** How a command is run. */
export interface RunOptions {
  readonly env?: Record<string, string | undefined> | undefined
  readonly cwd?: string | undefined
  /** Standard input: the bytes to write (then closed); empty by default. */
  readonly input?: string | Uint8Array | undefined
  /** Milliseconds before the child is killed and the promise rejected (default 120 s). */
  readonly timeout?: number | undefined
  /** The most output kept per stream (default 64 MiB); more is an error. */
  readonly maxBuffer?: number | undefined
}

/** The default deadline of a child process. */
export const defaultTimeout = 120_000

const describe = (command: string, args: ReadonlyArray<string>) =>
  [command, ...args].map((a) => (/^[\w./:=@,+-]+$/.test(a) ? a : JSON.stringify(a))).join(" ").slice(0, 300)

const tail = (bytes: Buffer) => {
  const text = bytes.toString("utf8")
  return text.length > 600 ? `…${text.slice(-600)}` : text
}

/**
 * Runs a command to its end and resolves with what it printed. Rejects when it cannot be started,
 * when it runs past its deadline (it is killed), or when it prints more than `maxBuffer`.
 */
export const run = (command: string, args: ReadonlyArray<string>, options: RunOptions = {}): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const timeout = options.timeout ?? defaultTimeout
    const maxBuffer = options.maxBuffer ?? 64 * 1024 * 1024
    const child = spawn(command, args, {
      env: options.env as NodeJS.ProcessEnv | undefined,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    let outSize = 0
    let errSize = 0
    let failure: Error | undefined
    const fail = (error: Error) => {
      if (failure === undefined) {
        failure = error
        child.kill("SIGKILL")
      }
    }
    child.stdout.on("data", (b: Buffer) => {
      outSize += b.byteLength
      if (outSize > maxBuffer) fail(new Error(`${describe(command, args)} printed more than ${maxBuffer} bytes`))
      else out.push(b)
    })
    child.stderr.on("data", (b: Buffer) => {
      errSize += b.byteLength
      if (errSize > maxBuffer) fail(new Error(`${describe(command, args)} printed more than ${maxBuffer} bytes`))
      else err.push(b)
    })
    const timer = setTimeout(() => {
      fail(
        new Error(
          `${describe(command, args)} was still running after ${timeout / 1000} s (killed); stdout: ${
            tail(Buffer.concat(out))
          } stderr: ${tail(Buffer.concat(err))}`
        )
      )
    }, timeout)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(new Error(`${describe(command, args)} could not be started: ${error.message}`))
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      if (failure !== undefined) return reject(failure)
      const stdoutBytes = Buffer.concat(out)
      resolve({
        stdout: stdoutBytes.toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        status: code ?? -1,
        signal,
        stdoutBytes
      })
    })
    // A child that exits without reading its input closes the pipe: that is not the test's failure.
    child.stdin.on("error", () => {})
    child.stdin.end(options.input ?? "")
  })
