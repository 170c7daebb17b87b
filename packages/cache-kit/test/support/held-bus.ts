import type { CacheStore } from '@hotpath/cache-kit'

/**
 * `store` whose bus messages wait for `hold()` to resolve before they are published: the other
 * instances have not heard of this one's invalidations yet (a bus that lags).
 */
export function withHeldPublish(store: CacheStore, hold: () => Promise<unknown>): CacheStore {
  return {
    ...store,
    publish: async (channel, message) => {
      await hold()
      return store.publish!(channel, message)
    },
  }
}
