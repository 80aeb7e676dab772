/**
 * The spans of the in-memory services: each operation runs in a span of the same name as the real
 * client's (`Images.get`, `Metadefs.tags.list`, …), so a program traced against the twin shows
 * the spans it shows against a cloud.
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"

const isStream = (u: unknown): u is Stream.Stream<unknown, unknown, unknown> =>
  Predicate.hasProperty(u, Stream.StreamTypeId)

const inSpan = (value: unknown, name: string): unknown =>
  isStream(value) ? Stream.withSpan(value, name) : Effect.isEffect(value) ? Effect.withSpan(value, name) : value

/**
 * The service with every operation in a span named `prefix.key` (a group of operations,
 * `Metadefs.namespaces`, one level deeper). `untraced` names the operations the real client runs
 * without a span of their own (they call a traced one).
 */
export const traced = <S extends object>(prefix: string, service: S, untraced: ReadonlyArray<keyof S> = []): S => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(service)) {
    const name = `${prefix}.${key}`
    if (untraced.includes(key as keyof S)) out[key] = value
    else if (typeof value === "function") {
      out[key] = (...args: Array<unknown>) => inSpan((value as (...args: Array<unknown>) => unknown)(...args), name)
    } else if (isStream(value) || Effect.isEffect(value)) out[key] = inSpan(value, name)
    else if (typeof value === "object" && value !== null) out[key] = traced(name, value)
    else out[key] = value
  }
  return out as S
}
