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
