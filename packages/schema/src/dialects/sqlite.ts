import type { DialectPlan, ResolvedIndexSpec, SqlDialect } from './dialect.js'
import { groupIndexRows } from './group-index-rows.js'

// Knex's better-sqlite3 driver binds a Date as its epoch milliseconds, so the default does the same:
// one representation per column keeps `ORDER BY created_at, id` (the keyset sort) correct.
const NOW_MS = "(CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER))"

/** SQLite (better-sqlite3 or sqlite3): timestamps are integer epoch milliseconds, UTC by definition. */
export const sqlite: SqlDialect = {
  name: 'sqlite',
  onlineNeedsNoTransaction: false,

  timestamp(knex, table, column, defaultNow) {
    const col = table.datetime(column)
    return defaultNow ? col.defaultTo(knex.raw(NOW_MS)) : col
  },

  async listIndexes(knex, table) {
    const lists = (await knex.raw('select name, "unique" as u, origin from pragma_index_list(?)', [
      table,
    ])) as { name: string; u: number; origin: string }[]
    const rows = []
    for (const ix of lists) {
      const cols = (await knex.raw('select name from pragma_index_info(?) order by seqno', [ix.name])) as {
        name: string
      }[]
      for (const c of cols) {
        rows.push({
          name: ix.name,
          column: c.name,
          unique: ix.u === 1,
          primary: ix.origin === 'pk',
          valid: true,
        })
      }
    }
    return groupIndexRows(table, rows)
  },

  createIndexSql(knex, spec: ResolvedIndexSpec) {
    const cols = spec.columns.map(() => '??').join(', ')
    return knex.raw(`create ${spec.unique ? 'unique ' : ''}index if not exists ?? on ?? (${cols})`, [
      spec.name,
      spec.table,
      ...spec.columns,
    ])
  },

  dropIndexSql(knex, _table, name) {
    return knex.raw('drop index if exists ??', [name])
  },

  async explain(knex, sql, bindings): Promise<DialectPlan> {
    const rows = (await knex.raw(`explain query plan ${sql}`, [...bindings])) as { detail: string }[]
    const scannedTables: string[] = []
    const indexes: string[] = []
    for (const { detail } of rows) {
      // "SCAN products" is a full scan; "SCAN products USING [COVERING] INDEX x" walks a whole index.
      const scan = /^SCAN (\S+)(?: USING (?:COVERING )?INDEX (\S+))?/.exec(detail)
      const search = /^SEARCH (\S+) USING (?:COVERING )?INDEX (\S+)/.exec(detail)
      const pk = /^SEARCH (\S+) USING INTEGER PRIMARY KEY/.exec(detail)
      if (scan?.[1] && !scan[2]) scannedTables.push(scan[1])
      if (scan?.[2]) indexes.push(scan[2])
      if (search?.[2]) indexes.push(search[2])
      if (pk?.[1]) indexes.push('PRIMARY')
    }
    return { fullScan: scannedTables.length > 0, scannedTables, indexes, rowsEstimate: null, raw: rows }
  },

  isIndexNeededByForeignKey: () => false,
  maxBindings: 32_766,
  syncIdSequence: async () => {},

  async analyze(knex, tables) {
    for (const t of tables) await knex.raw('analyze ??', [t])
  },
} satisfies SqlDialect
