import type { PaginationCache } from '@hotpath/paginate'

/** A real (in-process) tagged cache: getOrSet backed by a Map, with tag invalidation. */
export class MapCache implements PaginationCache {
  readonly entries = new Map<string, unknown>()
  private readonly tagged = new Map<string, Set<string>>()
  loads = 0

  async getOrSet<T>(
    key: string,
    loader: () => Promise<T>,
    options?: { ttl?: number; tags?: string[] },
  ): Promise<T> {
    if (this.entries.has(key)) return this.entries.get(key) as T
    const value = await loader()
    this.loads++
    this.entries.set(key, value)
    for (const tag of options?.tags ?? []) {
      const keys = this.tagged.get(tag) ?? new Set<string>()
      keys.add(key)
      this.tagged.set(tag, keys)
    }
    return value
  }

  invalidateTags(tags: readonly string[]): void {
    for (const tag of tags) {
      for (const key of this.tagged.get(tag) ?? []) this.entries.delete(key)
      this.tagged.delete(tag)
    }
  }
}
