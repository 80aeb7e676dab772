/** Links a server hands back: resolved by the URL standard, kept on the endpoint (src/internal/links.ts). */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Links from "../../src/internal/links.js"

const resolved = (root: string, link: string): string => {
  const result = Links.resolve(Links.root(root)!, link)
  return Either.isRight(result) ? result.right.href : `refused: ${result.left._tag}`
}

describe("Links.resolve", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    // Glance writes its links from its root: behind a path prefix they are taken under it.
    ["http://h:9292", "/v2/images?limit=20&marker=a", "http://h:9292/v2/images?limit=20&marker=a"],
    ["https://cloud/image", "/v2/images?marker=a", "https://cloud/image/v2/images?marker=a"],
    ["https://cloud/image/", "/v2/images?marker=a", "https://cloud/image/v2/images?marker=a"],
    // Absolute links on the endpoint work; off it, or outside its path, they are refused.
    ["http://h:9292", "http://h:9292/v2/images?marker=a", "http://h:9292/v2/images?marker=a"],
    ["http://h:9292", "HTTP://H:9292/v2/images", "http://h:9292/v2/images"],
    ["https://cloud/image", "https://cloud/image/v2/images", "https://cloud/image/v2/images"],
    ["https://cloud/image", "https://cloud/v2/images", "refused: Path"],
    ["https://cloud/image", "https://cloud/imagex/v2/images", "refused: Path"],
    ["http://h:9292", "http://other:9292/v2/images", "refused: Origin"],
    ["http://h:9292", "http://h:9293/v2/images", "refused: Origin"],
    ["https://h", "http://h/v2/images", "refused: Origin"],
    ["http://h:9292", "//other/v2/images", "refused: Origin"],
    ["http://h:9292", "/\\other/v2/images", "refused: Origin"],
    ["http://h:9292", "\t//other/v2/images", "refused: Origin"],
    ["http://h:9292", "javascript:alert(1)", "refused: Origin"],
    ["http://h:9292", "http://user:pass@h:9292/v2/images", "refused: UserInfo"],
    // The case: joined as a string it named another host; by the standard it is a path here.
    [
      "http://127.0.0.1:18100",
      "@127.0.0.2:18101/v2/images?marker=x",
      "http://127.0.0.1:18100/@127.0.0.2:18101/v2/images?marker=x"
    ],
    // Dot segments cannot climb out of the prefix: a path from Glance's root stops at it.
    ["https://cloud/image", "/v2/../../x", "https://cloud/image/x"],
    ["https://cloud/image", "/v2/%2e%2e/%2e%2e/x", "https://cloud/image/x"],
    ["https://cloud/image", "https://cloud/image/v2/%2e%2e/%2e%2e/x", "refused: Path"],
    ["https://cloud/image", "../x", "refused: Path"],
    ["https://cloud/image", "v2/images", "https://cloud/image/v2/images"],
    ["http://h:9292", "http://[::1", "refused: Invalid"]
  ]
  for (const [root, link, expected] of cases) {
    it(`${JSON.stringify(link)} from ${root} → ${expected}`, () => {
      assert.strictEqual(resolved(root, link), expected)
    })
  }

  it("a Location is resolved against the URL it answered, and checked the same way", () => {
    const root = Links.root("https://cloud/image")!
    const here = "https://cloud/image/v2/images/x"
    assert.strictEqual(
      Either.getOrThrow(Links.resolveLocation(root, "y", here)).href,
      "https://cloud/image/v2/images/y"
    )
    assert.isTrue(Either.isLeft(Links.resolveLocation(root, "/v2/images/y", here)))
    assert.isTrue(Either.isLeft(Links.resolveLocation(root, "https://evil/image/v2", here)))
  })

  it("a root that is not a URL is none", () => {
    assert.isUndefined(Links.root("glance:"))
    assert.isUndefined(Links.root("http://"))
  })
})

describe("Links.show", () => {
  it("quotes, escapes control characters and bidi overrides, masks user info, cuts a long link", () => {
    assert.strictEqual(Links.show("http://u:secret@h/x"), `"http://***@h/x"`)
    assert.strictEqual(Links.show("//u:secret@h/x"), `"//***@h/x"`)
    assert.strictEqual(Links.show("@127.0.0.2:1/v2"), `"@127.0.0.2:1/v2"`)
    assert.strictEqual(Links.show("/a\x1b]0;title\x07\u202e\u0085"), `"/a\\u001b]0;title\\u0007\\u202e\\u0085"`)
    const long = Links.show(`/${"a".repeat(1000)}`)
    assert.isBelow(long.length, 210)
    assert.isTrue(long.endsWith(`…"`))
  })
})
