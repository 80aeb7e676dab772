/** The hashers: the portable one (@noble/hashes) and node:crypto's agree with OpenSSL on every Glance algorithm. */
import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Crypto from "node:crypto"
import * as Hasher from "../../src/Hasher.js"
import { hasher as nodeHasher, nodeNames } from "../../src/node/hasher.js"

/** Blocks of different shapes: a whole buffer, a view into a larger one, an empty one. */
const blocks = () => {
  const whole = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 11) % 251)
  const big = whole(300_000, 7)
  return [whole(1 << 18, 3), big.subarray(1_000, 250_000), new Uint8Array(0), whole(77_777, 13)]
}

const openssl = nodeNames

const expected = (algorithm: Hasher.GlanceAlgorithm) => {
  const hash = Crypto.createHash(openssl[algorithm])
  for (const b of blocks()) hash.update(b)
  return hash.digest("hex")
}

const digest = (service: Hasher.Service, algorithm: Hasher.GlanceAlgorithm) =>
  Option.map(service.make(algorithm), (hash) => {
    for (const b of blocks()) hash.update(b)
    return hash.digest()
  })

describe("Hasher", () => {
  for (const algorithm of Hasher.glanceAlgorithms) {
    const known = Crypto.getHashes().includes(openssl[algorithm])
    it.skipIf(!known)(`${algorithm}: the portable and the node:crypto hasher give OpenSSL's digest`, () => {
      assert.deepStrictEqual(digest(nodeHasher, algorithm), Option.some(expected(algorithm)))
      if (algorithm === "sm3") assert.isTrue(Option.isNone(Hasher.portable.make("sm3")))
      else assert.deepStrictEqual(digest(Hasher.portable, algorithm), Option.some(expected(algorithm)))
    })
  }

  it("Glance's names: hashlib spelling, case-insensitive, - for _; anything else is not an algorithm", () => {
    assert.deepStrictEqual(Hasher.glanceAlgorithm("SHA3-256"), Option.some("sha3_256"))
    assert.deepStrictEqual(Hasher.glanceAlgorithm("blake2b"), Option.some("blake2b"))
    for (const name of ["none", "", "../../x", "shake_128", "sha512 ", "whirlpool"]) {
      assert.isTrue(Option.isNone(Hasher.glanceAlgorithm(name)), name)
    }
    assert.deepStrictEqual([...Hasher.weakAlgorithms].sort(), ["md5", "sha1"])
  })

  it("each make is a new hash: two downloads never share state", () => {
    const a = Option.getOrThrow(Hasher.portable.make("sha256"))
    const b = Option.getOrThrow(Hasher.portable.make("sha256"))
    a.update(new Uint8Array([1]))
    assert.strictEqual(b.digest(), Crypto.createHash("sha256").digest("hex"))
  })
})
