/**
 * Child processes for tests, run asynchronously: a test never blocks its vitest worker (a
 * `spawnSync` of a long command freezes the worker's RPC, and the run exits 1 with every test
 * green). Every child has a deadline; one still running then is killed and the test fails with a
 * message naming the command and what it had printed.
 */
import { spawn } from "node:child_process"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"

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
  /**
   * Standard input: the bytes to write (then closed), or pieces written as an async iterable
   * yields them (a slow pipe); empty by default.
   */
  readonly input?: string | Uint8Array | AsyncIterable<Uint8Array> | undefined
  /**
   * Where standard input comes from: a pipe fed with `input` (the default), `"ignore"` (/dev/null,
   * as a command run from a script with no data), or an open file descriptor (a redirected file).
   */
  readonly stdin?: "pipe" | "ignore" | number | undefined
  /** An open file descriptor standard output goes to (a redirect); the result's stdout is then empty. */
  readonly stdout?: number | undefined
  /** Milliseconds before the child is killed and the promise rejected (default 120 s). */
  readonly timeout?: number | undefined
  /** The most output kept per stream (default 64 MiB); more is an error. */
  readonly maxBuffer?: number | undefined
  /** Kills the child and rejects when it aborts (e.g. a test that gives up on a run in the background). */
  readonly signal?: AbortSignal | undefined
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
    const stdin = options.stdin ?? "pipe"
    const child = spawn(command, args, {
      env: options.env as NodeJS.ProcessEnv | undefined,
      cwd: options.cwd,
      stdio: [stdin, options.stdout ?? "pipe", "pipe"]
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
    child.stdout?.on("data", (b: Buffer) => {
      outSize += b.byteLength
      if (outSize > maxBuffer) fail(new Error(`${describe(command, args)} printed more than ${maxBuffer} bytes`))
      else out.push(b)
    })
    child.stderr!.on("data", (b: Buffer) => {
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
    const abort = () => fail(new Error(`${describe(command, args)} was stopped: ${String(options.signal?.reason)}`))
    if (options.signal?.aborted) abort()
    else options.signal?.addEventListener("abort", abort, { once: true })
    child.on("error", (error) => {
      clearTimeout(timer)
      options.signal?.removeEventListener("abort", abort)
      reject(new Error(`${describe(command, args)} could not be started: ${error.message}`))
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      options.signal?.removeEventListener("abort", abort)
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
    const input = child.stdin
    if (input === null) return
    // A child that exits without reading its input closes the pipe: that is not the test's failure.
    input.on("error", () => {})
    const data = options.input ?? ""
    if (typeof data === "string" || data instanceof Uint8Array) input.end(data)
    else {
      // pipeline waits for the pipe to drain before it asks for the next piece, and ends it after the last.
      pipeline(Readable.from(data, { objectMode: false, highWaterMark: 1 }), input).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code
        // The child stopped reading (it exited, or closed its input): not the input's failure.
        if (code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ERR_STREAM_DESTROYED") return
        fail(new Error(`${describe(command, args)}: its input failed: ${String(error)}`))
      })
    }
  })
