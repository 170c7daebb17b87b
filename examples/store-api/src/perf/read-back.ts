import type { MixWrite } from './mix.js'

/** A read the mix sends right after one of its writes answered, and how to judge what it shows. */
export interface ReadBack {
  readonly path: string
  /** `true` when the response shows a state older than the write (a stale read). */
  isStale(status: number, body: string): boolean
}

/** One price change as the load generator saw it: sent, then answered (or still in flight). */
interface PriceWrite {
  readonly price: string
  readonly sentAt: number
  answeredAt: number
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body)
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * The writes of one load phase and the read-backs they call for. Every virtual user reads back its
 * own write once it answered: a price change through the product's detail, a stock `in` movement
 * through the stock list filtered on its product and warehouse. Other users write the same rows
 * meanwhile, so a read-back is stale only when what it shows is provably older than the write:
 * a price set by writes that all answered before this write was sent (or the price from before
 * the run), or a stock quantity below the one the movement answered (the mix only adds stock).
 */
export class WriteLog {
  private readonly prices = new Map<number, PriceWrite[]>()
  private clock = 0

  /** Logical time: a counter, so the order of sends and answers is exact whatever the clock. */
  private tick(): number {
    return ++this.clock
  }

  /** Records a write as sent; returns the handle {@link answered} takes. */
  sent(change: MixWrite): PriceWrite | undefined {
    if (change.type !== 'price') return undefined
    const write: PriceWrite = {
      price: change.price,
      sentAt: this.tick(),
      answeredAt: Number.POSITIVE_INFINITY,
    }
    const list = this.prices.get(change.productId)
    if (list) list.push(write)
    else this.prices.set(change.productId, [write])
    return write
  }

  /** Records the write's answer and returns its read-back (none when the write failed). */
  answered(
    change: MixWrite,
    handle: PriceWrite | undefined,
    status: number,
    body: string,
  ): ReadBack | undefined {
    if (handle) handle.answeredAt = this.tick()
    if (status < 200 || status >= 300) return undefined
    if (change.type === 'movement') {
      const after = Number(parse(body)?.stock_quantity)
      if (!Number.isFinite(after)) return undefined
      return {
        path: `/api/stocks?product=${change.productId}&warehouse=${change.warehouseId}`,
        isStale: (s, b) => {
          const rows = parse(b)?.results
          const quantity = Array.isArray(rows)
            ? Number((rows[0] as { quantity?: unknown })?.quantity)
            : Number.NaN
          return s !== 200 || !(quantity >= after)
        },
      }
    }
    const own = handle
    if (!own) return undefined
    return {
      path: `/api/products/${change.productId}`,
      isStale: (s, b) => {
        if (s !== 200) return true
        const shown = parse(b)?.sale_price
        if (shown === own.price) return false
        // Another user's price is fresh if that write may have committed after this one: it had
        // not answered when this one was sent.
        const writes = this.prices.get(change.productId) ?? []
        return !writes.some((w) => w !== own && w.price === shown && w.answeredAt > own.sentAt)
      },
    }
  }
}
