/**
 * The in-memory `Info` service: the import methods the twin can carry out, the world's stores,
 * and no quotas (as a cloud without unified limits answers).
 */
import * as Effect from "effect/Effect"
import type * as Info from "../../Info.js"
import { traced } from "./spans.js"
import { type Caller, fail, type World } from "./world.js"

/** The import methods the in-memory Glance carries out (it has no network for the others). */
export const importMethods: ReadonlyArray<string> = ["glance-direct", "copy-image"]

/** Builds the `Info` service of a caller. */
export const makeInfo = (world: World, caller: Caller): Info.Service =>
  traced<Info.Service>("Info", {
    importMethods: Effect.succeed(importMethods),
    stores: Effect.sync(() =>
      world.stores.map((id, i): Info.Store => ({
        id,
        description: `In-memory store ${id}`,
        default: i === 0,
        "read-only": false
      }))
    ),
    storesDetail: Effect.suspend(() =>
      caller.admin === true
        ? Effect.succeed(world.stores.map((id, i): Info.StoreDetail => ({
          id,
          description: `In-memory store ${id}`,
          default: i === 0,
          type: "memory",
          properties: {}
        })))
        : fail(403, "You are not authorized to complete stores_info_detail action.", "GET", "/v2/info/stores/detail")
    ),
    usage: Effect.succeed({})
  })
