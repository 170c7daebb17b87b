import type { Knex } from 'knex'
import { dialectOf } from './dialects/index.js'
import { SchemaError } from './errors.js'
import { insertRows } from './generator/insert-rows.js'
import { Random } from './generator/random.js'
import {
  GENERATED_TABLES,
  type IdBase,
  invoiceRows,
  productRows,
  type Row,
  type Shape,
  smallTableRows,
} from './generator/rows.js'
import type { StoreTable } from './tables.js'

/** Options of {@link generateStoreData}; every count is per company. */
export interface GenerateOptions {
  /** Same seed, same rows (on an empty schema). Default 1. */
  readonly seed?: number | string
  /** Default 3. */
  readonly companies?: number
  /** Default 1000. */
  readonly productsPerCompany?: number
  /** Default 3. */
  readonly shopsPerCompany?: number
  /** Default 3. */
  readonly warehousesPerCompany?: number
  /** Default 10. */
  readonly categoriesPerCompany?: number
  /** Default 5. */
  readonly suppliersPerCompany?: number
  /** Default 3. */
  readonly usersPerCompany?: number
  /** Stock rows per product, each in another warehouse (at most `warehousesPerCompany`). Default 1. */
  readonly stocksPerProduct?: number
  /** Movements per stock row: one `in`, then `out`s; they sum to the stock's quantity. Default 2. */
  readonly movementsPerStock?: number
  /** Invoices per company, 1–3 lines each. Default 20. */
  readonly invoicesPerCompany?: number
  /** Rows per multi-row INSERT (cut further to the dialect's bind limit). Default 5000. */
  readonly batchSize?: number
  /** INSERTs in flight at once (keep it at or under the knex pool size). Default 2; SQLite always 1. */
  readonly concurrency?: number
  /**
   * MySQL/MariaDB: write products, stocks and movements with `foreign_key_checks` and
   * `unique_checks` off for the session of each INSERT (restored after it). Safe because the
   * generator's rows satisfy both by construction (new ids, new companies); ignored elsewhere.
   * Default true.
   */
  readonly skipRowChecks?: boolean
  /** Time of the first product (`created_at`); later rows are about one second apart. Default 2025-01-01T00:00:00Z. */
  readonly start?: Date
  /** Called after every INSERT with running totals. */
  readonly onProgress?: (progress: GenerateProgress) => void
}

/** Progress of a {@link generateStoreData} run. */
export interface GenerateProgress {
  /** The table the last INSERT wrote. */
  readonly table: StoreTable
  /** Rows written so far, all tables. */
  readonly done: number
  /** Rows the run will write, all tables. */
  readonly total: number
}

/** What {@link generateStoreData} wrote. */
export interface GenerateResult {
  /** Rows written per table. */
  readonly rows: Readonly<Record<string, number>>
  /** Ids of the generated companies, in order. */
  readonly companyIds: readonly number[]
}

// The big tables, whose rows reference only rows this run wrote and carry new unique keys.
const BULK_TABLES: ReadonlySet<StoreTable> = new Set(['products', 'stocks', 'stock_movements'])

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < min)
    throw new SchemaError('invalid_option', `${name} must be an integer >= ${min}, got ${n}`)
  return n
}

function resolveShape(o: GenerateOptions): Shape {
  const warehouses = count('warehousesPerCompany', o.warehousesPerCompany, 3, 1)
  const products = count('productsPerCompany', o.productsPerCompany, 1000)
  return {
    companies: count('companies', o.companies, 3, 1),
    products,
    shops: count('shopsPerCompany', o.shopsPerCompany, 3, 1),
    warehouses,
    categories: count('categoriesPerCompany', o.categoriesPerCompany, 10, 1),
    suppliers: count('suppliersPerCompany', o.suppliersPerCompany, 5, 1),
    users: count('usersPerCompany', o.usersPerCompany, 3, 1),
    stocksPerProduct: Math.min(warehouses, count('stocksPerProduct', o.stocksPerProduct, 1)),
    movementsPerStock: count('movementsPerStock', o.movementsPerStock, 2),
    invoices: products > 0 ? count('invoicesPerCompany', o.invoicesPerCompany, 20) : 0,
  }
}

async function idBase(knex: Knex): Promise<IdBase> {
  const entries = await Promise.all(
    GENERATED_TABLES.map(async (t) => {
      const row = (await knex(t).max({ m: 'id' }).first()) as { m: number | string | null } | undefined
      return [t, Number(row?.m ?? 0)] as const
    }),
  )
  return Object.fromEntries(entries) as IdBase
}

