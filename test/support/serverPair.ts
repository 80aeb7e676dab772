/**
 * A misbehaving server and a second one on 127.0.0.2 for a test file: started before its tests,
 * reset before each, closed after. The second answers anything as a success would, so only its
 * record tells whether a request (and its token) went there.
 */
import { afterAll, beforeAll, beforeEach } from "vitest"
import * as MS from "./misbehavingServer.js"

/** The two servers of a test file, and the first one's body bytes sent before the current test. */
export interface ServerPair {
  readonly server: MS.MisbehavingServer
  readonly other: MS.MisbehavingServer
  /** `server.bytesSent` when the current test began (the count runs across tests). */
  readonly sentBefore: number
}

/** Registers the hooks of a test file and returns its servers (usable inside tests). */
export const serverPair = (): ServerPair => {
  let server: MS.MisbehavingServer | undefined
  let other: MS.MisbehavingServer | undefined
  let sentBefore = 0
  beforeAll(async () => {
    server = await MS.start()
    other = await MS.start({ host: "127.0.0.2" })
  })
  afterAll(async () => {
    await server?.close()
    await other?.close()
  })
  beforeEach(() => {
    sentBefore = server!.bytesSent
    server!.reset()
    other!.reset()
    other!.on(undefined, /.*/, { json: { images: [], tasks: [], namespaces: [] } })
  })
  return {
    get server() {
      return server!
    },
    get other() {
      return other!
    },
    get sentBefore() {
      return sentBefore
    }
  }
}
