/**
 * The hasher on node:crypto (OpenSSL): sha512 at ~1.2 GB/s on the lab machine, several times the
 * portable one. Node.js only.
 *
 * @since 0.1.0
 */
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Crypto from "node:crypto"
import { type GlanceAlgorithm, Hasher, type Service } from "../Hasher.js"

/**
 * node:crypto's (OpenSSL's) name of each algorithm Glance can record.
 *
 * @since 0.1.0
 * @category constants
 */
export const nodeNames: Record<GlanceAlgorithm, string> = {
  sha512: "sha512",
  sha384: "sha384",
  sha256: "sha256",
  sha224: "sha224",
  sha512_256: "sha512-256",
  sha512_224: "sha512-224",
  sha3_512: "sha3-512",
  sha3_384: "sha3-384",
  sha3_256: "sha3-256",
  sha3_224: "sha3-224",
  blake2b: "blake2b512",
  blake2s: "blake2s256",
  sha1: "sha1",
  md5: "md5",
  ripemd160: "ripemd160",
  sm3: "sm3"
}

const available = new Set(Crypto.getHashes())

/**
 * Hashes with node:crypto, for every algorithm the OpenSSL Node.js was built with offers.
 *
 * @since 0.1.0
 * @category instances
 */
export const hasher: Service = {
  make: (algorithm) =>
    available.has(nodeNames[algorithm])
      ? Option.some((() => {
        const hash = Crypto.createHash(nodeNames[algorithm])
        return { update: (bytes: Uint8Array) => void hash.update(bytes), digest: () => hash.digest("hex") }
      })())
      : Option.none()
}

/**
 * The node:crypto hasher as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Hasher> = Layer.succeed(Hasher, hasher)
