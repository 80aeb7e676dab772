/**
 * A lock shared by every test process on this machine, for the few steps that touch lab state no
 * test owns (the image cache's queue, which `cache-clear` empties for everyone). Test files run in
 * parallel workers, and other checkouts may run their suites against the same lab at the same time.
 * A directory made with `mkdir` (atomic) holds the owner's pid; a lock whose owner has exited, or
 * that is older than `staleAfter`, is taken over.
 */
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** Where the locks live. */
export const lockDir = Path.join(Os.tmpdir(), "glanceclient-test-locks")

/** How a lock is waited for. */
export interface LockOptions {
  /** Milliseconds to wait before failing with the holder's name (default 5 minutes). */
  readonly timeout?: number | undefined
  /** Milliseconds after which a held lock is taken to be left behind (default 10 minutes). */
  readonly staleAfter?: number | undefined
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits for the lock `name`, then returns its release. `holder` says who holds it (shown to a
 * test that waits too long).
 */
export const acquireLock = async (
  name: string,
  holder: string,
  options: LockOptions = {}
): Promise<() => Promise<void>> => {
  const path = Path.join(lockDir, `${name}.lock`)
  const owner = Path.join(path, "owner")
  const deadline = Date.now() + (options.timeout ?? 300_000)
  const staleAfter = options.staleAfter ?? 600_000
  await Fs.promises.mkdir(lockDir, { recursive: true })
  for (;;) {
    try {
      await Fs.promises.mkdir(path)
      await Fs.promises.writeFile(owner, `${process.pid} ${holder}`)
      return () => Fs.promises.rm(path, { recursive: true, force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
    }
    const held = await Fs.promises.readFile(owner, "utf8").catch(() => "")
    const pid = Number(held.split(" ")[0])
    const since = await Fs.promises.stat(path).then((s) => s.mtimeMs, () => Date.now())
    // A lock being made has no owner file yet for a moment: only a known, dead owner or an old lock is stale.
    if ((held !== "" && !alive(pid)) || Date.now() - since > staleAfter) {
      await Fs.promises.rm(path, { recursive: true, force: true })
      continue
    }
    if (Date.now() > deadline) {
      throw new Error(
        `waited ${Math.round((options.timeout ?? 300_000) / 1000)} s for the lock ${name}, held by ${held}`
      )
    }
    await sleep(100 + Math.random() * 100)
  }
}

/** Runs `f` holding the lock `name`. */
export const withLock = async <A>(
  name: string,
  holder: string,
  f: () => Promise<A>,
  options: LockOptions = {}
): Promise<A> => {
  const release = await acquireLock(name, holder, options)
  try {
    return await f()
  } finally {
    await release()
  }
}

/** Holds the lock `name` until the current scope closes (for Effect tests: `it.scoped`). */
export const scopedLock = (name: string, holder: string, options: LockOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => acquireLock(name, holder, options)),
    (release) => Effect.promise(release)
  )

/** The lock of the image cache's queue: held around every step that queues, lists or clears it. */
export const cacheLock = "glance-cache-queue"
