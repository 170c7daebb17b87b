import type { Knex } from 'knex'

const memo = new WeakMap<object, Map<string, Promise<unknown>>>()

/**
 * Reads something from the schema once per knex instance (keyed by its config object, which its
 * transactions share) and `key`, then remembers it for the process. A failed read resolves to
 * `fallback` and is not remembered, so the next call tries again.
 */
export function rememberPerKnex<T>(
  client: Knex.Client,
  key: string,
  load: () => Promise<T>,
  fallback: T,
): Promise<T> {
  const owner = client.config as object
  let entries = memo.get(owner)
  if (!entries) {
    entries = new Map()
    memo.set(owner, entries)
  }
  const cached = entries.get(key) as Promise<T> | undefined
  if (cached) return cached
  const found = load().catch(() => {
    entries.delete(key)
    return fallback
  })
  entries.set(key, found)
  return found
}
