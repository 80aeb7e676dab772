import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as CloudConfig from "../../src/CloudConfig.js"

const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glanceclient-unit-"))
afterAll(() => Fs.rmSync(root, { recursive: true, force: true }))

let dirs = 0
/** A fresh folder holding `files` (relative path → content), each chmod 600 unless a mode is given. */
const folder = (files: Record<string, string | { readonly text: string; readonly mode: number }>): string => {
  const dir = Path.join(root, `d${dirs++}`)
  for (const [name, file] of Object.entries(files)) {
    const path = Path.join(dir, name)
    Fs.mkdirSync(Path.dirname(path), { recursive: true })
    const { mode, text } = typeof file === "string" ? { text: file, mode: 0o600 } : file
    Fs.writeFileSync(path, text)
    Fs.chmodSync(path, mode)
  }
  return dir
}

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const cloudsYaml = `
clouds:
  lab:
    auth:
      auth_url: http://keystone.lab:5000/v3
      username: file-user
      password: file-password
      project_name: file-project
      user_domain_name: FileDomain
      project_domain_name: FileDomain
    region_name: FileRegion
    interface: internal
    identity_api_version: 3
    api_timeout: 45
  other:
    auth:
      auth_url: http://other:5000
`

const secureYaml = `
clouds:
  lab:
    auth:
      password: secure-password
`

