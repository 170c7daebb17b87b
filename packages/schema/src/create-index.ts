import type { Knex } from 'knex'
import type { IndexInfo, ResolvedIndexSpec, SqlDialect } from './dialects/dialect.js'
import { dialectOf } from './dialects/index.js'
import { SchemaError } from './errors.js'
import { indexName } from './index-name.js'

/** What {@link createIndex} builds. */
export interface IndexSpec {
  /** Table to index. */
  readonly table: string
  /** Columns in key order (put equality columns first, then the sort key, then `id`). */
  readonly columns: readonly string[]
  /** Index name; default {@link indexName}`(table, columns, unique)`. */
  readonly name?: string
  /** Build a unique index. Default false. */
  readonly unique?: boolean
  /**
   * Build without blocking writes: `ALGORITHM=INPLACE, LOCK=NONE` on MySQL/MariaDB, `CONCURRENTLY`
   * on PostgreSQL (which must then run outside a transaction). SQLite has no online build. Default true.
   */
  readonly online?: boolean
}

/** What {@link createIndex} did. */
export interface CreateIndexResult {
  readonly name: string
  /** False when an index of that name and those columns was already there. */
  readonly created: boolean
}

function isTransaction(knex: Knex): boolean {
  return (knex as { isTransaction?: boolean }).isTransaction === true
}

// One index by name from the catalog (undefined when absent).
async function findIndex(knex: Knex, table: string, name: string, d = dialectOf(knex)) {
  const all: IndexInfo[] = await d.listIndexes(knex, table)
  return all.find((i) => i.name === name)
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c.toLowerCase() === b[i]?.toLowerCase())
}

async function assertOnlineAllowed(knex: Knex, d: SqlDialect, online: boolean, what: string) {
  if (online && d.onlineNeedsNoTransaction && isTransaction(knex)) {
    throw new SchemaError(
      'transaction_not_allowed',
      `${what}: PostgreSQL builds indexes CONCURRENTLY only outside a transaction; set \`config = { transaction: false }\` on the migration, or pass online: false`,
    )
  }
}

/**
 * Creates an index unless the catalog already has it: idempotent on every dialect (MySQL has no
 * `CREATE INDEX IF NOT EXISTS`), online where the database can, named deterministically.
 * A PostgreSQL index left INVALID by an interrupted concurrent build is dropped and rebuilt.
 * Throws `SchemaError('invalid_index')` when an index of that name exists on other columns, and
 * `SchemaError('transaction_not_allowed')` for an online PostgreSQL build inside a transaction.
 */
export async function createIndex(knex: Knex, spec: IndexSpec): Promise<CreateIndexResult> {
  const [result] = await createIndexes(knex, [spec])
  return result as CreateIndexResult
}

/**
 * {@link createIndex} for several indexes: same rules, results in the same order. On MySQL/MariaDB
 * the missing indexes of one table are built by one `ALTER TABLE` (one scan of the table instead
 * of one per index), which is what makes adding indexes to a big table affordable.
 */
export async function createIndexes(knex: Knex, specs: readonly IndexSpec[]): Promise<CreateIndexResult[]> {
  const d = dialectOf(knex)
  const resolved = specs.map((spec) => {
    if (spec.columns.length === 0)
      throw new SchemaError('invalid_index', `createIndex(${spec.table}): no columns`)
    const unique = spec.unique ?? false
    const name = spec.name ?? indexName(spec.table, spec.columns, unique)
    const online = (spec.online ?? true) && d.name !== 'sqlite'
    return { table: spec.table, columns: spec.columns, name, unique, online }
  })
  const created = new Set<string>()
  for (const table of new Set(resolved.map((s) => s.table))) {
    const catalog = await d.listIndexes(knex, table)
    const missing: ResolvedIndexSpec[] = []
    for (const spec of resolved.filter((s) => s.table === table)) {
      const existing = catalog.find((i) => i.name === spec.name)
      if (existing && !sameColumns(existing.columns, spec.columns)) {
        throw new SchemaError(
          'invalid_index',
          `index ${spec.name} on ${table} exists on (${existing.columns.join(', ')}), not (${spec.columns.join(', ')})`,
        )
      }
      if (existing?.valid) continue
      await assertOnlineAllowed(knex, d, spec.online, `createIndex(${spec.name})`)
      if (existing) await d.dropIndexSql(knex, table, spec.name, spec.online)
      missing.push(spec)
    }
    const batches = d.createIndexesSql && missing.length > 1 ? [missing] : missing.map((s) => [s])
    for (const batch of batches) {
      try {
        const first = batch[0] as ResolvedIndexSpec
        await (batch.length > 1 && d.createIndexesSql
          ? d.createIndexesSql(knex, table, batch)
          : d.createIndexSql(knex, first))
        for (const s of batch) created.add(s.name)
      } catch (error) {
        // Another process may have built them between our catalog read and our CREATE: that is success.
        const now = await d.listIndexes(knex, table)
        if (!batch.every((s) => now.some((i) => i.name === s.name && i.valid))) throw error
      }
    }
  }
  return resolved.map((s) => ({ name: s.name, created: created.has(s.name) }))
}

/** What {@link dropIndex} drops: a name, or the columns its deterministic name is derived from. */
export type DropIndexSpec =
  | { readonly table: string; readonly name: string; readonly online?: boolean }
  | {
      readonly table: string
      readonly columns: readonly string[]
      readonly unique?: boolean
      readonly online?: boolean
    }

/**
 * Drops an index if the catalog has it (idempotent), online where the database can. Resolves to
 * whether something was dropped. Same transaction rule as {@link createIndex} on PostgreSQL.
 */
export async function dropIndex(
  knex: Knex,
  spec: DropIndexSpec,
): Promise<{ name: string; dropped: boolean }> {
  const d = dialectOf(knex)
  const name = 'name' in spec ? spec.name : indexName(spec.table, spec.columns, spec.unique ?? false)
  if (!(await findIndex(knex, spec.table, name, d))) return { name, dropped: false }
  const online = (spec.online ?? true) && d.name !== 'sqlite'
  await assertOnlineAllowed(knex, d, online, `dropIndex(${name})`)
  await d.dropIndexSql(knex, spec.table, name, online)
  return { name, dropped: true }
}

/** Every index on `table`, read from the catalog (name, columns in key order, unique, primary). */
export async function listIndexes(knex: Knex, table: string): Promise<IndexInfo[]> {
  return dialectOf(knex).listIndexes(knex, table)
}
