import type { Knex } from 'knex'
import type { DialectPlan, ResolvedIndexSpec, SqlDialect } from './dialect.js'
import { groupIndexRows } from './group-index-rows.js'

// The characters MySQL string literals must escape (as mysql2's own escaper does).
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL and Ctrl-Z are exactly what must be escaped
const ESCAPE = /[\0\b\t\n\r\x1a"'\\]/g
const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  '"': '\\"',
  "'": "\\'",
  '\\': '\\\\',
}

// ALTER TABLE … ADD/DROP INDEX takes ALGORITHM/LOCK on both MySQL and MariaDB (MariaDB's DROP
// INDEX does not), and builds all the listed indexes in one scan of the table.
function addIndexes(knex: Knex, table: string, specs: readonly ResolvedIndexSpec[]): Knex.Raw {
  const bindings: string[] = [table]
  const adds = specs.map((spec) => {
    bindings.push(spec.name, ...spec.columns)
    return `add ${spec.unique ? 'unique ' : ''}index ?? (${spec.columns.map(() => '??').join(', ')})`
  })
  const online = specs.every((s) => s.online) ? ', algorithm=inplace, lock=none' : ''
  return knex.raw(`alter table ?? ${adds.join(', ')}${online}`, bindings)
}

interface ExplainRow {
  table: string | null
  type: string | null
  key: string | null
  rows: number | string | null
}

/**
 * MySQL 8 and MariaDB 10.x (mysql2 or mysql): `datetime(3)` timestamps holding UTC (set the
 * connection's `timezone: 'Z'`), indexes built with `ALGORITHM=INPLACE, LOCK=NONE`.
 */
export const mysql: SqlDialect = {
  name: 'mysql',
  onlineNeedsNoTransaction: false,

  timestamp(knex, table, column, defaultNow) {
    const col = table.datetime(column, { precision: 3 })
    return defaultNow ? col.defaultTo(knex.raw('CURRENT_TIMESTAMP(3)')) : col
  },

  // utf8mb4_bin: the default utf8mb4 collations fold case and accents, so 'Key' would equal 'key'.
  exactTextSql(knex, { table, column, length }, exact) {
    const collation = exact ? ' character set utf8mb4 collate utf8mb4_bin' : ''
    return knex.raw(`alter table ?? modify ?? varchar(${Number(length)})${collation} not null`, [
      table,
      column,
    ])
  },

  async listIndexes(knex, table) {
    const [rows] = (await knex.raw(
      `select index_name as name, column_name as col, non_unique as nu
         from information_schema.statistics
        where table_schema = database() and table_name = ?
        order by index_name, seq_in_index`,
      [table],
    )) as [{ name: string; col: string; nu: number | string }[]]
    return groupIndexRows(
      table,
      rows.map((r) => ({
        name: r.name,
        column: r.col,
        unique: Number(r.nu) === 0,
        primary: r.name === 'PRIMARY',
        valid: true,
      })),
    )
  },

  createIndexSql: (knex, spec) => addIndexes(knex, spec.table, [spec]),
  createIndexesSql: addIndexes,

  dropIndexSql(knex, table, name, online) {
    return knex.raw(`alter table ?? drop index ??${online ? ', algorithm=inplace, lock=none' : ''}`, [
      table,
      name,
    ])
  },

  async explain(knex, sql, bindings): Promise<DialectPlan> {
    const [rows] = (await knex.raw(`explain ${sql}`, [...bindings])) as [ExplainRow[]]
    const scannedTables: string[] = []
    const indexes: string[] = []
    let rowsEstimate: number | null = null
    for (const row of rows) {
      // type ALL is a full table scan; `index` walks an index in order (ORDER BY … LIMIT), which is fine.
      if (row.type === 'ALL' && row.table && !row.table.startsWith('<')) scannedTables.push(row.table)
      if (row.key) indexes.push(row.key)
      if (row.rows !== null && row.rows !== undefined) {
        rowsEstimate = Math.max(rowsEstimate ?? 0, Number(row.rows))
      }
    }
    return { fullScan: scannedTables.length > 0, scannedTables, indexes, rowsEstimate, raw: rows }
  },

  // ER_DROP_INDEX_FK: InnoDB needs some index starting with each foreign key's columns.
  isIndexNeededByForeignKey: (error) => (error as { errno?: number } | null)?.errno === 1553,
  literal: (value) => {
    if (value === null) return 'NULL'
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL'
    if (typeof value === 'boolean') return value ? '1' : '0'
    if (value instanceof Date) return `'${value.toISOString().slice(0, 23).replace('T', ' ')}'`
    return `'${value.replace(ESCAPE, (ch) => ESCAPES[ch] ?? ch)}'`
  },

  // Saved in user variables and restored afterwards, so a pooled connection goes back as it came.
  bulkLoadSession: {
    enter: [
      'set @hotpath_fkc = @@session.foreign_key_checks, @hotpath_uc = @@session.unique_checks',
      'set session foreign_key_checks = 0, unique_checks = 0',
    ],
    leave: ['set session foreign_key_checks = @hotpath_fkc, unique_checks = @hotpath_uc'],
  },
  // mysql2 interpolates placeholders client-side: the limit is max_allowed_packet, not a count.
  maxBindings: 1_000_000,
  // AUTO_INCREMENT moves past explicit ids by itself.
  syncIdSequence: async () => {},

  async analyze(knex, tables) {
    if (tables.length === 0) return
    await knex.raw(`analyze table ${tables.map(() => '??').join(', ')}`, [...tables])
  },
} satisfies SqlDialect
