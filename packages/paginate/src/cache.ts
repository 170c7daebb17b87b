/**
 * What the `cached` and `smart` strategies need from a cache: any object with `getOrSet`.
 * cache-kit's `CacheManager` fits; so does a small Map-backed object. `ttl` is in milliseconds;
 * `tags` let a write invalidate the entry (see `paginationTag`). Values are numbers and strings only.
 */
export interface PaginationCache {
  getOrSet<T>(key: string, loader: () => Promise<T>, options?: { ttl?: number; tags?: string[] }): Promise<T>
}

/** The tag every cached count and page boundary of `table` carries: `paginate:<table>`. Invalidate it on writes. */
export function paginationTag(table: string): string {
  return `paginate:${table}`
}
