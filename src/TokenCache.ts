/**
 * A place to keep a Keystone token and its catalog between programs, so that a second command
 * does not log in again (openstacksdk's `cache: {auth: true}`). `Keystone` uses it when it is
 * provided: it looks there before logging in, keeps each new token there, and drops one the
 * cloud refused. `glanceclient/node` has a file-based one (`NodeTokenCache`); `layerMemory` keeps
 * them in memory, for tests.
 *
 * Entries are keyed by `keyOf(settings)`: a SHA-256 of what says who logs in where (auth URL,
 * user, project, scope, application credential id), never of a password, token or secret.
 *
 * @since 0.1.0
 */
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { Settings } from "./CloudConfig.js"
import type { Session } from "./Keystone.js"

/**
 * Where tokens are kept between programs. A cache never fails its caller: a problem is a miss (and a warning log).
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The session kept under `key`, if there is one (expired or not: the caller decides). */
  readonly load: (key: string) => Effect.Effect<Option.Option<Session>>
  /** Keeps `session` under `key`, replacing what was there. */
  readonly save: (key: string, session: Session) => Effect.Effect<void>
  /** Forgets what is kept under `key`. */
  readonly remove: (key: string) => Effect.Effect<void>
}

/**
 * Keeps Keystone tokens between programs; `Keystone` uses it when provided.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenCache extends Context.Tag("glanceclient/TokenCache")<TokenCache, Service>() {}

const hex = (text: string) => bytesToHex(sha256(utf8ToBytes(text)))

/**
 * The key of a login: the SHA-256 (hex) of the settings that say who logs in, where, scoped to
 * what. The password, token and application credential secret are not part of it; settings
 * without an auth URL, or that log in with a token, have no key (nothing is cached for them).
 *
 * @since 0.1.0
 * @category operations
 */
export const keyOf = (settings: Settings, authType: string): string | undefined => {
  if (settings.authUrl === undefined || authType === "token") return undefined
  return hex(JSON.stringify([
    "glanceclient-token-cache-1",
    settings.authUrl.replace(/\/+$/, ""),
    authType,
    settings.identityApiVersion ?? null,
    settings.userId ?? null,
    settings.username ?? null,
    settings.userDomainId ?? null,
    settings.userDomainName ?? null,
    settings.projectId ?? null,
    settings.projectName ?? null,
    settings.projectDomainId ?? null,
    settings.projectDomainName ?? null,
    settings.applicationCredentialId ?? null,
    settings.applicationCredentialName ?? null
  ]))
}

/**
 * How a token is shown in `--debug` output: `{SHA256}` and the first 16 hex digits of its hash (keystoneauth's form).
 *
 * @since 0.1.0
 * @category schemas
 */
export const fingerprint = (token: Redacted.Redacted): string => `{SHA256}${hex(Redacted.value(token)).slice(0, 16)}`

const Endpoint = Schema.Struct({
  interface: Schema.Literal("public", "internal", "admin"),
  region: Schema.optional(Schema.String),
  url: Schema.String
})

/**
 * A kept session, as JSON. The token is in the clear: whoever reads the entry can use it until it expires.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StoredSession = Schema.Struct({
  version: Schema.Literal(1),
  token: Schema.String,
  expiresAt: Schema.Number,
  userId: Schema.optional(Schema.String),
  projectId: Schema.optional(Schema.String),
  identityVersion: Schema.Literal("v2.0", "v3"),
  catalog: Schema.Array(Schema.Struct({
    type: Schema.String,
    name: Schema.optional(Schema.String),
    endpoints: Schema.Array(Endpoint)
  }))
})

/**
 * The JSON text of a session to keep; none for a session that cannot be kept (a caller's token, no expiry).
 *
 * @since 0.1.0
 * @category operations
 */
export const encodeSession = (session: Session): Option.Option<string> => {
  if (session.expiresAt === undefined || session.identityVersion === "static") return Option.none()
  const stored: typeof StoredSession.Type = {
    version: 1,
    token: Redacted.value(session.token),
    expiresAt: session.expiresAt,
    ...(session.userId !== undefined ? { userId: session.userId } : {}),
    ...(session.projectId !== undefined ? { projectId: session.projectId } : {}),
    identityVersion: session.identityVersion,
    catalog: session.catalog.map((entry) => ({
      type: entry.type,
      ...(entry.name !== undefined ? { name: entry.name } : {}),
      endpoints: entry.endpoints.map((e) => ({
        interface: e.interface,
        ...(e.region !== undefined ? { region: e.region } : {}),
        url: e.url
      }))
    }))
  }
  return Option.some(JSON.stringify(stored))
}

/**
 * The session in a kept JSON text; none when the text is not one (another version, damaged).
 *
 * @since 0.1.0
 * @category operations
 */
export const decodeSession = (text: string): Option.Option<Session> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Option.none()
  }
  return Either.getRight(Schema.decodeUnknownEither(StoredSession)(json)).pipe(Option.map((s) => ({
    token: Redacted.make(s.token),
    expiresAt: s.expiresAt,
    userId: s.userId,
    projectId: s.projectId,
    identityVersion: s.identityVersion,
    catalog: s.catalog.map((entry) => ({
      type: entry.type,
      name: entry.name,
      endpoints: entry.endpoints.map((e) => ({ interface: e.interface, region: e.region, url: e.url }))
    }))
  })))
}

/**
 * A cache in memory (kept as the JSON a file would hold), shared by every Keystone built with the same layer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const entries = new Map<string, string>()
  return TokenCache.of({
    load: (key) => Effect.sync(() => Option.flatMap(Option.fromNullable(entries.get(key)), decodeSession)),
    save: (key, session) => Effect.sync(() => Option.map(encodeSession(session), (text) => entries.set(key, text))),
    remove: (key) => Effect.sync(() => void entries.delete(key))
  })
})

/**
 * A `TokenCache` in memory.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenCache> = Layer.effect(TokenCache, makeMemory)
