/**
 * Output reaches a reader slower than glance. Writes to a pipe are asynchronous in Node: when the
 * command's work is done, much of a listing can still be queued in the process. glance used to
 * exit 250 ms later regardless, and a reader that had not caught up got a listing cut short with
 * exit status 0 (seen in the suite on a busy machine: 87,459 of 200,005 lines).
 *
 * The CLI runs as a child process (`dist/glance.js`: `npm run build` first) in token + URL mode
 * against the scriptable misbehaving server on loopback; no lab is needed.
 */
import { spawn } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { glanceBin } from "../support/lab.js"
import * as MisbehavingServer from "../support/misbehavingServer.js"

let server: MisbehavingServer.MisbehavingServer

beforeAll(async () => {
  server = await MisbehavingServer.start()
})
afterAll(() => server.close())

const count = 40_000
const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

/**
 * Runs glance with its standard output unread for `pauseMs` (the pipe fills, the rest queues in
 * glance), then reads it all. Killed after 120 s.
 */
const glanceReadLate = (args: ReadonlyArray<string>, pauseMs: number) =>
  new Promise<{ stdout: string; stderr: string; status: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [glanceBin, "--os-auth-token", "t", "--os-image-url", server.url, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH, HOME: process.env.HOME }
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.pause()
    child.stdout.on("data", (b: Buffer) => out.push(b))
    child.stderr.on("data", (b: Buffer) => err.push(b))
    const resume = setTimeout(() => child.stdout.resume(), pauseMs)
    const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000)
    child.on("error", reject)
    child.on("close", (status) => {
      clearTimeout(resume)
      clearTimeout(deadline)
      resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), status })
    })
  })

describe("a slow reader", () => {
  it("gets the whole listing: glance exits only once its output has been taken", async () => {
    server.reset()
    server.on("GET", "/v2/images", () => ({
      json: {
        images: Array.from({ length: count }, (_, k) => ({ id: id(k), name: `image-${k}`, status: "active" }))
      }
    }))
    MisbehavingServer.fakeGlance(server)
    // The listing is about 2.5 MB, more than the pipe (a socket pair) holds; the reader starts 3 s after glance.
    const r = await glanceReadLate(["image-list", "-f", "value", "-c", "ID", "-c", "Name"], 3_000)
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    const lines = r.stdout.split("\n")
    expect(lines.length).toBe(count + 1)
    expect(lines[0]).toBe(`${id(0)} image-0`)
    expect(lines.at(-2)).toBe(`${id(count - 1)} image-${count - 1}`)
  }, 180_000)
})
