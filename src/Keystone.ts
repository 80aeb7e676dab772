/**
 * Logs in to OpenStack Identity (Keystone v3, or v2.0 for old clouds) and keeps a valid token:
 * cached, re-issued shortly before it expires, and re-issued once after a 401. With a
 * `TokenCache` provided, tokens are kept there too and used again by the next program.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { CloudConfig, ConfigError, missingSetting, type Settings } from "./CloudConfig.js"
import { type BadResponse, type TransportError, TypeId } from "./GlanceError.js"
import * as Body from "./internal/boundedBody.js"
import { isConnectionDropped, redactedHeaderNames } from "./internal/http.js"
import * as Links from "./internal/links.js"
import * as Core from "./internal/requestCore.js"
import * as TokenCache from "./TokenCache.js"

/**
 * Keystone refused the credentials, or answered something that is not a token.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  url: Schema.String,
  requestId: Schema.optional(Schema.String)
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Every failure of logging in.
 *
 * @since 0.1.0
 * @category errors
 */
export type KeystoneError = AuthenticationError | ConfigError | TransportError

/**
 * One endpoint of a service in the catalog.
 *
 * @since 0.1.0
 * @category models
 */
export interface Endpoint {
  readonly interface: "public" | "internal" | "admin"
  readonly region: string | undefined
  readonly url: string
}

/**
 * One service of the catalog.
 *
 * @since 0.1.0
 * @category models
 */
export interface CatalogEntry {
  readonly type: string
  readonly name: string | undefined
  readonly endpoints: ReadonlyArray<Endpoint>
}

/**
 * A token with what came with it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Session {
  readonly token: Redacted.Redacted
  /** Epoch milliseconds; undefined when the token came from the caller. */
  readonly expiresAt: number | undefined
  readonly catalog: ReadonlyArray<CatalogEntry>
  readonly userId: string | undefined
  readonly projectId: string | undefined
  /** The identity API version the token was issued by. */
  readonly identityVersion: "v2.0" | "v3" | "static"
}

/**
 * A source of valid tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The current session; logs in when there is none or it is about to expire. */
  readonly session: Effect.Effect<Session, KeystoneError>
  /** Forgets the current token (after a 401) so the next `session` logs in again. */
  readonly invalidate: (token: Redacted.Redacted) => Effect.Effect<void>
}

/**
 * The Identity service client.
 *
 * @since 0.1.0
 * @category tags
 */
export class Keystone extends Context.Tag("glanceclient/Keystone")<Keystone, Service>() {}

/**
 * Tokens are re-issued when they have less than this left.
 *
 * @since 0.1.0
 * @category schemas
 */
export const refreshMargin = 60_000

const TokenV3 = Schema.Struct({
  token: Schema.Struct({
    expires_at: Schema.String,
    user: Schema.optional(Schema.Struct({ id: Schema.String })),
    project: Schema.optional(Schema.Struct({ id: Schema.String })),
    catalog: Schema.optionalWith(
      Schema.Array(Schema.Struct({
        type: Schema.String,
        name: Schema.optional(Schema.String),
        endpoints: Schema.Array(Schema.Struct({
          interface: Schema.String,
          region_id: Schema.optional(Schema.NullOr(Schema.String)),
          region: Schema.optional(Schema.NullOr(Schema.String)),
          url: Schema.String
        }))
      })),
      { default: () => [] }
    )
  })
})

const TokenV2 = Schema.Struct({
  access: Schema.Struct({
    token: Schema.Struct({
      id: Schema.String,
      expires: Schema.String,
      tenant: Schema.optional(Schema.Struct({ id: Schema.String }))
    }),
    user: Schema.optional(Schema.Struct({ id: Schema.String })),
    serviceCatalog: Schema.optionalWith(
      Schema.Array(Schema.Struct({
        type: Schema.String,
        name: Schema.optional(Schema.String),
        endpoints: Schema.Array(Schema.Struct({
          region: Schema.optional(Schema.String),
          publicURL: Schema.optional(Schema.String),
          internalURL: Schema.optional(Schema.String),
          adminURL: Schema.optional(Schema.String)
        }))
      })),
      { default: () => [] }
    )
  })
})

