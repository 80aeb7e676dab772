/**
 * Errors that say why, as a library caller and a `glance` user meet them: the `isGlanceError`
 * family guard, `createAndUpload`'s `ImageNotCreated` carrying the server's reason and the body's
 * own error type, a missing setting named as the caller gives it (`authUrl` for the library,
 * `--os-auth-url` for the command), and a TLS fix named the same way (the `ca` TLS option for the
 * library, `--os-cacert` for the command).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { describe as describeFailure } from "../../src/cli/errors.js"
import {
  CloudConfig,
  Decompression,
  GlanceClient,
  GlanceError,
  GlanceHttp,
  ImageEndpoint,
  Images,
  Keystone
} from "../../src/index.js"
import { GlanceTest } from "../../src/testing/index.js"

class DiskBroke extends Data.TaggedError("DiskBroke")<{ readonly path: string }> {}

/** Another library's error with one of our tags: not ours. */
class NotFound extends Data.TaggedError("NotFound")<{ readonly status: number; readonly message: string }> {}

describe("GlanceError.isGlanceError", () => {
  it("tells every module's errors from any other failure", () => {
    const response = { message: "no", status: 404, method: "GET", url: "http://glance/v2/images/x" }
    const ours: Array<unknown> = [
      new GlanceError.NotFound(response),
      new GlanceError.HttpError({ ...response, status: 500 }),
      new GlanceError.TransportError({ message: "reset", method: "GET", url: "http://glance/" }),
      new GlanceError.InvalidInput({ message: "bad" }),
      new GlanceError.ImageNotCreated({
        message: "x",
        imageId: "i",
        deleted: true,
        cause: new DiskBroke({ path: "p" })
      }),
      new CloudConfig.ConfigError({ message: "missing" }),
      new Keystone.AuthenticationError({ message: "refused", url: "http://ks/v3" }),
      new Decompression.DecompressionError({ compression: "gzip", message: "corrupt" })
    ]
    for (const error of ours) assert.isTrue(GlanceError.isGlanceError(error), String(error))
    for (const other of [new NotFound({ status: 404, message: "x" }), new Error("x"), { _tag: "NotFound" }, null]) {
      assert.isFalse(GlanceError.isGlanceError(other), String(other))
    }
    assert.isTrue(GlanceError.isResponseError(ours[0]))
    assert.isTrue(GlanceError.isResponseError(ours[1]))
    assert.isFalse(GlanceError.isResponseError(ours[2]))
    assert.isFalse(GlanceError.isResponseError(new NotFound({ status: 404, message: "x" })))
  })
})

describe("Images.createAndUpload", () => {
  it.effect("without formats: ImageNotCreated says the server's reason, and its cause is typed", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Images.createAndUpload({ name: "no-formats" }, Stream.make(new Uint8Array(8))))
      assert.strictEqual(error._tag, "ImageNotCreated")
      if (error._tag !== "ImageNotCreated") return
      assert.include(error.message, "disk_format, container_format must be set")
      assert.isTrue(error.deleted)
      // The cause's type is the upload's: matched by tag without a cast.
      assert.strictEqual(error.cause._tag, "BadRequest")
      if (error.cause._tag === "BadRequest") assert.strictEqual(error.cause.status, 400)
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("a failure of the body is the cause, with the body's own type", () =>
    Effect.gen(function*() {
      const body = Stream.concat(Stream.make(new Uint8Array(8)), Stream.fail(new DiskBroke({ path: "/dev/sdz" })))
      const error = yield* Effect.flip(
        Images.createAndUpload({ name: "broken-body", disk_format: "raw", container_format: "bare" }, body)
      )
      assert.isTrue(error._tag === "ImageNotCreated" && error.cause._tag === "DiskBroke")
      if (error._tag === "ImageNotCreated" && error.cause._tag === "DiskBroke") {
        assert.strictEqual(error.cause.path, "/dev/sdz")
      }
      const images = yield* Images.Images
      const left = yield* Stream.runCollect(images.list())
      assert.strictEqual(left.length, 0, "the half-made image was deleted")
    }).pipe(Effect.provide(GlanceTest.layer())))
})

