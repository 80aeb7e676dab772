/**
 * A TLS terminator for integration tests: it accepts TLS on 127.0.0.1 and passes the plain bytes
 * on to a lab service (Glance by default), with certificates made for the test by openssl: a CA,
 * a server certificate for 127.0.0.1 and localhost signed by it, a client certificate signed by
 * it, and a second, unrelated CA (the "wrong" one).
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Tls from "node:tls"
import { run } from "./run.js"

/** Paths of the PEM files made for a test. */
export interface Pki {
  readonly dir: string
  /** The CA that signed the server and client certificates. */
  readonly ca: string
  /** A CA that signed nothing here. */
  readonly otherCa: string
  readonly serverCert: string
  readonly serverKey: string
  readonly clientCert: string
  readonly clientKey: string
  /** Removes the files. */
  readonly remove: () => void
}

const openssl = async (dir: string, args: ReadonlyArray<string>) => {
  const r = await run("/usr/bin/openssl", args, { cwd: dir, stdin: "ignore", timeout: 60_000 })
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`)
}

const makeCa = (dir: string, name: string) =>
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`
  ])

const makeLeaf = async (dir: string, name: string, ca: string, extensions: string) => {
  await openssl(dir, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`
  ])
  await Fs.promises.writeFile(Path.join(dir, `${name}.ext`), extensions)
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`
  ])
}

/** Makes a CA, a server and a client certificate signed by it, and an unrelated CA, in a new temporary folder. */
export const makePki = async (): Promise<Pki> => {
  const dir = await Fs.promises.mkdtemp(Path.join(Os.tmpdir(), "glance-tls-"))
  await Promise.all([makeCa(dir, "ca"), makeCa(dir, "other-ca")])
  // One after the other: both signatures update the CA's serial file.
  await makeLeaf(
    dir,
    "server",
    "ca",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
  )
  await makeLeaf(dir, "client", "ca", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
  const p = (f: string) => Path.join(dir, f)
  return {
    dir,
    ca: p("ca.pem"),
    otherCa: p("other-ca.pem"),
    serverCert: p("server.pem"),
    serverKey: p("server.key"),
    clientCert: p("client.pem"),
    clientKey: p("client.key"),
    remove: () => Fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A running terminator. */
export interface TlsProxy {
  /** `https://127.0.0.1:PORT`. */
  readonly url: string
  /** TLS connections accepted (handshake completed). */
  readonly accepted: () => number
  readonly close: () => Promise<void>
}

/** Starts a terminator in front of `target` (default the lab's Glance); with `requireClientCert`, only clients with a certificate signed by the CA get through. */
export const startTlsProxy = async (
  pki: Pki,
  options: { readonly target?: string | undefined; readonly requireClientCert?: boolean | undefined } = {}
): Promise<TlsProxy> => {
  const target = new URL(options.target ?? "http://127.0.0.1:9292")
  const sockets = new Set<Net.Socket>()
  let accepted = 0
  const server = Tls.createServer({
    key: Fs.readFileSync(pki.serverKey),
    cert: Fs.readFileSync(pki.serverCert),
    ca: Fs.readFileSync(pki.ca),
    requestCert: options.requireClientCert === true,
    rejectUnauthorized: options.requireClientCert === true
  }, (client) => {
    accepted++
    const upstream = Net.connect(Number(target.port), target.hostname)
    sockets.add(upstream)
    upstream.on("close", () => sockets.delete(upstream))
    client.on("error", () => upstream.destroy())
    upstream.on("error", () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  server.on("connection", (socket: Net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  server.on("tlsClientError", () => {})
  server.maxConnections = 64
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address() as Net.AddressInfo
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  // Whatever happens to the test, the terminator does not outlive ten minutes.
  setTimeout(() => void close(), 10 * 60_000).unref()
  return { url: `https://127.0.0.1:${address.port}`, accepted: () => accepted, close }
}
