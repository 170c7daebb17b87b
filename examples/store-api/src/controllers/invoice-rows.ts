import { INVOICE_STATUSES, INVOICE_TYPES } from '@hotpath/schema'
import type { Knex } from 'knex'
import { z } from 'zod'
import { ID, MONEY, TIMESTAMP } from '../api/json-fields.js'
import type { NamedSchema } from '../api/route-spec.js'
import { toInt, toMoney, toTimestamp } from '../db/values.js'

/** An invoice as the API sends it, with its shop's name and its lines. */
const invoiceRow = z.object({
  id: ID,
  shop_id: ID,
  shop_name: z.string(),
  number: z.string(),
  type: z.enum(INVOICE_TYPES),
  status: z.enum(INVOICE_STATUSES),
  total: MONEY,
  lines: z.array(z.object({ id: ID, product_id: ID, quantity: z.int().positive(), unit_price: MONEY })),
  created_at: TIMESTAMP,
  updated_at: TIMESTAMP,
})
type InvoiceRow = z.output<typeof invoiceRow>
/** The OpenAPI `Invoice` schema: what {@link serializeInvoice} returns. */
export const invoiceBody: NamedSchema = { name: 'Invoice', schema: invoiceRow }

/** Invoices with their shop's name joined in (LEFT join: `invoices` stays the driving table). */
export function invoiceQuery(db: Knex, companyId: number): Knex.QueryBuilder {
  return db('invoices as i')
    .leftJoin('shops as sh', 'sh.id', 'i.shop_id')
    .where('i.company_id', companyId)
    .select(
      'i.id',
      'i.shop_id',
      'sh.name as shop_name',
      'i.number',
      'i.type',
      'i.status',
      'i.total',
      'i.created_at',
      'i.updated_at',
    )
}

/** Loads the lines of every invoice of `rows` in one query (the report's `prefetch_related`). */
export async function withLines(
  db: Knex,
  companyId: number,
  rows: Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return rows
  const lines = (await db('invoice_lines')
    .where('company_id', companyId)
    .whereIn(
      'invoice_id',
      rows.map((r) => toInt(r.id)),
    )
    .orderBy('id')
    .select('id', 'invoice_id', 'product_id', 'quantity', 'unit_price')) as Record<string, unknown>[]
  const byInvoice = new Map<number, Record<string, unknown>[]>()
  for (const l of lines) {
    const key = toInt(l.invoice_id)
    const list = byInvoice.get(key) ?? []
    list.push({
      id: toInt(l.id),
      product_id: toInt(l.product_id),
      quantity: toInt(l.quantity),
      unit_price: toMoney(l.unit_price),
    })
    byInvoice.set(key, list)
  }
  return rows.map((r) => ({ ...r, lines: byInvoice.get(toInt(r.id)) ?? [] }))
}

/** An invoice as the API shows it (with its lines). */
export function serializeInvoice(r: Record<string, unknown>): InvoiceRow {
  return {
    id: toInt(r.id),
    shop_id: toInt(r.shop_id),
    shop_name: String(r.shop_name),
    number: String(r.number),
    type: r.type as InvoiceRow['type'],
    status: r.status as InvoiceRow['status'],
    total: toMoney(r.total),
    // Built by withLines above, already in the API's shape.
    lines: (r.lines ?? []) as InvoiceRow['lines'],
    created_at: toTimestamp(r.created_at),
    updated_at: toTimestamp(r.updated_at),
  }
}

/** A decimal amount as integer cents (totals are summed exactly). */
export function cents(amount: string): bigint {
  const [whole = '0', frac = ''] = amount.split('.')
  return BigInt(whole) * 100n + BigInt(`${frac}00`.slice(0, 2))
}

/** Integer cents back to a decimal string. */
export function fromCents(c: bigint): string {
  return `${c / 100n}.${String(c % 100n).padStart(2, '0')}`
}
