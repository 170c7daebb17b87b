/** What a write of the mix changes, so that it can be read back (see `read-back.ts`). */
export type MixWrite =
  | { readonly type: 'price'; readonly productId: number; readonly price: string }
  | { readonly type: 'movement'; readonly productId: number; readonly warehouseId: number }

/** One request of the load mix. */
export interface MixRequest {
  readonly kind: string
  readonly method: 'GET' | 'POST' | 'PATCH'
  readonly path: string
  readonly body?: string
  readonly write: boolean
  /** Set on writes. */
  readonly changes?: MixWrite
}

/** What the mix needs to know about the data set, discovered once before the run. */
export interface MixData {
  readonly productIds: readonly number[]
  readonly productPages: number
  readonly categoryIds: readonly number[]
  readonly warehouseIds: readonly number[]
  readonly stockIds: readonly number[]
  readonly stockPages: number
  /** Pages of 20 invoices. */
  readonly invoicePages: number
  /** Pages of 50 active products. */
  readonly activeProductPages: number
}

/** A small seeded PRNG (mulberry32), so two runs send the same mix. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function pick<T>(r: () => number, items: readonly T[]): T {
  const item = items[Math.floor(r() * items.length)]
  if (item === undefined) throw new Error('empty pick')
  return item
}

/** Page numbers skewed to the first pages (as real traffic is), with a tail to deep pages. */
function skewedPage(r: () => number, pages: number): number {
  return Math.max(1, Math.min(pages, Math.floor(pages ** (r() ** 2))))
}

/**
 * A realistic back office mix: product list pages at various depths and orderings, product and
 * stock details, filters, stock and invoice lists, movement keyset pages, and `writeRatio` writes
 * (half stock `in` movements, half price changes, which invalidate cached pages).
 */
export function mixGenerator(data: MixData, writeRatio: number, seed = 42): () => MixRequest {
  const r = rng(seed)
  const hotProducts = data.productIds.slice(0, 200)
  const orderings = ['', '&ordering=name', '&ordering=-sale_price', '&ordering=-created_at']
  return () => {
    if (r() < writeRatio) {
      if (r() < 0.5 && data.warehouseIds.length > 0) {
        const productId = pick(r, hotProducts)
        const warehouseId = pick(r, data.warehouseIds)
        return {
          kind: 'write: stock movement',
          method: 'POST',
          path: '/api/stock-movements',
          body: JSON.stringify({
            product_id: productId,
            warehouse_id: warehouseId,
            type: 'in',
            quantity: 1,
            reason: 'perf',
          }),
          write: true,
          changes: { type: 'movement', productId, warehouseId },
        }
      }
      const productId = pick(r, hotProducts)
      const price = (10 + Math.floor(r() * 9000) / 100).toFixed(2)
      return {
        kind: 'write: product price',
        method: 'PATCH',
        path: `/api/products/${productId}`,
        body: JSON.stringify({ sale_price: price }),
        write: true,
        changes: { type: 'price', productId, price },
      }
    }
    const x = r()
    const get = (kind: string, path: string): MixRequest => ({ kind, method: 'GET', path, write: false })
    if (x < 0.35) {
      return get(
        'products list',
        `/api/products?page=${skewedPage(r, data.productPages)}&page_size=50${pick(r, orderings)}`,
      )
    }
    if (x < 0.55) return get('product detail', `/api/products/${pick(r, hotProducts)}`)
    if (x < 0.65) {
      return data.categoryIds.length > 0 && r() < 0.5
        ? get('products filter', `/api/products?category=${pick(r, data.categoryIds)}`)
        : get(
            'products filter',
            `/api/products?is_active=true&page=${skewedPage(r, data.activeProductPages)}`,
          )
    }
    if (x < 0.8) return get('stocks list', `/api/stocks?page=${skewedPage(r, data.stockPages)}`)
    if (x < 0.85 && data.stockIds.length > 0)
      return get('stock detail', `/api/stocks/${pick(r, data.stockIds)}`)
    if (x < 0.93)
      return get('invoices list', `/api/invoices?page=${skewedPage(r, data.invoicePages)}&page_size=20`)
    return get('movements (keyset)', '/api/stock-movements?page_size=50')
  }
}
