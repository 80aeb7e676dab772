/** Runs many asynchronous jobs (child processes, mostly) with a bounded number at a time. */

/**
 * Maps each item through `f` with at most `width` calls running at once; the results are in the
 * order of the items. The first failure rejects (the calls already started run to their end).
 */
export const mapPool = async <A, B>(
  items: ReadonlyArray<A>,
  width: number,
  f: (item: A, index: number) => Promise<B>
): Promise<Array<B>> => {
  const results: Array<B> = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await f(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
  return results
}