const Versions = Schema.Struct({
  versions: Schema.Struct({
    values: Schema.Array(Schema.Struct({
      id: Schema.String,
      status: Schema.optional(Schema.String),
      links: Schema.optionalWith(Schema.Array(Schema.Struct({ rel: Schema.String, href: Schema.String })), {
        default: () => []
      })
    }))
  })
})

const trimSlash = (url: string) => url.replace(/\/+$/, "")

const interfaceOf = (s: string): Endpoint["interface"] =>
  s.startsWith("internal") ? "internal" : s.startsWith("admin") ? "admin" : "public"

/** Which Identity API an auth URL names by its path, if it does. */
const versionOfUrl = (authUrl: string): "v2.0" | "v3" | undefined => {
  const path = trimSlash(new URL(authUrl).pathname)
  if (/\/v3$/.test(path)) return "v3"
  if (/\/v2\.0$/.test(path)) return "v2.0"
  return undefined
}

/** The JSON body of a v3 `POST /auth/tokens` for these settings. */
const v3AuthBody = (settings: Settings): Effect.Effect<unknown, ConfigError> =>
  Effect.gen(function*() {
    const domain = (id: string | undefined, name: string | undefined) =>
      id !== undefined ? { id } : { name: name ?? "Default" }
    const scope = settings.projectId !== undefined
      ? { project: { id: settings.projectId } }
      : settings.projectName !== undefined
      ? {
        project: { name: settings.projectName, domain: domain(settings.projectDomainId, settings.projectDomainName) }
      }
      : undefined
    const type = authTypeOf(settings)
    if (type === "v3applicationcredential") {
      const secret = settings.applicationCredentialSecret
      if (secret === undefined) {
        return yield* missingSetting("applicationCredentialSecret", "an application credential secret")
      }
      const credential = settings.applicationCredentialId !== undefined
        ? { id: settings.applicationCredentialId, secret: Redacted.value(secret) }
        : settings.applicationCredentialName !== undefined
        ? {
          name: settings.applicationCredentialName,
          secret: Redacted.value(secret),
          user: yield* userRef(settings, domain)
        }
        : yield* missingSetting("applicationCredentialId", "an application credential id")
      return {
        auth: { identity: { methods: ["application_credential"], application_credential: credential } }
      }
    }
    if (type === "token") {
      if (settings.token === undefined) return yield* missingToken
      return {
        auth: {
          identity: { methods: ["token"], token: { id: Redacted.value(settings.token) } },
          ...(scope ? { scope } : {})
        }
      }
    }
    if (settings.password === undefined) {
      return yield* missingSetting("password", "a password")
    }
    return {
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { ...(yield* userRef(settings, domain)), password: Redacted.value(settings.password) } }
        },
        ...(scope ? { scope } : {})
      }
    }
  })

const userRef = (
  settings: Settings,
  domain: (id: string | undefined, name: string | undefined) => object
): Effect.Effect<object, ConfigError> =>
  settings.userId !== undefined
    ? Effect.succeed({ id: settings.userId })
    : settings.username !== undefined
    ? Effect.succeed({ name: settings.username, domain: domain(settings.userDomainId, settings.userDomainName) })
    : Effect.fail(missingSetting("username", "a username or user id"))

/** The JSON body of a v2.0 `POST /tokens` for these settings. */
const v2AuthBody = (settings: Settings): Effect.Effect<unknown, ConfigError> =>
  Effect.gen(function*() {
    const tenant = settings.projectId !== undefined
      ? { tenantId: settings.projectId }
      : settings.projectName !== undefined
      ? { tenantName: settings.projectName }
      : {}
    if (authTypeOf(settings) === "token") {
      if (settings.token === undefined) return yield* missingToken
      return { auth: { token: { id: Redacted.value(settings.token) }, ...tenant } }
    }
    if (settings.username === undefined && settings.userId === undefined) {
      return yield* missingSetting("username", "a username or user id")
    }
    if (settings.password === undefined) return yield* missingSetting("password", "a password")
    return {
      auth: {
        passwordCredentials: {
          ...(settings.username !== undefined ? { username: settings.username } : { userId: settings.userId }),
          password: Redacted.value(settings.password)
        },
        ...tenant
      }
    }
  })

const missingToken = Effect.fail(missingSetting("token", "a token"))

/**
 * The kind of login these settings ask for.
 *
 * @internal
 */
