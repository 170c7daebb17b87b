#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { auditIndexes } from './audit-indexes.js'
import { formatAuditTable } from './cli/audit-table.js'
import { connect } from './cli/connect.js'
import { ProgressBar } from './cli/progress-bar.js'
import { storeMigrations } from './migration-source.js'
import { seedStore } from './seed-store.js'
import { storeHotQueries } from './store-hot-queries.js'
import { STORE_TABLES } from './tables.js'

const USAGE = `hotpath-schema <command> [options]

commands:
  migrate   apply the store migrations (tables, then indexes)
  rollback  undo all store migrations
  seed      generate deterministic store data, with a progress bar
  audit     EXPLAIN the store API's hot queries and fail on a full table scan

options:
  --url URL                 database URL (default: $DATABASE_URL): mysql://, postgres://[?schema=], sqlite:<file>
  --company ID              audit: the company whose queries are explained (default: the first)
  --small-table-rows N      audit: scans of tables under N rows pass (default 1000)
  --no-analyze              audit: do not ANALYZE the tables first
  --json                    audit: print the report as JSON
  --seed S                  seed: PRNG seed (default 1)
  --companies N             seed: companies (default 3)
  --products N              seed: products per company (default 1000)
  --stocks-per-product N    seed: default 1
  --movements-per-stock N   seed: default 2
  --invoices N              seed: invoices per company (default 20)
  --batch-size N            seed: rows per INSERT (default 5000)
  --concurrency N           seed: INSERTs in flight (default 2)
  --migrate                 seed: apply the migrations first
  --defer-indexes           seed: always load into tables without their secondary indexes, then build them
                            (the default already does so when the store's tables are empty: 3x faster at 1M products)
  --keep-indexes            seed: load into the indexed tables (the default when the tables already hold rows)
`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    company: { type: 'string' },
    'small-table-rows': { type: 'string' },
    'no-analyze': { type: 'boolean' },
    json: { type: 'boolean' },
    seed: { type: 'string' },
    companies: { type: 'string' },
    products: { type: 'string' },
    'stocks-per-product': { type: 'string' },
    'movements-per-stock': { type: 'string' },
    invoices: { type: 'string' },
    'batch-size': { type: 'string' },
    concurrency: { type: 'string' },
    migrate: { type: 'boolean' },
    'defer-indexes': { type: 'boolean' },
    'keep-indexes': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
})

const int = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v))
const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>
  }

async function main(): Promise<number> {
  const command = positionals[0]
  if (values.help || !command) {
    process.stdout.write(USAGE)
    return command || values.help ? 0 : 2
  }
  const url = values.url ?? process.env.DATABASE_URL
  if (!url) {
    process.stderr.write('hotpath-schema: pass --url or set DATABASE_URL\n')
    return 2
  }
  const knex = connect(url)
  try {
    if (command === 'migrate') {
      const [, ran] = (await knex.migrate.latest({ migrationSource: storeMigrations() })) as [
        number,
        string[],
      ]
      process.stderr.write(ran.length ? `migrated: ${ran.join(', ')}\n` : 'already up to date\n')
      return 0
    }
    if (command === 'rollback') {
      await knex.migrate.rollback({ migrationSource: storeMigrations() }, true)
      process.stderr.write('rolled back\n')
      return 0
    }
    if (command === 'seed') {
      if (values['defer-indexes'] && values['keep-indexes']) {
        process.stderr.write('hotpath-schema: --defer-indexes and --keep-indexes exclude each other\n')
        return 2
      }
      let bar = new ProgressBar(process.stderr, 'seed')
      let written = 0
      let finished = false
      const result = await seedStore(knex, {
        ...defined({
          seed: values.seed,
          companies: int(values.companies),
          productsPerCompany: int(values.products),
          stocksPerProduct: int(values['stocks-per-product']),
          movementsPerStock: int(values['movements-per-stock']),
          invoicesPerCompany: int(values.invoices),
          batchSize: int(values['batch-size']),
          concurrency: int(values.concurrency),
        }),
        migrate: values.migrate ?? false,
        indexes: values['defer-indexes'] ? 'defer' : values['keep-indexes'] ? 'keep' : 'auto',
        onProgress: (p) => {
          written = p.done
          bar.update(p.done, p.total, p.table)
        },
        onPhase: (p) => {
          if (p.phase === 'migrated') {
            process.stderr.write(
              p.names.length ? `migrated: ${p.names.join(', ')}\n` : 'already up to date\n',
            )
          } else if (p.phase === 'load' && p.indexes === 'deferred') {
            process.stderr.write(
              'loading into tables without their secondary indexes (built after the load)\n',
            )
            bar = new ProgressBar(process.stderr, 'seed (indexes deferred)')
          } else if (p.phase === 'load') {
            process.stderr.write(
              'loading into the indexed tables (--keep-indexes, or the tables hold rows): slower than ' +
                '--defer-indexes on big loads, which drops the secondary indexes for the load and rebuilds them\n',
            )
            bar = new ProgressBar(process.stderr, 'seed (indexed tables)')
          } else if (p.phase === 'build-indexes') {
            bar.finish(written)
            finished = true
            process.stderr.write(`loaded in ${p.loadSeconds.toFixed(1)} s; building the indexes…\n`)
          }
        },
      })
      if (!finished) bar.finish(Object.values(result.rows).reduce((a, b) => a + b, 0))
      if (result.indexSeconds > 0)
        process.stderr.write(`indexes built in ${result.indexSeconds.toFixed(1)} s\n`)
      const round = (n: number) => Math.round(n * 10) / 10
      process.stdout.write(
        `${JSON.stringify({
          ...result.rows,
          indexes: result.indexes,
          loadSeconds: round(result.loadSeconds),
          indexSeconds: round(result.indexSeconds),
          totalSeconds: round(result.loadSeconds + result.indexSeconds),
        })}\n`,
      )
      return 0
    }
    if (command === 'audit') {
      const first = (await knex('companies').min({ id: 'id' }).first()) as { id: number | null } | undefined
      const companyId = int(values.company) ?? Number(first?.id ?? 0)
      const report = await auditIndexes(knex, await storeHotQueries(knex, companyId), {
        ...(values['no-analyze'] ? {} : { analyze: STORE_TABLES }),
        ...defined({ smallTableRows: int(values['small-table-rows']) }),
      })
      process.stdout.write(
        values.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : `company ${companyId}\n${formatAuditTable(report)}\n`,
      )
      return report.ok ? 0 : 1
    }
    process.stderr.write(`hotpath-schema: unknown command ${command}\n\n${USAGE}`)
    return 2
  } finally {
    await knex.destroy()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`hotpath-schema: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
