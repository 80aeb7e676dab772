/** Whether the lab answers, asked without blocking (for globalSetup.ts and lab.ts). */
import * as Path from "node:path"
import { run } from "./run.js"

/** Where the lab keeps its state. */
export const labDir = process.env.LAB_DIR ?? "/tmp/openstack-lab"

/** Whether Keystone and Glance answer (scripts/lab/status.sh). */
export const labIsUp = async (): Promise<boolean> => {
  const status = Path.resolve(import.meta.dirname, "../../scripts/lab/status.sh")
  const r = await run("bash", [status], { env: { ...process.env, LAB_DIR: labDir }, timeout: 30_000 })
  return r.status === 0
}
