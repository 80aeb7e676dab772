/**
 * Small real disk images for the inspection tests, made in the test run with qemu-img (and
 * gzip/xz/bzip2/zstd, genisoimage, sfdisk; scripts/test-tools.sh installs them), plus crafted
 * unsafe and broken ones patched from real ones. Every tool runs through `run` (async, with a
 * deadline), never a synchronous spawn.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { run } from "./run.js"

/** What `qemu-img info --output json` says of a file: its format and virtual size, or why it cannot open it. */
export type QemuInfo =
  | { readonly ok: true; readonly format: string; readonly virtualSize: number; readonly json: Record<string, unknown> }
  | { readonly ok: false; readonly error: string }

/** Runs `qemu-img info --output json` on a file (optionally with `-f FORMAT`). */
export const qemuInfo = async (path: string, format?: string): Promise<QemuInfo> => {
  const result = await run("qemu-img", ["info", "--output", "json", ...(format ? ["-f", format] : []), path])
  if (result.status !== 0) return { ok: false, error: result.stderr.trim() }
  const json = JSON.parse(result.stdout) as Record<string, unknown>
  return { ok: true, format: String(json.format), virtualSize: Number(json["virtual-size"]), json }
}

/**
 * qemu-img's LUKS key derivation times itself by the thread's CPU clock, and on a busy machine it
 * sometimes gives up: "Unable to get accurate CPU usage". That is the machine, not the sample:
 * such a run is tried again (three times at most).
 */
const cpuClockFailure = "Unable to get accurate CPU usage"