describe("a missing setting", () => {
  // Keystone is never reached: the settings are checked first.
  const unreachable = HttpClient.make((request) => Effect.die(`no request expected: ${request.url}`))

  it.effect("GlanceClient.layer({}) names authUrl, in the library's terms", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.flatMap(Images.Images, (images) => Stream.runDrain(images.list())).pipe(
          Effect.provide(
            GlanceClient.layer({}, { timeout: "5 seconds" }).pipe(
              Layer.provide(GlanceClient.portable),
              Layer.provide(Layer.succeed(HttpClient.HttpClient, unreachable))
            )
          )
        )
      )
      assert.isTrue(error._tag === "ConfigError" && error.setting === "authUrl", String(error))
      assert.include(error.message, "the authUrl setting, or OS_AUTH_URL in the environment")
      assert.notInclude(error.message, "--os-")
    }))

  it("the glance command names its flag and variable for it", () => {
    const error = new CloudConfig.ConfigError({ message: "library words", setting: "authUrl" })
    assert.deepStrictEqual(describeFailure(error), {
      line: "You must provide an auth url via either --os-auth-url or env[OS_AUTH_URL], or a cloud via --os-cloud",
      exitCode: 1
    })
    const password = new CloudConfig.ConfigError({ message: "library words", setting: "password" })
    assert.include(describeFailure(password).line, "--os-password or env[OS_PASSWORD]")
    // A ConfigError about something else keeps its own message.
    assert.strictEqual(
      describeFailure(new CloudConfig.ConfigError({ message: "The auth URL is odd" })).line,
      "The auth URL is odd"
    )
  })

  it("the glance command words a response error with its status and request id", () => {
    const error = new GlanceError.Conflict({
      message: "Image is busy",
      status: 409,
      method: "PUT",
      url: "http://glance/v2/images/x/file",
      requestId: "req-1"
    })
    assert.strictEqual(describeFailure(error).line, "HTTP 409 Conflict: Image is busy (request-id: req-1)")
    // Another library's error that looks like ours is not worded as a Glance answer.
    assert.strictEqual(describeFailure(new NotFound({ status: 404, message: "elsewhere" })).line, "elsewhere")
  })
})

/** The transport failure of a GET through the request core, over a client whose connection fails with `code`. */
const failingWith = (code: string) =>
  GlanceHttp.make().pipe(
    Effect.flatMap((http) => Effect.flip(http.send(HttpClientRequest.get("/v2/images/x")))),
    Effect.provide(
      Layer.mergeAll(Keystone.layerToken(Redacted.make("t")), ImageEndpoint.layerUrl("https://cloud:9292")).pipe(
        Layer.provideMerge(Layer.succeed(
          HttpClient.HttpClient,
          HttpClient.make((request) =>
            Effect.fail(
              new HttpClientError.RequestError({
                request,
                reason: "Transport",
                cause: Object.assign(new Error("handshake"), { code })
              })
            )
          )
        ))
      )
    ),
    // No retries of a refused handshake: the same on every attempt.
    Effect.timeout("5 seconds")
  )

describe("a TLS handshake that lacks what the caller can give", () => {
  it.live("the library names the TLS options of the HTTP client, and says which in `tls`", () =>
    Effect.gen(function*() {
      const untrusted = yield* failingWith("SELF_SIGNED_CERT_IN_CHAIN")
      assert.strictEqual(untrusted._tag, "TransportError")
      if (untrusted._tag !== "TransportError") return
      assert.strictEqual(untrusted.tls, "ca")
      assert.strictEqual(
        untrusted.message,
        "Cannot reach the Image API at https://cloud:9292/v2/images/x: the server's TLS certificate chain is not trusted (trust its CA with the ca TLS option)"
      )
      const anonymous = yield* failingWith("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
      assert.strictEqual(anonymous._tag === "TransportError" ? anonymous.tls : undefined, "client-certificate")
      assert.include(anonymous.message, "(give a client certificate with the cert and key TLS options)")
      for (const error of [untrusted, anonymous]) assert.notInclude(error.message, "--os-")
      // A failure the caller cannot fix with a certificate or a CA carries no `tls`, and no hint.
      const expired = yield* failingWith("CERT_HAS_EXPIRED")
      assert.strictEqual(expired._tag === "TransportError" ? expired.tls : "not a TransportError", undefined)
      assert.match(expired.message, /: the server's TLS certificate has expired$/)

      // The glance command names its flags instead, for the error and where another error quotes it.
      assert.strictEqual(
        describeFailure(untrusted).line,
        "Cannot reach the Image API at https://cloud:9292/v2/images/x: the server's TLS certificate chain is not trusted (use --os-cacert)"
      )
      assert.match(
        describeFailure(anonymous).line,
        /the server requires a client certificate \(use --os-cert and --os-key\)$/
      )
      const quoted = new GlanceError.ImageNotCreated({
        message: `Uploading the data of image i failed, so the new image was deleted: ${untrusted.message}`,
        imageId: "i",
        deleted: true,
        cause: untrusted
      })
      assert.match(describeFailure(quoted).line, /not trusted \(use --os-cacert\)$/)
    }))
})
