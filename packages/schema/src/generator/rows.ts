import { INVOICE_STATUSES, INVOICE_TYPES, STORE_TABLES, type StoreTable } from '../tables.js'
import type { Random } from './random.js'
import { ADJECTIVES, CATEGORY_NAMES, CITIES, MATERIALS, NOUNS, PEOPLE } from './words.js'

/** A row ready for a multi-row insert. */
export type Row = Record<string, string | number | boolean | Date | null>

/** Sizes per company, resolved from the options. */
export interface Shape {
  readonly companies: number
  readonly products: number
  readonly shops: number
  readonly warehouses: number
  readonly categories: number
  readonly suppliers: number
  readonly users: number
  readonly stocksPerProduct: number
  readonly movementsPerStock: number
  readonly invoices: number
}

/** First id of each table minus one: generated ids are `base + 1 + n`, so they are known before insert. */
export type IdBase = Record<GeneratedTable, number>

/** The tables the generator writes (all but the API's own bookkeeping tables). */
export type GeneratedTable = Exclude<StoreTable, 'api_keys' | 'idempotency_keys'>

/** {@link GeneratedTable}s in creation order. */
export const GENERATED_TABLES = STORE_TABLES.filter(
  (t): t is GeneratedTable => t !== 'api_keys' && t !== 'idempotency_keys',
)

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/** `n` cents as a decimal string (`1234` → `'12.34'`), the way drivers hand decimals back. */
export function money(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`
}

/** Id of the `local`-th row of `perCompany` belonging to `company` (0-based) in a per-company table. */
export function ownedId(base: number, company: number, perCompany: number, local: number): number {
  return base + 1 + company * perCompany + local
}

/** Companies, shops, categories, suppliers, warehouses and users: small tables, built in one go. */
export function smallTableRows(
  rng: Random,
  shape: Shape,
  base: IdBase,
  start: number,
): Record<string, Row[]> {
  const out: Record<string, Row[]> = {
    companies: [],
    shops: [],
    categories: [],
    suppliers: [],
    warehouses: [],
    users: [],
  }
  const push = (table: string, row: Row) => out[table]?.push(row)
  for (let c = 0; c < shape.companies; c++) {
    const companyId = base.companies + 1 + c
    const created = new Date(start - DAY + c * MINUTE)
    push('companies', {
      id: companyId,
      name: `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}s ${companyId}`,
      email: `contact-${companyId}@company.example`,
      is_active: rng.chance(0.95),
      created_at: created,
    })
    const company_id = companyId
    for (let i = 0; i < shape.shops; i++) {
      const city = rng.pick(CITIES)
      push('shops', {
        id: ownedId(base.shops, c, shape.shops, i),
        company_id,
        name: `${city} ${i + 1}`,
        city,
        is_active: rng.chance(0.9),
        created_at: new Date(start - DAY + c * MINUTE + (i + 1) * 1000),
      })
    }
    for (let i = 0; i < shape.categories; i++) {
      const name = CATEGORY_NAMES[i % CATEGORY_NAMES.length] ?? 'Misc'
      push('categories', {
        id: ownedId(base.categories, c, shape.categories, i),
        company_id,
        name: i < CATEGORY_NAMES.length ? name : `${name} ${Math.floor(i / CATEGORY_NAMES.length) + 1}`,
      })
    }
    for (let i = 0; i < shape.suppliers; i++) {
      const id = ownedId(base.suppliers, c, shape.suppliers, i)
      push('suppliers', {
        id,
        company_id,
        name: `${rng.pick(MATERIALS)} Supply ${i + 1}`,
        email: `orders-${id}@supplier.example`,
      })
    }
    for (let i = 0; i < shape.warehouses; i++) {
      const city = rng.pick(CITIES)
      push('warehouses', {
        id: ownedId(base.warehouses, c, shape.warehouses, i),
        company_id,
        name: `${city} depot ${i + 1}`,
        city,
      })
    }
    for (let i = 0; i < shape.users; i++) {
      const id = ownedId(base.users, c, shape.users, i)
      const name = rng.pick(PEOPLE)
      push('users', {
        id,
        company_id,
        email: `${name.toLowerCase()}-${id}@user.example`,
        name,
        created_at: created,
      })
    }
  }
  return out
}

/** The rows of one product, its stocks and their movements (whose sum is the stock's quantity). */
export interface ProductRows {
  readonly product: Row
  readonly stocks: Row[]
  readonly movements: Row[]
}

/**
 * Product number `g` (0-based, across companies). Companies take turns (`g % companies`), so ids
 * interleave across tenants as in a real store; `created_at` grows with `g` with ties and some
 * rows a little out of id order, so keyset pagination meets both.
 */
export function productRows(rng: Random, shape: Shape, base: IdBase, start: number, g: number): ProductRows {
  const c = g % shape.companies
  const local = Math.floor(g / shape.companies)
  const companyId = base.companies + 1 + c
  const productId = base.products + 1 + g
  const created = start + g * 1000 - rng.pick([0, 0, 0, 0, 1000, 1000, 7000])
  const cents = rng.int(100, 99_999)
  const product: Row = {
    id: productId,
    company_id: companyId,
    category_id: rng.chance(0.95)
      ? ownedId(base.categories, c, shape.categories, rng.int(0, shape.categories - 1))
      : null,
    supplier_id: rng.chance(0.9)
      ? ownedId(base.suppliers, c, shape.suppliers, rng.int(0, shape.suppliers - 1))
      : null,
    name: `${rng.pick(ADJECTIVES)} ${rng.pick(MATERIALS)} ${rng.pick(NOUNS)}`,
    sku: `SKU-${String(local + 1).padStart(7, '0')}`,
    sale_price: money(cents),
    cost_price: money(Math.floor(cents * (0.4 + rng.float() * 0.4))),
    is_active: rng.chance(0.9),
    created_at: new Date(created),
    updated_at: new Date(created + rng.int(0, 30) * DAY),
  }
  const stocks: Row[] = []
  const movements: Row[] = []
  const firstWarehouse = rng.int(0, shape.warehouses - 1)
  for (let s = 0; s < shape.stocksPerProduct; s++) {
    const warehouseId = ownedId(base.warehouses, c, shape.warehouses, (firstWarehouse + s) % shape.warehouses)
    const quantity = rng.int(0, 500)
    const outs = Array.from({ length: Math.max(0, shape.movementsPerStock - 1) }, () => rng.int(1, 40))
    const received = quantity + outs.reduce((a, b) => a + b, 0)
    let at = created + MINUTE
    const movement = (type: 'in' | 'out' | 'adjust', qty: number, reason: string | null): Row => {
      at += rng.int(1, 3 * 24 * 60) * MINUTE
      return {
        id:
          base.stock_movements + 1 + g * shape.stocksPerProduct * shape.movementsPerStock + movements.length,
        company_id: companyId,
        product_id: productId,
        warehouse_id: warehouseId,
        type,
        quantity: qty,
        reason,
        user_id: rng.chance(0.7) ? ownedId(base.users, c, shape.users, rng.int(0, shape.users - 1)) : null,
        created_at: new Date(at),
      }
    }
    if (shape.movementsPerStock > 0) {
      movements.push(
        received > 0 ? movement('in', received, 'initial stock') : movement('adjust', 0, 'inventory count'),
      )
      for (const qty of outs)
        movements.push(movement('out', qty, rng.pick(['sale', 'damaged', 'transfer', null])))
    }
    stocks.push({
      id: base.stocks + 1 + g * shape.stocksPerProduct + s,
      company_id: companyId,
      product_id: productId,
      warehouse_id: warehouseId,
      quantity,
      updated_at: new Date(shape.movementsPerStock > 0 ? at : created),
    })
  }
  return { product, stocks, movements }
}

/** One invoice of company `c` (number `n`, 0-based) and its 1–3 lines, over the company's products. */
export function invoiceRows(
  rng: Random,
  shape: Shape,
  base: IdBase,
  start: number,
  c: number,
  n: number,
  nextLineId: () => number,
): { invoice: Row; lines: Row[] } {
  const companyId = base.companies + 1 + c
  const id = ownedId(base.invoices, c, shape.invoices, n)
  const lines: Row[] = []
  let total = 0
  const span = Math.max(1, shape.products * shape.companies) * 1000
  const created = start + Math.floor(((n + 1) / (shape.invoices + 1)) * span) + rng.int(0, 999)
  for (let l = rng.int(1, 3); l > 0; l--) {
    const local = rng.int(0, shape.products - 1)
    const cents = rng.int(100, 99_999)
    const quantity = rng.int(1, 10)
    total += cents * quantity
    lines.push({
      id: nextLineId(),
      invoice_id: id,
      company_id: companyId,
      product_id: base.products + 1 + local * shape.companies + c,
      quantity,
      unit_price: money(cents),
    })
  }
  const invoice: Row = {
    id,
    company_id: companyId,
    shop_id: ownedId(base.shops, c, shape.shops, rng.int(0, shape.shops - 1)),
    number: `INV-${String(n + 1).padStart(6, '0')}`,
    type: rng.pick(INVOICE_TYPES),
    status: rng.pick(INVOICE_STATUSES),
    total: money(total),
    created_at: new Date(created),
    updated_at: new Date(created + rng.int(0, 5) * DAY),
  }
  return { invoice, lines }
}