export const authTypeOf = (settings: Settings): "password" | "token" | "v3applicationcredential" => {
  const t = settings.authType?.toLowerCase()
  if (t === "v3applicationcredential" || t === "application_credential") return "v3applicationcredential"
  if (t === "token" || t === "v3token" || t === "v2token") return "token"
  if (t === "password" || t === "v3password" || t === "v2password") return "password"
  if (settings.applicationCredentialId !== undefined || settings.applicationCredentialName !== undefined) {
    return "v3applicationcredential"
  }
  if (settings.password === undefined && settings.token !== undefined) return "token"
  return "password"
}

/**
 * Epoch milliseconds of a Keystone timestamp. One without a zone is UTC: Keystone writes the
 * expiry of a token capped by its application credential's expiry that way.
 */
const parseExpiry = (timestamp: string): number =>
  Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(timestamp) ? timestamp : `${timestamp}Z`)

/** Normalizes a v3 token response into a session. */
const sessionFromV3 = (token: Redacted.Redacted, body: typeof TokenV3.Type): Session => ({
  token,
  expiresAt: parseExpiry(body.token.expires_at),
  userId: body.token.user?.id,
  projectId: body.token.project?.id,
  identityVersion: "v3",
  catalog: body.token.catalog.map((s) => ({
    type: s.type,
    name: s.name,
    endpoints: s.endpoints.map((e) => ({
      interface: interfaceOf(e.interface),
      region: e.region_id ?? e.region ?? undefined,
      url: e.url
    }))
  }))
})

/** Normalizes a v2.0 token response into a session. */
const sessionFromV2 = (body: typeof TokenV2.Type): Session => ({
  token: Redacted.make(body.access.token.id),
  expiresAt: parseExpiry(body.access.token.expires),
  userId: body.access.user?.id,
  projectId: body.access.token.tenant?.id,
  identityVersion: "v2.0",
  catalog: body.access.serviceCatalog.map((s) => ({
    type: s.type,
    name: s.name,
    endpoints: s.endpoints.flatMap((e) =>
      (["public", "internal", "admin"] as const).flatMap((i) => {
        const url = e[`${i}URL`]
        return url === undefined ? [] : [{ interface: i, region: e.region, url }]
      })
    )
  }))
})

