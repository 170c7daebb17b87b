// Placeholder until the cache-kit HTTP issue lands: cacheResponse and invalidates live here.
export {}
