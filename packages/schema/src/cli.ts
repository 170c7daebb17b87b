#!/usr/bin/env node
import { parseArgs } from 'node:util'
import type { Knex } from 'knex'
import { auditIndexes } from './audit-indexes.js'
import { formatAuditTable } from './cli/audit-table.js'
import { connect } from './cli/connect.js'
import { intOption } from './cli/int-option.js'
import { ProgressBar } from './cli/progress-bar.js'
import { SchemaError } from './errors.js'
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

exit codes: 0 done; 1 failed (audit found a full table scan, the database is not migrated, an error);
2 bad usage (unknown option, a numeric option that is not a whole number, no database URL)
`

function parseCommandLine() {
  return parseArgs({
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
}

const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>
  }

/** The store tables `knex` lacks: a command that reads them says "run migrate" rather than a raw SQL error. */
async function missingTables(knex: Knex): Promise<string[]> {
  const present = await Promise.all(STORE_TABLES.map((t) => knex.schema.hasTable(t)))
  return STORE_TABLES.filter((_, i) => !present[i])
}

function notMigrated(missing: readonly string[]): string {
  return (
    `hotpath-schema: the database has no store schema (missing tables: ${missing.join(', ')}).\n` +
    'hint: run `hotpath-schema migrate` first, with the same --url / DATABASE_URL' +
    ' (or `seed --migrate`, which migrates then seeds)\n'
  )
}

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine()
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
  const numbers = {
    company: intOption('company', values.company, 1),
    smallTableRows: intOption('small-table-rows', values['small-table-rows'], 0),
    companies: intOption('companies', values.companies, 0),
    productsPerCompany: intOption('products', values.products, 0),
    stocksPerProduct: intOption('stocks-per-product', values['stocks-per-product'], 0),
    movementsPerStock: intOption('movements-per-stock', values['movements-per-stock'], 0),
    invoicesPerCompany: intOption('invoices', values.invoices, 0),
    batchSize: intOption('batch-size', values['batch-size'], 1),
    concurrency: intOption('concurrency', values.concurrency, 1),
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
      const missing = values.migrate ? [] : await missingTables(knex)
      if (missing.length > 0) {
        process.stderr.write(notMigrated(missing))
        return 1
      }
      let bar = new ProgressBar(process.stderr, 'seed')
      let written = 0
      let finished = false
      const result = await seedStore(knex, {
        ...defined({
          seed: values.seed,
          companies: numbers.companies,
          productsPerCompany: numbers.productsPerCompany,
          stocksPerProduct: numbers.stocksPerProduct,
          movementsPerStock: numbers.movementsPerStock,
          invoicesPerCompany: numbers.invoicesPerCompany,
          batchSize: numbers.batchSize,
          concurrency: numbers.concurrency,
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
      const missing = await missingTables(knex)
      if (missing.length > 0) {
        process.stderr.write(notMigrated(missing))
        return 1
      }
      const first = (await knex('companies').min({ id: 'id' }).first()) as { id: number | null } | undefined
      const companyId = numbers.company ?? Number(first?.id ?? 0)
      const report = await auditIndexes(knex, await storeHotQueries(knex, companyId), {
        ...(values['no-analyze'] ? {} : { analyze: STORE_TABLES }),
        ...defined({ smallTableRows: numbers.smallTableRows }),
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
    // A bad option or argument is a usage error (exit 2), reported without a stack.
    const usage =
      (error instanceof SchemaError && error.code === 'invalid_option') ||
      String((error as { code?: unknown } | null)?.code).startsWith('ERR_PARSE_ARGS_')
    if (usage) {
      process.stderr.write(`hotpath-schema: ${(error as Error).message} (see hotpath-schema --help)\n`)
      process.exit(2)
    }
    process.stderr.write(`hotpath-schema: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
