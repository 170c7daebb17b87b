import { spawnSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dropIndex } from '@hotpath/schema'
import { useDatabase } from '@hotpath/test-services'
import { describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env }
  delete env.DATABASE_URL
  const res = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { env, encoding: 'utf8' })
  return { code: res.status, stdout: res.stdout, stderr: res.stderr }
}

describe('hotpath-schema CLI', () => {
  const db = useDatabase('sqlite')

  it('seeds with a progress bar, then audits the hot queries as a table', () => {
    const seed = run(['seed', '--url', db.url(), '--migrate', '--companies', '2', '--products', '1500'])
    expect(seed.code).toBe(0)
    // A fresh schema: the tables, the load, then the index migration.
    expect(seed.stderr).toContain('migrated: 20260101000001_store_tables\n')
    expect(seed.stderr).toContain(
      'loading into tables without their secondary indexes (built after the load)',
    )
    expect(seed.stderr).toMatch(/seed \(indexes deferred\) \[#{30}\] 100% /)
    expect(seed.stderr).toMatch(/loaded in [\d.]+ s; building the indexes…\nindexes built in [\d.]+ s\n/)
    expect(JSON.parse(seed.stdout)).toMatchObject({
      companies: 2,
      products: 3000,
      stocks: 3000,
      indexes: 'deferred',
    })

    // The tables now hold rows: a second seed keeps the indexes and says it is the slower path.
    const again = run(['seed', '--url', db.url(), '--companies', '1', '--products', '10'])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('loading into the indexed tables')
    expect(again.stderr).toMatch(/seed \(indexed tables\) \[#{30}\] 100% /)
    expect(JSON.parse(again.stdout)).toMatchObject({
      companies: 1,
      products: 10,
      indexes: 'kept',
      indexSeconds: 0,
    })

    const audit = run(['audit', '--url', db.url()])
    expect(audit.code).toBe(0)
    expect(audit.stdout).toMatch(
      /^ok +products: list, newest first +products_company_id_created_at_id_index/m,
    )
    expect(audit.stdout).toContain('ok: 23 queries, no full table scan')
  })

  it('refuses --defer-indexes with --keep-indexes', () => {
    const res = run(['seed', '--url', db.url(), '--defer-indexes', '--keep-indexes'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('--defer-indexes and --keep-indexes exclude each other')
  })

  it('exits 1 and says FAILED when a hot query scans a whole table', async () => {
    await dropIndex(db.knex, { table: 'invoice_lines', columns: ['invoice_id'] })
    const audit = run(['audit', '--url', db.url(), '--small-table-rows', '0'])
    expect(audit.code).toBe(1)
    expect(audit.stdout).toMatch(/^FAIL full scan +invoice_lines: of an invoice +scan: invoice_lines/m)
    expect(audit.stdout).toMatch(/FAILED: 1 of 23 queries scan a whole table/)
  })

  it('exits 2 without a database URL', () => {
    const res = run(['audit'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('pass --url or set DATABASE_URL')
  })
})

describe('hotpath-schema CLI on an unmigrated database', () => {
  const db = useDatabase('sqlite')

  it.each([['audit'], ['seed', '--companies', '1']])(
    '%s says to run migrate first and exits 1, with no SQL error',
    (...args) => {
      const res = run([...args, '--url', db.url()])
      expect(res.code).toBe(1)
      expect(res.stderr).toBe(
        'hotpath-schema: the database has no store schema (missing tables: companies, shops, categories, ' +
          'suppliers, warehouses, users, products, stocks, stock_movements, invoices, invoice_lines, ' +
          'api_keys, idempotency_keys).\n' +
          'hint: run `hotpath-schema migrate` first, with the same --url / DATABASE_URL ' +
          '(or `seed --migrate`, which migrates then seeds)\n',
      )
      expect(res.stdout).toBe('')
    },
  )

  it.each([
    [['audit', '--company', 'abc'], '--company must be a whole number of at least 1, got "abc"'],
    [['audit', '--company', '0'], '--company must be a whole number of at least 1, got "0"'],
    [['audit', '--small-table-rows', '1e3'], '--small-table-rows must be a whole number, got "1e3"'],
    [['seed', '--products=-5'], '--products must be a whole number, got "-5"'],
    [['seed', '--companies', '2.5'], '--companies must be a whole number, got "2.5"'],
    [['seed', '--batch-size', ''], '--batch-size must be a whole number of at least 1, got ""'],
    [['audit', '--bogus'], "Unknown option '--bogus'"],
  ])('%j exits 2 naming the option, before touching the database', (args, message) => {
    const res = run([...args, '--url', db.url()])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain(message)
    expect(res.stderr).toMatch(/^hotpath-schema: .*\(see hotpath-schema --help\)\n$/)
  })
})

describe('hotpath-schema bin', () => {
  const root = new URL('../../../', import.meta.url)
  const pkg = JSON.parse(readFileSync(new URL('packages/schema/package.json', root), 'utf8'))
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'))

  // npm ci links bins from the lockfile, and skips a bin whose file is missing (dist/ is not built
  // yet at install time): the bin must be a committed file, recorded in the lockfile.
  it('is a committed file, recorded in the lockfile as in package.json, so npm ci links it', () => {
    const bin = pkg.bin['hotpath-schema'] as string
    expect(bin).not.toMatch(/dist\//)
    expect(lock.packages['packages/schema'].bin).toEqual({ 'hotpath-schema': bin.replace(/^\.\//, '') })
    const file = new URL(`packages/schema/${bin}`, root)
    expect(readFileSync(file, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/)
    expect(statSync(file).mode & 0o111).not.toBe(0)
    expect(pkg.files).toContain(bin.replace(/^\.\//, '').split('/')[0])
  })
})