/**
 * Fills the store schema with realistic, deterministic data: the same seed on an empty schema
 * gives the same rows, ids included (ids are assigned here, after the tables' current maximum,
 * so run it on a quiet database). Writes with multi-row INSERTs of `batchSize` rows, `concurrency`
 * at a time; stock quantities equal the sum of their movements. Needs the store migrations applied.
 */
export async function generateStoreData(knex: Knex, options: GenerateOptions = {}): Promise<GenerateResult> {
  const d = dialectOf(knex)
  const shape = resolveShape(options)
  const rng = new Random(options.seed ?? 1)
  const start = (options.start ?? new Date(Date.UTC(2025, 0, 1))).getTime()
  const batchSize = count('batchSize', options.batchSize, 5000, 1)
  const concurrency = d.name === 'sqlite' ? 1 : count('concurrency', options.concurrency, 2, 1)
  const bulk = options.skipRowChecks === false ? undefined : d.bulkLoadSession
  const base = await idBase(knex)
  const totalProducts = shape.companies * shape.products
  const small = smallTableRows(rng, shape, base, start)
  const rows: Record<string, number> = {}
  const total =
    Object.values(small).reduce((n, r) => n + r.length, 0) +
    totalProducts * (1 + shape.stocksPerProduct * (1 + shape.movementsPerStock)) +
    shape.companies * shape.invoices * 3 // lines are 1–3 per invoice: the bar may finish early
  let done = 0

  const insert = async (table: StoreTable, batch: Row[]) => {
    if (batch.length === 0) return
    const columns = Object.keys(batch[0] ?? {}).length
    const per = Math.max(1, Math.min(batchSize, Math.floor(d.maxBindings / columns)))
    for (let i = 0; i < batch.length; i += per) {
      const slice = batch.slice(i, i + per)
      if (bulk && BULK_TABLES.has(table)) {
        await knex.transaction(async (trx) => {
          for (const sql of bulk.enter) await trx.raw(sql)
          try {
            await insertRows(trx, d, table, slice)
          } finally {
            for (const sql of bulk.leave) await trx.raw(sql)
          }
        })
      } else {
        await insertRows(knex, d, table, slice)
      }
      rows[table] = (rows[table] ?? 0) + slice.length
      done += slice.length
      options.onProgress?.({ table, done, total: Math.max(total, done) })
    }
  }

  try {
    for (const table of ['companies', 'shops', 'categories', 'suppliers', 'warehouses', 'users'] as const) {
      await insert(table, small[table] ?? [])
    }

    // Rows are drawn from the PRNG in one fixed order before any INSERT is sent, so concurrency
    // changes only timing, never content.
    const inFlight = new Set<Promise<void>>()
    try {
      const productsPerChunk = Math.max(1, Math.min(batchSize, Math.floor(d.maxBindings / 11)))
      for (let g = 0; g < totalProducts; g += productsPerChunk) {
        const products: Row[] = []
        const stocks: Row[] = []
        const movements: Row[] = []
        for (let i = g; i < Math.min(totalProducts, g + productsPerChunk); i++) {
          const r = productRows(rng, shape, base, start, i)
          products.push(r.product)
          stocks.push(...r.stocks)
          movements.push(...r.movements)
        }
        const task: Promise<void> = (async () => {
          await insert('products', products)
          await Promise.all([insert('stocks', stocks), insert('stock_movements', movements)])
        })().finally(() => inFlight.delete(task))
        inFlight.add(task)
        if (inFlight.size >= concurrency) await Promise.race(inFlight)
      }
      await Promise.all(inFlight)
    } catch (error) {
      // Let the other INSERTs settle so none fails unobserved, then report the first failure.
      await Promise.allSettled(inFlight)
      throw error
    }

    let lineId = base.invoice_lines
    const invoices: Row[] = []
    const lines: Row[] = []
    for (let c = 0; c < shape.companies; c++) {
      for (let n = 0; n < shape.invoices; n++) {
        const r = invoiceRows(rng, shape, base, start, c, n, () => ++lineId)
        invoices.push(r.invoice)
        lines.push(...r.lines)
      }
    }
    await insert('invoices', invoices)
    await insert('invoice_lines', lines)
  } finally {
    // Even after a failure, move the id generators past whatever was written.
    for (const table of GENERATED_TABLES) if (rows[table]) await d.syncIdSequence(knex, table)
  }
  return {
    rows,
    companyIds: Array.from({ length: shape.companies }, (_, c) => base.companies + 1 + c),
  }
}