/** Runs a tool and fails with its output when it fails. */
export const tool = async (command: string, args: ReadonlyArray<string>, cwd?: string): Promise<void> => {
  let result = await run(command, args, { cwd })
  for (let retry = 0; retry < 2 && result.status !== 0 && result.stderr.includes(cpuClockFailure); retry++) {
    result = await run(command, args, { cwd })
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr.trim()}`)
  }
}

/** One image made for the tests and what inspecting it must find. */
export interface Sample {
  readonly name: string
  readonly path: string
  /** The format as Glance names it. */
  readonly format: string
  /** qemu's name, compared with `qemu-img info`. */
  readonly qemuFormat: string
  readonly variant?: string | undefined
  /** The checks that must fail (empty: the image is safe). */
  readonly problems: ReadonlyArray<string>
  /** `-f` for `qemu-img info` where its probe alone does not name the format (a fixed VHD). */
  readonly qemuFormatFlag?: string | undefined
  /** qemu-img info refuses to open it (a broken header); otherwise it must agree on the virtual size. */
  readonly qemuRefuses?: boolean | undefined
  readonly compression?: string | undefined
}

const writeAt = (path: string, offset: number, bytes: Uint8Array) => {
  const fd = Fs.openSync(path, "r+")
  try {
    Fs.writeSync(fd, bytes, 0, bytes.byteLength, offset)
  } finally {
    Fs.closeSync(fd)
  }
}

const u64be = (n: bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(n)
  return b
}
const u64le = (n: bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(n)
  return b
}

/** A fresh directory for one test file's images. */
export const imageDir = (prefix: string) => Fs.mkdtempSync(Path.join(Os.tmpdir(), `glance-${prefix}-`))

/**
 * Makes every sample in `dir`: each format and variant qemu-img creates, partitioned raw disks,
 * ISO images, compressed images, and crafted unsafe or broken ones.
 */
export const makeSamples = async (dir: string): Promise<Array<Sample>> => {
  const at = (name: string) => Path.join(dir, name)
  const qemu = (args: ReadonlyArray<string>) => tool("qemu-img", ["create", "-q", ...args], dir)
  const samples: Array<Sample> = []
  const add = (sample: Omit<Sample, "path" | "problems"> & { readonly problems?: ReadonlyArray<string> }) =>
    samples.push({ problems: [], ...sample, path: at(sample.name) })

  await qemu(["-f", "qcow2", "-o", "compat=0.10", "v2.qcow2", "10M"])
  add({ name: "v2.qcow2", format: "qcow2", qemuFormat: "qcow2", variant: "v2 (compat 0.10)" })
  await qemu(["-f", "qcow2", "v3.qcow2", "1G"])
  add({ name: "v3.qcow2", format: "qcow2", qemuFormat: "qcow2", variant: "v3 (compat 1.1)" })
  await qemu(["-f", "qcow2", "-o", "extended_l2=on,compression_type=zstd,cluster_size=128k", "l2.qcow2", "3G"])
  add({ name: "l2.qcow2", format: "qcow2", qemuFormat: "qcow2" })
  await qemu(["-f", "qcow2", "-b", "v3.qcow2", "-F", "qcow2", "backing.qcow2"])
  add({ name: "backing.qcow2", format: "qcow2", qemuFormat: "qcow2", problems: ["backing_file"] })
  await qemu(["-f", "qcow2", "-o", `data_file=${at("data.raw")}`, "datafile.qcow2", "10M"])
  add({ name: "datafile.qcow2", format: "qcow2", qemuFormat: "qcow2", problems: ["data_file"] })
  await qemu([
    "--object",
    "secret,id=sec0,data=test-secret",
    "-f",
    "qcow2",
    "-o",
    "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10",
    "encrypted.qcow2",
    "10M"
  ])
  add({ name: "encrypted.qcow2", format: "qcow2", qemuFormat: "qcow2" })
  await qemu(["-f", "qcow", "v1.qcow", "10M"])
  add({ name: "v1.qcow", format: "qcow", qemuFormat: "qcow", problems: ["format"] })
  await qemu(["-f", "qed", "x.qed", "10M"])
  add({ name: "x.qed", format: "qed", qemuFormat: "qed", problems: ["format"] })

  for (const sub of ["monolithicSparse", "streamOptimized"]) {
    await qemu(["-f", "vmdk", "-o", `subformat=${sub}`, `${sub}.vmdk`, "10M"])
    add({ name: `${sub}.vmdk`, format: "vmdk", qemuFormat: "vmdk", variant: sub })
  }
  for (const sub of ["monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat"]) {
    await qemu(["-f", "vmdk", "-o", `subformat=${sub}`, `${sub}.vmdk`, "10M"])
    add({ name: `${sub}.vmdk`, format: "vmdk", qemuFormat: "vmdk", variant: sub, problems: ["extents"] })
  }
  await qemu(["-f", "vmdk", "-b", "monolithicSparse.vmdk", "-F", "vmdk", "child.vmdk"])
  add({ name: "child.vmdk", format: "vmdk", qemuFormat: "vmdk", problems: ["backing_file"] })

  await qemu(["-f", "vpc", "dynamic.vhd", "10M"])
  add({ name: "dynamic.vhd", format: "vhd", qemuFormat: "vpc", variant: "dynamic" })
  await qemu(["-f", "vpc", "-o", "force_size=on", "sized.vhd", "10M"])
  add({ name: "sized.vhd", format: "vhd", qemuFormat: "vpc", variant: "dynamic" })
  await qemu(["-f", "vpc", "-o", "subformat=fixed", "fixed.vhd", "10M"])
  // qemu's probe reads a fixed VHD (footer at the end only) as raw, as Glance's inspector does.
  add({ name: "fixed.vhd", format: "raw", qemuFormat: "raw", variant: "fixed VHD (footer at the end)" })
  for (const sub of ["dynamic", "fixed"]) {
    await qemu(["-f", "vhdx", "-o", `subformat=${sub}`, `${sub}.vhdx`, "10M"])
    add({ name: `${sub}.vhdx`, format: "vhdx", qemuFormat: "vhdx", variant: sub })
  }
  await qemu(["-f", "vdi", "dynamic.vdi", "10M"])
  add({ name: "dynamic.vdi", format: "vdi", qemuFormat: "vdi", variant: "dynamic" })
  await qemu(["-f", "vdi", "-o", "static=on", "static.vdi", "4M"])
  add({ name: "static.vdi", format: "vdi", qemuFormat: "vdi", variant: "static" })
  await qemu(["-f", "parallels", "x.ploop", "10M"])
  add({ name: "x.ploop", format: "ploop", qemuFormat: "parallels", variant: "version 2" })
  await qemu(["--object", "secret,id=sec0,data=test-secret", "-f", "luks", "-o", "key-secret=sec0", "x.luks", "4M"])
  add({ name: "x.luks", format: "luks", qemuFormat: "luks", variant: "version 1" })

  await qemu(["-f", "raw", "plain.raw", "3M"])
  add({ name: "plain.raw", format: "raw", qemuFormat: "raw" })
  Fs.writeFileSync(at("odd.raw"), Buffer.alloc(1000, 7))
  add({ name: "odd.raw", format: "raw", qemuFormat: "raw" })
  for (const label of ["dos", "gpt"]) {
    await qemu(["-f", "raw", `${label}.raw`, "4M"])
    await run("sfdisk", ["-q", at(`${label}.raw`)], { input: `label: ${label}\n,,L\n` }).then((r) => {
      if (r.status !== 0) throw new Error(`sfdisk failed: ${r.stderr}`)
    })
    add({ name: `${label}.raw`, format: "raw", qemuFormat: "raw" })
  }
  Fs.mkdirSync(at("iso-content"))
  Fs.writeFileSync(at("iso-content/hello.txt"), "hello\n")
  await tool("genisoimage", ["-quiet", "-o", at("plain.iso"), at("iso-content")])
  add({ name: "plain.iso", format: "iso", qemuFormat: "raw", variant: "ISO 9660" })
  await tool("genisoimage", ["-quiet", "-udf", "-o", at("udf.iso"), at("iso-content")])
  add({ name: "udf.iso", format: "iso", qemuFormat: "raw", variant: "ISO 9660 + UDF" })

  // Compressed: a qcow2 inside each of the four; what is inspected is the qcow2.
  Fs.copyFileSync(at("v2.qcow2"), at("packed.qcow2"))
  for (
    const [compression, command, suffix] of [
      ["gzip", "gzip", "gz"],
      ["xz", "xz", "xz"],
      ["bzip2", "bzip2", "bz2"],
      ["zstd", "zstd", "zst"]
    ] as const
  ) {
    await tool(command, ["-k", "-f", "-q", at("packed.qcow2")])
    add({ name: `packed.qcow2.${suffix}`, format: "qcow2", qemuFormat: "qcow2", compression })
  }

  // Crafted unsafe and broken images.
  await qemu(["-f", "vmdk", "abs-extent.vmdk", "10M"])
  const descriptor = Fs.readFileSync(at("abs-extent.vmdk")).subarray(512, 512 + 10240).toString("latin1")
  const patched = descriptor.replace(/SPARSE "[^"]*"/, "SPARSE \"/etc/passwd\"")
  writeAt(at("abs-extent.vmdk"), 512, Buffer.from(patched.slice(0, 10240), "latin1"))
  add({ name: "abs-extent.vmdk", format: "vmdk", qemuFormat: "vmdk", problems: ["extents"] })
  Fs.writeFileSync(
    at("abs-flat.vmdk"),
    Fs.readFileSync(at("monolithicFlat.vmdk"), "latin1").replace(/FLAT "[^"]*"/, "FLAT \"/etc/hostname\""),
    "latin1"
  )
  add({ name: "abs-flat.vmdk", format: "vmdk", qemuFormat: "vmdk", problems: ["extents"] })
  Fs.writeFileSync(at("cut.qcow2"), Fs.readFileSync(at("v3.qcow2")).subarray(0, 50))
  add({ name: "cut.qcow2", format: "qcow2", qemuFormat: "qcow2", problems: ["header"], qemuRefuses: true })
  Fs.writeFileSync(at("cut.vhdx"), Fs.readFileSync(at("dynamic.vhdx")).subarray(0, 100_000))
  add({ name: "cut.vhdx", format: "vhdx", qemuFormat: "vhdx", problems: ["header"], qemuRefuses: true })
  Fs.copyFileSync(at("v3.qcow2"), at("huge.qcow2"))
  writeAt(at("huge.qcow2"), 24, u64be(1n << 62n))
  add({ name: "huge.qcow2", format: "qcow2", qemuFormat: "qcow2", problems: ["size"], qemuRefuses: true })
  Fs.copyFileSync(at("dynamic.vdi"), at("huge.vdi"))
  writeAt(at("huge.vdi"), 0x170, u64le(1n << 60n))
  add({ name: "huge.vdi", format: "vdi", qemuFormat: "vdi", problems: ["size"], qemuRefuses: true })
  Fs.copyFileSync(at("dynamic.vhd"), at("badsum.vhd"))
  writeAt(at("badsum.vhd"), 48, u64be(1n << 40n))
  add({ name: "badsum.vhd", format: "vhd", qemuFormat: "vpc", problems: ["header"], qemuRefuses: true })
  return samples
}
