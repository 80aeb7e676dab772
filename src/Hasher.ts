/**
 * Streaming hashes for verifying image data, behind a service: the portable default is pure
 * TypeScript (@noble/hashes, audited, no dependencies); `glanceclient/node` provides node:crypto
 * (OpenSSL), several times faster on large images.
 *
 * @since 0.1.0
 */
import { blake2b, blake2s } from "@noble/hashes/blake2.js"
import { md5, ripemd160, sha1 } from "@noble/hashes/legacy.js"
import { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } from "@noble/hashes/sha2.js"
import { sha3_224, sha3_256, sha3_384, sha3_512 } from "@noble/hashes/sha3.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/**
 * An incremental hash: bytes pass through `update`, `digest` gives the lower-case hex once, at the end.
 *
 * @since 0.1.0
 * @category models
 */
export interface Hash {
  readonly update: (bytes: Uint8Array) => void
  readonly digest: () => string
}

/**
 * Makes streaming hashes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** A new hash of `algorithm` (one of `glanceAlgorithms`), or none when this hasher does not offer it. */
  readonly make: (algorithm: GlanceAlgorithm) => Option.Option<Hash>
}

/**
 * Makes streaming hashes for verifying image data.
 *
 * @since 0.1.0
 * @category tags
 */
export class Hasher extends Context.Tag("glanceclient/Hasher")<Hasher, Service>() {}

/**
 * The algorithms Glance can record in `os_hash_algo` (its `hashing_algorithm` option takes a
 * Python hashlib name); the variable-length `shake_*` cannot give a hex digest there, so never appear.
 *
 * @since 0.1.0
 * @category constants
 */
export const glanceAlgorithms = [
  "sha512",
  "sha384",
  "sha256",
  "sha224",
  "sha512_256",
  "sha512_224",
  "sha3_512",
  "sha3_384",
  "sha3_256",
  "sha3_224",
  "blake2b",
  "blake2s",
  "sha1",
  "md5",
  "ripemd160",
  "sm3"
] as const

/**
 * An algorithm Glance can record in `os_hash_algo`.
 *
 * @since 0.1.0
 * @category models
 */
export type GlanceAlgorithm = typeof glanceAlgorithms[number]

/**
 * Algorithms that still verify, but whose collisions can be made: a download with one warns.
 *
 * @since 0.1.0
 * @category constants
 */
export const weakAlgorithms: ReadonlySet<GlanceAlgorithm> = new Set<GlanceAlgorithm>(["md5", "sha1"])

/**
 * The Glance algorithm an `os_hash_algo` names (hashlib's names, case-insensitive, `-` for `_`
 * accepted as OpenSSL spells them), or none for anything else (`none`, an empty string, a path).
 *
 * @since 0.1.0
 * @category operations
 */
export const glanceAlgorithm = (name: string): Option.Option<GlanceAlgorithm> => {
  const key = name.toLowerCase().replace(/-/g, "_")
  return Option.fromNullable(glanceAlgorithms.find((a) => a === key))
}

type NobleHash = { readonly create: () => { update(b: Uint8Array): unknown; digest(): Uint8Array } }

const noble: Partial<Record<GlanceAlgorithm, NobleHash>> = {
  sha512,
  sha384,
  sha256,
  sha224,
  sha512_256,
  sha512_224,
  sha3_512,
  sha3_384,
  sha3_256,
  sha3_224,
  blake2b,
  blake2s,
  sha1,
  md5,
  ripemd160
}

/**
 * The portable hasher: pure TypeScript, every Glance algorithm but `sm3`.
 *
 * @since 0.1.0
 * @category instances
 */
export const portable: Service = {
  make: (algorithm) =>
    Option.map(Option.fromNullable(noble[algorithm]), (fn) => {
      const hash = fn.create()
      return {
        update: (bytes) => void hash.update(bytes),
        digest: () => bytesToHex(hash.digest())
      }
    })
}

/**
 * The portable hasher as a layer (`glanceclient/node` has a faster one).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Hasher> = Layer.succeed(Hasher, portable)
