/**
 * The one paginator of the library: follows the `next` link of each page as the stream is read,
 * one page held at a time, and refuses a `next` that was requested before (a listing that would
 * never end).
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/** How to read pages. */
export interface Pager<Request, Page, Item, E> {
  /** The first page's request. */
  readonly first: Request
  /** Fetches a page. */
  readonly fetch: (request: Request) => Effect.Effect<Page, E>
  /** The items of a page. */
  readonly items: (page: Page) => ReadonlyArray<Item>
  /** The request for the page after this one, if any. */
  readonly next: (page: Page, request: Request) => Effect.Effect<Option.Option<Request>, E>
  /** The key two requests of the same page share (their URL). */
  readonly key: (request: Request) => string
  /** The failure when a page's `next` was requested before. */
  readonly loop: (request: Request, next: Request) => E
}

/**
 * The items of every page, fetched as the stream is read; a page without items ends the listing.
 * A `next` that fails (refused, or requested before) fails the stream after the items of the page
 * that gave it.
 */
export const paginate = <Request, Page, Item, E>(
  pager: Pager<Request, Page, Item, E>
): Stream.Stream<Item, E> =>
  Stream.suspend(() => {
    const seen = new Set<string>([pager.key(pager.first)])
    type Step = { readonly _tag: "Fetch"; readonly request: Request } | { readonly _tag: "Fail"; readonly error: E }
    return Stream.paginateChunkEffect(
      { _tag: "Fetch", request: pager.first } as Step,
      (step): Effect.Effect<readonly [Chunk.Chunk<Item>, Option.Option<Step>], E> => {
        if (step._tag === "Fail") return Effect.fail(step.error)
        return Effect.flatMap(pager.fetch(step.request), (page) => {
          const items = pager.items(page)
          if (items.length === 0) return Effect.succeed([Chunk.empty<Item>(), Option.none()] as const)
          return Effect.map(Effect.either(pager.next(page, step.request)), (found) => {
            const chunk = Chunk.unsafeFromArray(items)
            if (Either.isLeft(found)) return [chunk, Option.some<Step>({ _tag: "Fail", error: found.left })] as const
            const next = found.right
            if (Option.isNone(next)) return [chunk, Option.none()] as const
            const key = pager.key(next.value)
            if (seen.has(key)) {
              return [chunk, Option.some<Step>({ _tag: "Fail", error: pager.loop(step.request, next.value) })] as const
            }
            seen.add(key)
            return [chunk, Option.some<Step>({ _tag: "Fetch", request: next.value })] as const
          })
        })
      }
    )
  })
