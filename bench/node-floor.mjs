// The floor for any Node.js client: node:http piped into a file with stream.pipeline, no
// verification, no Effect. What our download costs above this is our own overhead.
import * as Fs from "node:fs"
import * as Http from "node:http"
import { pipeline } from "node:stream/promises"

const [url, token, path] = process.argv.slice(2)
const response = await new Promise((resolve, reject) =>
  Http.get(url, { headers: { "x-auth-token": token } }, resolve).on("error", reject)
)
if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`)
await pipeline(response, Fs.createWriteStream(path))
