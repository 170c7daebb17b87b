import type { Knex } from 'knex'
import { rememberPerKnex } from '../schema-memo.js'
import { runRaw } from './dialect.js'

/** What the seek needs from an index: equality-bound leading columns, then the sort columns in order. */
export interface SeekShape {
  readonly table: string
  /** Columns the query's WHERE binds with `=` (AND-ed, not negated). */
  readonly equalities: readonly string[]
  /** The sort columns (tiebreaker last) with their directions. */
  readonly sort: ReadonlyArray<{ readonly column: string; readonly direction: 'asc' | 'desc' }>
}

interface IndexColumn {
  index: string
  column: string
  descending: boolean
}

/**
 * MariaDB/MySQL: the index that serves a seek as a range, read from `information_schema.statistics`
 * (once per knex instance and table). It starts with columns the WHERE binds by equality, continues
 * with every sort column in order (the tiebreaker may be the primary key InnoDB appends) and has the
 * ordering's directions or exactly their reverse. The longest equality prefix wins; none: `undefined`.
 */
export async function findSeekIndex(client: Knex.Client, shape: SeekShape): Promise<string | undefined> {
  const indexes = await indexesOf(client, shape.table)
  const primary = indexes.find((cols) => cols[0]?.index === 'PRIMARY')
  const unique = shape.sort[shape.sort.length - 1]
  const implicitUnique = primary?.length === 1 && primary[0]?.column === unique?.column
  let best: { name: string; prefix: number } | undefined
  for (const cols of indexes) {
    let prefix = 0
    while (prefix < cols.length && shape.equalities.includes(cols[prefix]!.column)) prefix++
    // Without equality filters any index may lead with the sort columns; with them, forcing an index that
    // ignores them could scan far more than the optimizer's own choice, so one of them must lead.
    const lowest = shape.equalities.length === 0 ? 0 : 1
    for (let k = prefix; k >= lowest; k--) {
      const rest = cols.slice(k)
      const implicit = implicitUnique && rest.length === shape.sort.length - 1
      const wanted = implicit ? shape.sort.slice(0, -1) : shape.sort
      if (wanted.length === 0 || rest.length < wanted.length) continue
      const flips = wanted.map((s, i) => (s.direction === 'desc') !== rest[i]!.descending)
      // InnoDB appends the primary key ascending: the tiebreaker must flip the same way.
      if (implicit) flips.push(unique?.direction === 'desc')
      const sameColumns = wanted.every((s, i) => s.column === rest[i]!.column)
      const oneWay = flips.every((f) => f === flips[0])
      if (sameColumns && oneWay && (!best || k > best.prefix)) best = { name: cols[0]!.index, prefix: k }
      if (sameColumns && oneWay) break
    }
  }
  return best?.name
}

function indexesOf(client: Knex.Client, table: string): Promise<IndexColumn[][]> {
  return rememberPerKnex(
    client,
    `indexes:${table}`,
    async () => {
      const result = await runRaw(
        client,
        `select index_name as i, column_name as c, collation as d from information_schema.statistics
         where table_schema = database() and table_name = ? order by index_name, seq_in_index`,
        [table],
      )
      const rows = (Array.isArray(result) ? result[0] : []) as Array<{
        i: string
        c: string
        d: string | null
      }>
      const byIndex = new Map<string, IndexColumn[]>()
      for (const r of rows) {
        const cols = byIndex.get(r.i) ?? []
        cols.push({ index: r.i, column: r.c, descending: r.d === 'D' })
        byIndex.set(r.i, cols)
      }
      return [...byIndex.values()]
    },
    [],
  )
}
