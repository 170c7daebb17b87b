import { Redis } from 'ioredis'

/** The value every cache-core benchmark reads and writes: a 390-byte product object. */
export const product = {
  id: 42,
  sku: 'SKU-000042',
  name: 'Oak desk, 160 cm',
  sale_price: '249.90',
  category: { id: 7, name: 'Furniture' },
  stock: Array.from({ length: 8 }, (_, i) => ({ warehouse_id: i + 1, quantity: 10 * i })),
}

/** The ioredis client options docs/cache-kit.md recommends (the `hotpath-ap` column). */
export const RECOMMENDED = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  enableAutoPipelining: true,
}

/**
 * Runs `fn` on a fresh client of each kind index.ts's hotpath columns use (`hotpath`: no options,
 * `hotpath-ap`: {@link RECOMMENDED}), once it is connected; disconnects it after.
 */
export async function onEachClient(
  url: string,
  fn: (name: string, client: Redis) => Promise<void>,
): Promise<void> {
  for (const [name, options] of [
    ['hotpath', {}],
    ['hotpath-ap', RECOMMENDED],
  ] as const) {
    const client = new Redis(url, options)
    try {
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve))
      await fn(name, client)
    } finally {
      client.disconnect()
    }
  }
}