/**
 * Logs in with the settings of `CloudConfig`, over the given `HttpClient`, by the rules of every request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, CloudConfig | HttpClient.HttpClient> = Effect.gen(function*() {
  const settings = yield* CloudConfig
  const http = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(HttpClientRequest.acceptJson),
    HttpClient.mapRequest(HttpClientRequest.setHeader("user-agent", userAgent))
  )

  /** The rules for the auth URL: its origin and path bound every redirect and discovered link. */
  const rulesFor = (authUrl: string): Core.Rules => ({
    service: "Identity service",
    root: Links.root(authUrl) ?? Links.nowhere,
    timeout: settings.timeout === undefined ? undefined : Duration.seconds(settings.timeout),
    maxResponseBytes: settings.maxResponseSize === undefined
      ? Core.defaultMaxResponseBytes
      : settings.maxResponseSize * Body.MiB,
    // Keystone answers its unversioned URL with `300 Multiple Choices` and the versions document.
    accept: (status) => status === 300
  })

  /** What the core refuses about an answer is, for a login, an answer that is not a token. */
  const refusedAnswer = (error: BadResponse) =>
    new AuthenticationError({
      message: error.message,
      url: error.url,
      ...(error.requestId !== undefined ? { requestId: error.requestId } : {})
    })

  /**
   * A connection the Identity service dropped before answering is tried again, twice at most: a
   * busy Keystone's workers do that, and a login asked twice only issues one more token.
   */
  const dropped = Core.retrySchedule<unknown>({ retries: 2, base: "200 millis", cap: "2 seconds" }, () => undefined)

  const send = (rules: Core.Rules, request: HttpClientRequest.HttpClientRequest) =>
    Core.send(http, rules, request).pipe(
      Effect.retry({ schedule: dropped, while: (e) => e._tag === "TransportError" && isConnectionDropped(e) }),
      Effect.catchTag("BadResponse", (error) => Effect.fail(refusedAnswer(error))),
      Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...redactedHeaderNames])
    )

  const readFailure = (failure: Core.JsonFailure, url: string): AuthenticationError | TransportError =>
    failure._tag === "NotJson"
      ? new AuthenticationError({
        message: `The Identity service at ${url} answered with a body that is not JSON`,
        url
      })
      : failure.error._tag === "BadResponse"
      ? refusedAnswer(failure.error)
      : failure.error

  const json = (
    rules: Core.Rules,
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse
  ): Effect.Effect<unknown, AuthenticationError | TransportError> =>
    Effect.mapError(Core.readJson(rules, request, response), (failure) => readFailure(failure, request.url))

  const refused = (rules: Core.Rules, response: HttpClientResponse.HttpClientResponse, url: string) =>
    Effect.gen(function*() {
      const text = yield* Body.readPrefix(response, Core.maxErrorBodyBytes, rules.timeout)
      const requestId = response.headers["x-openstack-request-id"]
      const detail = keystoneMessage(text)
      const message = response.status === 401
        ? `Invalid OpenStack Identity credentials${detail ? `: ${detail}` : "."}`
        : `The Identity service at ${url} answered ${response.status}${detail ? `: ${detail}` : ""}`
      return yield* new AuthenticationError({
        message,
        status: response.status,
        url,
        ...(requestId ? { requestId } : {})
      })
    })

  const decode = <A, I>(schema: Schema.Schema<A, I>, url: string) => (body: unknown) =>
    Schema.decodeUnknown(schema)(body).pipe(
      Effect.mapError((e) =>
        new AuthenticationError({
          message: `The Identity service at ${url} answered with an unexpected body: ${Core.describeParseError(e)}`,
          url
        })
      )
    )

  const discover = Effect.gen(function*() {
    const authUrl = settings.authUrl
    if (authUrl === undefined) {
      return yield* missingSetting("authUrl", "an auth URL")
    }
    if (!/^https?:\/\/[^/]/.test(authUrl) || !URL.canParse(authUrl)) {
      return yield* new ConfigError({ message: `The auth URL "${authUrl}" is not an http(s) URL` })
    }
    const rules = rulesFor(authUrl)
    const byPath = versionOfUrl(authUrl)
    if (byPath) return { version: byPath, base: trimSlash(authUrl), rules }
    const wanted = settings.identityApiVersion?.startsWith("2") ? "v2.0" : "v3"
    const request = HttpClientRequest.get(authUrl)
    const response = yield* send(rules, request)
    // A body that is not a versions document lists no version (the error below says so).
    const doc = yield* Core.readJson(rules, request, response).pipe(
      Effect.map(Schema.decodeUnknownOption(Versions)),
      Effect.catchAll((failure) =>
        failure._tag === "NotJson" ? Effect.succeed(Option.none()) : Effect.fail(readFailure(failure, authUrl))
      )
    )
    const values = Option.match(doc, { onNone: () => [], onSome: (d) => d.versions.values })
    const pick = values.find((v) => v.id.startsWith(wanted)) ?? values.find((v) => v.id.startsWith("v3")) ??
      values.find((v) => v.id.startsWith("v2.0"))
    if (!pick) {
      return yield* new AuthenticationError({
        message: `The auth URL ${authUrl} does not list an Identity v3 or v2.0 API`,
        url: authUrl
      })
    }
    const version = pick.id.startsWith("v3") ? "v3" as const : "v2.0" as const
    // The version's own link is taken only on the auth URL's origin and path; one elsewhere (another
    // host, or http for https) is not followed with the credentials: the version is then asked
    // for under the auth URL itself.
    const self = pick.links.find((l) => l.rel === "self")?.href
    const onRoot = self === undefined
      ? undefined
      : Either.getOrUndefined(Links.resolveLocation(rules.root, self, authUrl))
    return { version, base: trimSlash(onRoot?.href ?? `${trimSlash(authUrl)}/${version}`), rules }
  })

  const login: Effect.Effect<Session, KeystoneError> = Effect.gen(function*() {
    const { base, rules, version } = yield* discover
    const useV2 = version === "v2.0"
    if (useV2) {
      const url = `${base}/tokens`
      const body = yield* v2AuthBody(settings)
      const request = HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson(body))
      const response = yield* send(rules, request)
      if (response.status !== 200) return yield* refused(rules, response, url)
      return sessionFromV2(yield* Effect.flatMap(json(rules, request, response), decode(TokenV2, url)))
    }
    const url = `${base}/auth/tokens`
    const body = yield* v3AuthBody(settings)
    const request = HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson(body))
    const response = yield* send(rules, request)
    if (response.status !== 201 && response.status !== 200) return yield* refused(rules, response, url)
    const subject = response.headers["x-subject-token"]
    if (!subject) {
      yield* Core.discard(rules, response)
      return yield* new AuthenticationError({ message: `The Identity service at ${url} returned no token`, url })
    }
    const decoded = yield* Effect.flatMap(json(rules, request, response), decode(TokenV3, url))
    return sessionFromV3(Redacted.make(subject), decoded)
  }).pipe(Effect.withSpan("Keystone.login"))

  const ref = yield* SynchronizedRef.make(Option.none<Session>())
  const usable = (s: Session, now: number) => s.expiresAt === undefined || s.expiresAt - now > refreshMargin

  // The token cache, when one is provided and these settings have a key (not a token login).
  const cache = Option.flatMap(
    yield* Effect.serviceOption(TokenCache.TokenCache),
    (service) =>
      Option.map(Option.fromNullable(TokenCache.keyOf(settings, authTypeOf(settings))), (key) => ({ service, key }))
  )

  /** A token kept by an earlier program, while it has more than `refreshMargin` left. */
  const cached = (now: number): Effect.Effect<Option.Option<Session>> =>
    Option.match(cache, {
      onNone: () => Effect.succeed(Option.none()),
      onSome: ({ key, service }) =>
        service.load(key).pipe(
          Effect.map(Option.filter((s) => s.expiresAt !== undefined && usable(s, now))),
          Effect.tap(Option.match({
            onNone: () => Effect.void,
            onSome: (s) => Effect.logDebug(`using cached token ${TokenCache.fingerprint(s.token)}`)
          }))
        )
    })

  const keep = (fresh: Session) =>
    Option.match(cache, { onNone: () => Effect.void, onSome: ({ key, service }) => service.save(key, fresh) })

  const session = SynchronizedRef.modifyEffect(ref, (current) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (Option.isSome(current) && usable(current.value, now)) return [current.value, current] as const
      const kept = yield* cached(now)
      if (Option.isSome(kept)) return [kept.value, kept] as const
      const fresh = yield* login
      yield* keep(fresh)
      return [fresh, Option.some(fresh)] as const
    }))

  /** Forgets a token the cloud refused, here and in the token cache (unless another program replaced it there). */
  const invalidate = (token: Redacted.Redacted) =>
    SynchronizedRef.updateEffect(ref, (current) => {
      const same = (s: Session) => Redacted.value(s.token) === Redacted.value(token)
      const dropKept = Option.match(cache, {
        onNone: () => Effect.void,
        onSome: ({ key, service }) =>
          Effect.flatMap(service.load(key), (kept) =>
            Option.isSome(kept) && same(kept.value) ? service.remove(key) : Effect.void)
      })
      return Effect.as(dropKept, Option.isSome(current) && same(current.value) ? Option.none() : current)
    })

  return Keystone.of({ session, invalidate })
})