describe("CloudConfig", () => {
  it.layer(NodeFileSystem.layer)((it) => {
    it.effect("flags beat OS_* which beat clouds.yaml, and secure.yaml merges into the cloud", () =>
      Effect.gen(function*() {
        const dir = folder({ "clouds.yaml": cloudsYaml, "secure.yaml": secureYaml })
        const settings = yield* CloudConfig.resolve({ regionName: "FlagRegion" }).pipe(withEnv({
          OS_CLOUD: "lab",
          OS_CLIENT_CONFIG_FILE: `${dir}/clouds.yaml`,
          OS_CLIENT_SECURE_FILE: `${dir}/secure.yaml`,
          OS_USERNAME: "env-user",
          OS_REGION_NAME: "EnvRegion"
        }))
        assert.strictEqual(settings.cloud, "lab")
        assert.strictEqual(settings.authUrl, "http://keystone.lab:5000/v3")
        assert.strictEqual(settings.username, "env-user")
        assert.strictEqual(settings.regionName, "FlagRegion")
        assert.strictEqual(settings.projectName, "file-project")
        assert.strictEqual(settings.userDomainName, "FileDomain")
        assert.strictEqual(settings.interface, "internal")
        assert.strictEqual(settings.identityApiVersion, "3")
        assert.strictEqual(settings.timeout, 45)
        assert.strictEqual(Redacted.value(settings.password!), "secure-password")
        assert.isUndefined(settings.warnings)
      }))

    it.effect("an explicit cloud beats OS_CLOUD", () =>
      Effect.gen(function*() {
        const dir = folder({ "clouds.yaml": cloudsYaml })
        const settings = yield* CloudConfig.resolve({ cloud: "other" }).pipe(
          withEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: `${dir}/clouds.yaml` })
        )
        assert.strictEqual(settings.cloud, "other")
        assert.strictEqual(settings.authUrl, "http://other:5000")
        assert.isUndefined(settings.username)
      }))

    it.effect("clouds.yaml and secure.yaml are found in $HOME/.config/openstack", () =>
      Effect.gen(function*() {
        const home = folder({
          ".config/openstack/clouds.yaml": cloudsYaml,
          ".config/openstack/secure.yaml": secureYaml
        })
        const settings = yield* CloudConfig.resolve().pipe(withEnv({ OS_CLOUD: "lab", HOME: home }))
        assert.strictEqual(settings.username, "file-user")
        assert.strictEqual(Redacted.value(settings.password!), "secure-password")
      }))

    it.effect("OS_CLIENT_CONFIG_FILE is read even when it is not named clouds.yaml", () =>
      Effect.gen(function*() {
        const dir = folder({ "elsewhere/my-openstack.yml": cloudsYaml })
        const settings = yield* CloudConfig.resolve().pipe(
          withEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: `${dir}/elsewhere/my-openstack.yml` })
        )
        assert.strictEqual(settings.authUrl, "http://keystone.lab:5000/v3")
        assert.strictEqual(Redacted.value(settings.password!), "file-password")
      }))

    it.effect("an unknown cloud name is a ConfigError listing the known clouds", () =>
      Effect.gen(function*() {
        const dir = folder({ "clouds.yaml": cloudsYaml })
        const error = yield* CloudConfig.resolve({ cloud: "nope" }).pipe(
          withEnv({ OS_CLIENT_CONFIG_FILE: `${dir}/clouds.yaml` }),
          Effect.flip
        )
        assert.strictEqual(error._tag, "ConfigError")
        assert.include(error.message, `"nope"`)
        assert.include(error.message, `${dir}/clouds.yaml`)
        assert.include(error.message, "lab, other")
      }))

    it.effect("a cloud asked for with no clouds.yaml anywhere is a ConfigError naming where it looked", () =>
      Effect.gen(function*() {
        const home = folder({})
        const error = yield* CloudConfig.resolve().pipe(withEnv({ OS_CLOUD: "lab", HOME: home }), Effect.flip)
        assert.strictEqual(error._tag, "ConfigError")
        assert.include(error.message, "no clouds.yaml was found")
        assert.include(error.message, `${home}/.config/openstack/clouds.yaml`)
      }))

    it.effect("a clouds.yaml that is not YAML is a ConfigError naming the file", () =>
      Effect.gen(function*() {
        const dir = folder({ "clouds.yaml": "clouds:\n  lab: {auth: [unclosed\n" })
        const error = yield* CloudConfig.resolve().pipe(
          withEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: `${dir}/clouds.yaml` }),
          Effect.flip
        )
        assert.strictEqual(error._tag, "ConfigError")
        assert.include(error.message, `${dir}/clouds.yaml is not valid YAML`)
      }))

    it.effect("a clouds.yaml holding a plain scalar is a ConfigError naming the file", () =>
      Effect.gen(function*() {
        const dir = folder({ "clouds.yaml": "just some words\n" })
        const error = yield* CloudConfig.resolve().pipe(
          withEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: `${dir}/clouds.yaml` }),
          Effect.flip
        )
        assert.strictEqual(error.message, `${dir}/clouds.yaml does not hold a mapping of clouds`)
      }))

    it.effect("a clouds.yaml readable by others gives a warning naming it; chmod 600 gives none", () =>
      Effect.gen(function*() {
        const open = folder({ "clouds.yaml": { text: cloudsYaml, mode: 0o644 } })
        const loose = yield* CloudConfig.resolve().pipe(
          withEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: `${open}/clouds.yaml` })
        )
        assert.deepStrictEqual(loose.warnings, [
          `${open}/clouds.yaml is readable by other users (mode 644): chmod 600 it`
        ])
        const closed = folder({ "clouds.yaml": cloudsYaml })
        const tight = yield* CloudConfig.resolve().pipe(
          withEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: `${closed}/clouds.yaml` })
        )
        assert.isUndefined(tight.warnings)
      }))

    it.effect("an invalid api_timeout in clouds.yaml is a ConfigError naming the cloud", () =>
      Effect.gen(function*() {
        const dir = folder({ "clouds.yaml": "clouds:\n  lab:\n    api_timeout: soon\n" })
        const error = yield* CloudConfig.resolve().pipe(
          withEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: `${dir}/clouds.yaml` }),
          Effect.flip
        )
        assert.strictEqual(error.message, `api_timeout of cloud "lab" must be a positive number of seconds, not "soon"`)
      }))

    it.effect("without a cloud no file is read", () =>
      Effect.gen(function*() {
        const settings = yield* CloudConfig.resolve().pipe(
          withEnv({ OS_AUTH_URL: "http://ks/v3", OS_CLIENT_CONFIG_FILE: "/nonexistent/clouds.yaml" })
        )
        assert.deepStrictEqual<CloudConfig.Settings>(settings, { authUrl: "http://ks/v3" })
      }))
  })

  describe("OS_* environment", () => {
    it.effect("OS_TENANT_NAME and OS_TENANT_ID stand in for the project", () =>
      Effect.gen(function*() {
        const settings = yield* CloudConfig.fromEnv.pipe(withEnv({ OS_TENANT_NAME: "tn", OS_TENANT_ID: "tid" }))
        assert.strictEqual(settings.projectName, "tn")
        assert.strictEqual(settings.projectId, "tid")
      }))

    it.effect("OS_PROJECT_NAME and OS_PROJECT_ID win over the tenant variables", () =>
      Effect.gen(function*() {
        const settings = yield* CloudConfig.fromEnv.pipe(withEnv({
          OS_TENANT_NAME: "tn",
          OS_TENANT_ID: "tid",
          OS_PROJECT_NAME: "pn",
          OS_PROJECT_ID: "pid"
        }))
        assert.strictEqual(settings.projectName, "pn")
        assert.strictEqual(settings.projectId, "pid")
      }))

    it.effect("OS_ENDPOINT_TYPE publicURL means public, and OS_INTERFACE wins over it", () =>
      Effect.gen(function*() {
        const legacy = yield* CloudConfig.fromEnv.pipe(withEnv({ OS_ENDPOINT_TYPE: "publicURL" }))
        assert.strictEqual(legacy.interface, "public")
        const internal = yield* CloudConfig.fromEnv.pipe(withEnv({ OS_ENDPOINT_TYPE: "internalURL" }))
        assert.strictEqual(internal.interface, "internal")
        const both = yield* CloudConfig.fromEnv.pipe(withEnv({ OS_ENDPOINT_TYPE: "publicURL", OS_INTERFACE: "admin" }))
        assert.strictEqual(both.interface, "admin")
      }))

    it.effect("an unknown endpoint type is a ConfigError", () =>
      Effect.gen(function*() {
        const error = yield* CloudConfig.fromEnv.pipe(withEnv({ OS_ENDPOINT_TYPE: "private" }), Effect.flip)
        assert.strictEqual(error._tag, "ConfigError")
        assert.include(error.message, `"private"`)
      }))

    it.effect("OS_TIMEOUT is read in seconds; a non-positive or non-numeric one is a ConfigError", () =>
      Effect.gen(function*() {
        const ok = yield* CloudConfig.fromEnv.pipe(withEnv({ OS_TIMEOUT: "2.5" }))
        assert.strictEqual(ok.timeout, 2.5)
        for (const bad of ["abc", "0", "-3"]) {
          const error = yield* CloudConfig.fromEnv.pipe(withEnv({ OS_TIMEOUT: bad }), Effect.flip)
          assert.strictEqual(error._tag, "ConfigError")
          assert.strictEqual(error.message, `OS_TIMEOUT must be a positive number of seconds, not "${bad}"`)
        }
      }))

    it.effect("secrets are Redacted and OS_AUTH_TOKEN wins over OS_TOKEN", () =>
      Effect.gen(function*() {
        const settings = yield* CloudConfig.fromEnv.pipe(withEnv({
          OS_PASSWORD: "pw-from-env",
          OS_AUTH_TOKEN: "auth-token",
          OS_TOKEN: "os-token",
          OS_INSECURE: "true"
        }))
        assert.isTrue(Redacted.isRedacted(settings.password))
        assert.notInclude(String(settings.password), "pw-from-env")
        assert.strictEqual(Redacted.value(settings.token!), "auth-token")
        assert.isTrue(settings.insecure)
      }))
  })
})
