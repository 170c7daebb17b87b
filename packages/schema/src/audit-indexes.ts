import type { Knex } from 'knex'
import { dialectOf } from './dialects/index.js'
import { SchemaError } from './errors.js'
import { type ExplainableQuery, explainQuery, type QueryPlan } from './explain-query.js'

/** A query the audit must find index-served. */
export interface HotQuery {
  /** Short label printed in the report (e.g. `products: list, newest first`). */
  readonly name: string
  readonly query: ExplainableQuery
}

/** Options of {@link auditIndexes}. */
export interface AuditOptions {
  /**
   * A full scan of a table with fewer rows than this is reported as `small-table` and passes:
   * optimizers rightly scan tiny tables. Default 1000. Use 0 to fail on any full scan.
   */
  readonly smallTableRows?: number
  /** Refresh the optimizer statistics of the tables first (`ANALYZE`). Default false. */
  readonly analyze?: readonly string[]
  /** Throw `SchemaError('audit_failed')` (with the report as `cause`) instead of returning a failed report. Default false. */
  readonly throwOnFailure?: boolean
}

/** The verdict on one hot query. */
export interface AuditResult {
  readonly name: string
  /** `index`: served by indexes; `small-table`: full scan of a table under `smallTableRows`; `full-scan`: fails. */
  readonly status: 'index' | 'small-table' | 'full-scan'
  readonly plan: QueryPlan
}

/** The audit's report: `ok` is false when any query does a full scan of a table that is not small. */
export interface AuditReport {
  readonly ok: boolean
  readonly results: readonly AuditResult[]
}

async function rowsUpTo(knex: Knex, table: string, limit: number): Promise<number> {
  const rows = (await knex
    .count({ n: '*' })
    .from(knex(table).select(knex.raw('1')).limit(limit).as('x'))) as {
    n: number | string
  }[]
  return Number(rows[0]?.n ?? 0)
}

/**
 * EXPLAINs every hot query and says which ones read a whole table. Returns the report (check `ok`)
 * unless `throwOnFailure` is set. Plans depend on statistics: audit a database holding realistic
 * data (see `generateStoreData`), analyzed, not an empty one where every optimizer scans.
 */
export async function auditIndexes(
  knex: Knex,
  queries: readonly HotQuery[],
  options: AuditOptions = {},
): Promise<AuditReport> {
  const smallTableRows = options.smallTableRows ?? 1000
  if (options.analyze?.length) await dialectOf(knex).analyze(knex, options.analyze)
  const results: AuditResult[] = []
  for (const { name, query } of queries) {
    const plan = await explainQuery(knex, query)
    let status: AuditResult['status'] = 'index'
    if (plan.fullScan) {
      status = 'small-table'
      for (const table of plan.scannedTables) {
        if ((await rowsUpTo(knex, table, smallTableRows)) >= smallTableRows) status = 'full-scan'
      }
    }
    results.push({ name, status, plan })
  }
  const report: AuditReport = { ok: results.every((r) => r.status !== 'full-scan'), results }
  if (!report.ok && options.throwOnFailure) {
    const failed = results.filter((r) => r.status === 'full-scan').map((r) => r.name)
    throw new SchemaError('audit_failed', `full table scan in: ${failed.join('; ')}`, { cause: report })
  }
  return report
}