/**
 * Keystone logging in with the `CloudConfig` settings.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Keystone, never, CloudConfig | HttpClient.HttpClient> = Layer.effect(Keystone, make)

/**
 * A fixed token, with no Identity service at all (the `--os-auth-token` + `--os-image-url` mode).
 * A 401 then cannot be cured by logging in again.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerToken = (token: Redacted.Redacted): Layer.Layer<Keystone> =>
  Layer.succeed(
    Keystone,
    Keystone.of({
      session: Effect.succeed({
        token,
        expiresAt: undefined,
        catalog: [],
        userId: undefined,
        projectId: undefined,
        identityVersion: "static"
      }),
      invalidate: () => Effect.void
    })
  )

/**
 * Picks `layerToken` for a token plus an image URL, and `layer` otherwise.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromConfig: Layer.Layer<Keystone, never, CloudConfig | HttpClient.HttpClient> = Layer.unwrapEffect(
  Effect.map(CloudConfig, (settings) =>
    settings.token !== undefined && settings.imageUrl !== undefined
      ? layerToken(settings.token)
      : layer)
)

const keystoneMessage = (text: string): string | undefined => {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } }
    return parsed.error?.message
  } catch {
    const line = text.trim().split("\n").pop()
    return line && line.length < 300 ? line : undefined
  }
}

/**
 * The User-Agent sent with every request.
 *
 * @since 0.1.0
 * @category constants
 */
export const userAgent = "glanceclient-ts/0.1.0"
