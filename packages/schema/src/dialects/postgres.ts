import type { DialectPlan, ResolvedIndexSpec, SqlDialect } from './dialect.js'
import { groupIndexRows } from './group-index-rows.js'

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Plan Rows'?: number
  Plans?: PlanNode[]
}

/**
 * PostgreSQL: `timestamptz(3)` timestamps, indexes built `CONCURRENTLY` (outside a transaction) and
 * looked up in the current schema (`search_path`).
 */
export const postgres: SqlDialect = {
  name: 'postgres',
  onlineNeedsNoTransaction: true,

  timestamp(knex, table, column, defaultNow) {
    const col = table.timestamp(column, { useTz: true, precision: 3 })
    return defaultNow ? col.defaultTo(knex.raw('CURRENT_TIMESTAMP(3)')) : col
  },

  async listIndexes(knex, table) {
    const { rows } = (await knex.raw(
      `select i.relname as name, a.attname as col, ix.indisunique as u, ix.indisprimary as p, ix.indisvalid as v
         from pg_index ix
         join pg_class t on t.oid = ix.indrelid
         join pg_namespace n on n.oid = t.relnamespace
         join pg_class i on i.oid = ix.indexrelid
         cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
         join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
        where t.relname = ? and n.nspname = current_schema()
        order by i.relname, k.ord`,
      [table],
    )) as { rows: { name: string; col: string; u: boolean; p: boolean; v: boolean }[] }
    return groupIndexRows(
      table,
      rows.map((r) => ({ name: r.name, column: r.col, unique: r.u, primary: r.p, valid: r.v })),
    )
  },

  createIndexSql(knex, spec: ResolvedIndexSpec) {
    const cols = spec.columns.map(() => '??').join(', ')
    const online = spec.online ? 'concurrently ' : ''
    return knex.raw(`create ${spec.unique ? 'unique ' : ''}index ${online}if not exists ?? on ?? (${cols})`, [
      spec.name,
      spec.table,
      ...spec.columns,
    ])
  },

  dropIndexSql(knex, _table, name, online) {
    return knex.raw(`drop index ${online ? 'concurrently ' : ''}if exists ??`, [name])
  },

  async explain(knex, sql, bindings): Promise<DialectPlan> {
    const { rows } = (await knex.raw(`explain (format json) ${sql}`, [...bindings])) as {
      rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[]
    }
    const top = rows[0]?.['QUERY PLAN'][0]?.Plan
    const scannedTables: string[] = []
    const indexes: string[] = []
    const walk = (node: PlanNode): void => {
      if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) scannedTables.push(node['Relation Name'])
      if (node['Index Name']) indexes.push(node['Index Name'])
      for (const child of node.Plans ?? []) walk(child)
    }
    if (top) walk(top)
    return {
      fullScan: scannedTables.length > 0,
      scannedTables,
      indexes,
      rowsEstimate: top?.['Plan Rows'] ?? null,
      raw: rows[0]?.['QUERY PLAN'] ?? rows,
    }
  },

  isIndexNeededByForeignKey: () => false,
  maxBindings: 65_535,

  async syncIdSequence(knex, table) {
    await knex.raw(
      `select setval(pg_get_serial_sequence(?, 'id'), coalesce((select max(id) from ??), 0) + 1, false)`,
      [table, table],
    )
  },

  async analyze(knex, tables) {
    for (const t of tables) await knex.raw('analyze ??', [t])
  },
} satisfies SqlDialect
