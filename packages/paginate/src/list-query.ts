import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import { DEFAULTS } from './defaults.js'
import type { SqlDialect } from './dialects/dialect.js'
import { pickDialect } from './dialects/pick.js'
import { PaginationError } from './errors.js'
import { nullableColumns } from './nullability.js'
import type { CommonOptions } from './options.js'
import { formatOrdering, withTiebreaker } from './ordering.js'

/** One resolved sort term: the qualified column for SQL, the key to read on result rows, NULL-ability. */
export interface SortTerm {
  readonly column: string
  readonly key: string
  readonly direction: 'asc' | 'desc'
  readonly nullable: boolean
}

/** The user's query taken apart once per call: everything the strategies need. */
export interface ListQuery {
  /** The user's query without ORDER BY / LIMIT / OFFSET (and with `<table>.*` when it selected nothing). */
  readonly base: Knex.QueryBuilder
  /** The query selected nothing, so `base` selects every column of the base table (`<alias>.*`). */
  readonly selectsAll: boolean
  readonly client: Knex.Client
  readonly dialect: SqlDialect
  /** The base table's name (used in cache keys and the `paginate:<table>` tag). */
  readonly table: string
  /** The base table's alias (its name when it has none). */
  readonly alias: string
  /** Joins applied to the page's rows only (option `lookups`). */
  readonly lookups: ((query: Knex.QueryBuilder) => void) | undefined
  /** The index seeks are pinned to: option `seekIndex`, else what the dialect reads from the schema. */
  readonly seekIndex: string | undefined
  /** The full ordering, tiebreaker included. */
  readonly terms: readonly SortTerm[]
  /** `-created_at,-id`: what cursors and cached boundaries are bound to. */
  readonly orderingKey: string
  /** The qualified unique column. */
  readonly unique: string
  /** Hash of the query's FROM/JOIN/WHERE SQL and bindings: what cursors and cached counts are bound to. */
  readonly fingerprint: string
}

interface BuilderInternals {
  _single?: { table?: unknown }
  _statements?: Array<{
    grouping?: string
    type?: string
    column?: unknown
    operator?: unknown
    not?: boolean
    bool?: string
  }>
}

/**
 * Resolves table, ordering and fingerprint of `query`; a query without a plain table throws
 * `invalid_option`. A sort column is nullable when the `nullable` option names it or, for the base
 * table's own columns, when the schema says so.
 */
export async function describeQuery(query: Knex.QueryBuilder, options: CommonOptions): Promise<ListQuery> {
  const unique = options.unique ?? DEFAULTS.unique
  const declared = options.nullable ?? []
  // Knex keeps the FROM table and the statement list on these fields; they have been stable since knex 0.x.
  const internals = query as unknown as BuilderInternals
  const from = internals._single?.table
  if (typeof from !== 'string') {
    throw new PaginationError('invalid_option', 'paginate needs a query on a named table (knex("table"))', {
      status: 500,
    })
  }
  const [table = from, alias = table] = from.split(/\s+as\s+/i)
  const qualify = (column: string) => (column.includes('.') ? column : `${alias}.${column}`)
  const base = query.clone().clearOrder().clear('limit').clear('offset')
  const selectsAll = !internals._statements?.some((s) => s.grouping === 'columns')
  if (selectsAll) base.select(`${alias}.*`)
  const full = withTiebreaker(options.params.ordering, unique)
  const client = query.client
  const detected = await nullableColumns(client, table)
  const own = (column: string) => (column.startsWith(`${alias}.`) ? column.slice(alias.length + 1) : column)
  const terms = full.map((t) => ({
    column: qualify(t.column),
    key: t.column.slice(t.column.lastIndexOf('.') + 1),
    direction: t.direction,
    nullable: t.column !== unique && (declared.includes(t.column) || detected.has(own(t.column))),
  }))
  const seekIndex = options.seekIndex ?? (await guessSeekIndex(client, table, alias, internals, terms))
  const skeleton = base.clone().clearSelect().toSQL()
  const fingerprint = createHash('sha256')
    .update(skeleton.sql)
    .update('\0')
    .update(JSON.stringify(skeleton.bindings, bindingReplacer))
    .digest('base64url')
    .slice(0, 22)
  return {
    base,
    selectsAll,
    client,
    dialect: pickDialect(client),
    table,
    alias,
    seekIndex,
    lookups: options.lookups,
    terms,
    orderingKey: formatOrdering(full),
    unique: qualify(unique),
    fingerprint,
  }
}

/** Asks the dialect for a seek index from the base-table columns the WHERE binds with `=`. */
async function guessSeekIndex(
  client: Knex.Client,
  table: string,
  alias: string,
  internals: BuilderInternals,
  terms: readonly SortTerm[],
): Promise<string | undefined> {
  const own = (column: string) =>
    column.startsWith(`${alias}.`)
      ? column.slice(alias.length + 1)
      : column.includes('.')
        ? undefined
        : column
  const sort = terms.map((t) => ({ column: own(t.column), direction: t.direction }))
  if (sort.some((s) => s.column === undefined)) return undefined
  const equalities = (internals._statements ?? [])
    .filter(
      (s) =>
        s.grouping === 'where' && s.type === 'whereBasic' && s.operator === '=' && !s.not && s.bool !== 'or',
    )
    .map((s) => (typeof s.column === 'string' ? own(s.column) : undefined))
    .filter((c): c is string => c !== undefined)
  return pickDialect(client).findSeekIndex(client, {
    table,
    equalities,
    sort: sort as Array<{ column: string; direction: 'asc' | 'desc' }>,
  })
}

/** JSON replacer for query bindings (bigint and bytes). */
export function bindingReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  return value
}
