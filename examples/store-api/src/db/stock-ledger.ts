import { STORE_COLUMN_LIMITS } from '@hotpath/schema'
import type { Knex } from 'knex'
import { ConflictError } from '../errors.js'
import { insertRow } from './insert-row.js'
import { toInt } from './values.js'

/** A stock movement kind: `in` adds, `out` takes, `adjust` adds a signed correction. */
export type MovementType = 'in' | 'out' | 'adjust'

/** One movement to apply (inside the caller's transaction). */
export interface MovementInput {
  readonly companyId: number
  readonly productId: number
  readonly warehouseId: number
  readonly type: MovementType
  /** Positive for `in`/`out`; signed, non-zero for `adjust`. */
  readonly quantity: number
  readonly reason: string | null
  readonly userId?: number | null
  /** The invoice whose issue (or cancel) writes the movement: cancelling finds them by it. */
  readonly invoiceId?: number | null
}

/** What {@link applyMovement} did. */
export interface AppliedMovement {
  readonly movementId: number
  /** The stock row the movement changed (created by the first movement on its pair). */
  readonly stockId: number
  readonly stockQuantity: number
  /** The stock row may have been created by this movement (an increase that left exactly its quantity). */
  readonly stockCreated: boolean
  /** The stock's quantity and update time before the movement (read under its lock); absent when it had no row. */
  readonly before: { readonly quantity: unknown; readonly updated_at: unknown } | undefined
  /** The update time the movement wrote. */
  readonly updatedAt: Date
}

function delta(m: MovementInput): number {
  return m.type === 'out' ? -m.quantity : m.quantity
}

/**
 * Applies one movement in `trx`: the stock changes by one atomic statement, and the movement is
 * recorded only when it was accepted. A decrease is a conditional update
 * (`… SET quantity = quantity - ? WHERE … AND quantity >= ?`), so concurrent `out`s can never take the
 * stock below zero, whatever the isolation level; when it matches no row the movement is refused with
 * `409 insufficient_stock` and the caller's transaction rolls back. The first increase on a product and
 * warehouse creates the stock row; an increase is conditional too, so no stock passes the integer
 * column's 2^31−1 (`409 stock_limit_exceeded`).
 */
export async function applyMovement(trx: Knex.Transaction, m: MovementInput): Promise<AppliedMovement> {
  const d = delta(m)
  const now = new Date()
  const pair = { company_id: m.companyId, product_id: m.productId, warehouse_id: m.warehouseId }
  // Locked until the transaction ends, so the values read are the ones this movement replaces.
  const before = (await trx('stocks').where(pair).forUpdate().first('quantity', 'updated_at')) as
    | { quantity: unknown; updated_at: unknown }
    | undefined
  if (d >= 0) {
    const add = () =>
      trx('stocks')
        .where(pair)
        .where('quantity', '<=', STORE_COLUMN_LIMITS.integerMax - d)
        .update({ quantity: trx.raw('?? + ?', ['quantity', d]), updated_at: now })
    if ((await add()) === 0) {
      // No row yet (or one too full): create it empty, then add under the same guard.
      await trx('stocks')
        .insert({ ...pair, quantity: 0, updated_at: now })
        .onConflict(['product_id', 'warehouse_id'])
        .ignore()
      if ((await add()) === 0) {
        throw new ConflictError(
          'stock_limit_exceeded',
          `the stock of product ${m.productId} in warehouse ${m.warehouseId} would exceed ${STORE_COLUMN_LIMITS.integerMax}`,
        )
      }
    }
  } else {
    const changed = await trx('stocks')
      .where(pair)
      .where('quantity', '>=', -d)
      .update({ quantity: trx.raw('?? - ?', ['quantity', -d]), updated_at: now })
    if (changed === 0) {
      throw new ConflictError(
        'insufficient_stock',
        `not enough stock of product ${m.productId} in warehouse ${m.warehouseId} for ${-d}`,
      )
    }
  }
  const movementId = await insertRow(trx, 'stock_movements', {
    ...pair,
    type: m.type,
    quantity: m.quantity,
    reason: m.reason,
    user_id: m.userId ?? null,
    invoice_id: m.invoiceId ?? null,
    created_at: now,
  })
  const stock = (await trx('stocks').where(pair).first('id', 'quantity')) as
    | { id: unknown; quantity: unknown }
    | undefined
  const stockQuantity = toInt(stock?.quantity ?? 0)
  return {
    movementId,
    stockId: toInt(stock?.id ?? 0),
    stockQuantity,
    stockCreated: d >= 0 && stockQuantity === d,
    before,
    updatedAt: now,
  }
}
