/**
 * Links a server hands back (`next`, `first`, `self`, `file`, schema links, `Location`), resolved
 * with the WHATWG URL standard and kept on the endpoint: the same scheme, host and port, under the
 * endpoint's path, and no user info. A link that fails is never requested.
 */
import * as Either from "effect/Either"

/** Why a link is refused, as the end of a sentence ("… because it …"). */
export type Refusal =
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "Origin"; readonly origin: string }
  | { readonly _tag: "UserInfo" }
  | { readonly _tag: "Path"; readonly path: string }

/** An endpoint root: the origin and path prefix every link must stay under. */
export interface Root {
  readonly url: URL
  /** The path prefix without a trailing slash: `""` for a root at `/`. */
  readonly prefix: string
}

const parse = (link: string, base: string | undefined): URL | undefined => {
  try {
    return new URL(link, base)
  } catch {
    return undefined
  }
}

/** The root of an endpoint URL (`https://cloud/image`, `http://glance:9292`); undefined when it is not an http(s) URL. */
export const root = (endpoint: string): Root | undefined => {
  const url = parse(endpoint, undefined)
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) return undefined
  url.search = ""
  url.hash = ""
  const prefix = url.pathname.replace(/\/+$/, "")
  url.pathname = `${prefix}/`
  return { url, prefix }
}

/** The root of an endpoint that is not a URL: no link is on it. */
export const nowhere: Root = { url: new URL("invalid:/"), prefix: "" }

/** Whether `url` stays on the root: the same scheme, host and port, under its path, no user info. */
export const check = (within: Root, url: URL): Either.Either<URL, Refusal> => {
  if (url.protocol !== within.url.protocol || url.host !== within.url.host) {
    return Either.left({
      _tag: "Origin",
      origin: url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol
    })
  }
  if (url.username !== "" || url.password !== "") return Either.left({ _tag: "UserInfo" })
  if (url.pathname !== within.prefix && !url.pathname.startsWith(`${within.prefix}/`)) {
    return Either.left({ _tag: "Path", path: url.pathname })
  }
  const clean = new URL(url.href)
  clean.hash = ""
  return Either.right(clean)
}

/**
 * Whether a link names a path from the server's root (`/v2/images?marker=…`), as Glance writes
 * its links: resolved against two unrelated bases, it keeps each base's host and gives the same path.
 */
const rootRelative = (link: string, scheme: string): URL | undefined => {
  const a = parse(link, `${scheme}//a.invalid/one/`)
  const b = parse(link, `${scheme}//b.invalid/two/three/`)
  return a !== undefined && b !== undefined && a.host === "a.invalid" && b.host === "b.invalid" &&
      a.pathname === b.pathname && a.search === b.search
    ? a
    : undefined
}

/**
 * Resolves a link from a response body against the endpoint root. Glance writes its links from
 * its own root (`/v2/images?marker=…`), which behind a proxy is the endpoint's path prefix, so
 * such a link is taken under the prefix, as python-glanceclient does; any other link (absolute,
 * `//host/…`, relative) is resolved by the URL standard against the root.
 */
export const resolve = (within: Root, link: string): Either.Either<URL, Refusal> => {
  const fromRoot = rootRelative(link, within.url.protocol)
  const url = fromRoot !== undefined
    ? parse(`.${fromRoot.pathname}${fromRoot.search}`, within.url.href)
    : parse(link, within.url.href)
  return url === undefined ? Either.left({ _tag: "Invalid" }) : check(within, url)
}

/** Resolves a `Location` header against the URL of the request it answered, by the URL standard. */
export const resolveLocation = (within: Root, location: string, requestUrl: string): Either.Either<URL, Refusal> => {
  const url = parse(location, requestUrl)
  return url === undefined ? Either.left({ _tag: "Invalid" }) : check(within, url)
}

/** Why a link was refused, in words. */
export const describeRefusal = (within: Root, refusal: Refusal): string => {
  switch (refusal._tag) {
    case "Invalid":
      return "it is not a URL"
    case "Origin":
      return `it leads to ${refusal.origin}, not ${within.url.origin}`
    case "UserInfo":
      return "it carries user info"
    case "Path":
      return `its path ${show(refusal.path, 80)} is outside the endpoint's ${within.prefix}/`
  }
}

const controls = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** A server-given string for a message, unquoted: control characters and bidi marks escaped, cut at `max`. */
export const escape = (text: string, max = 200): string =>
  (text.length > max ? `${text.slice(0, max)}…` : text).replace(
    controls,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  )

/**
 * A server-given string quoted for a message: JSON escapes control characters, user info is
 * masked (it may be a password), and a long one is cut.
 */
export const show = (text: string, max = 200): string => {
  const masked = text.replace(/^(\s*(?:[a-z][a-z0-9+.-]*:[\\/]*|[\\/]{2}))[^\\/?#]*@/i, "$1***@")
  return JSON.stringify(masked.length > max ? `${masked.slice(0, max)}…` : masked).replace(
    controls,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  )
}
