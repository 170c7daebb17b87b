import { spawnSync } from 'node:child_process'
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
    expect(seed.stderr).toContain('migrated: 20260101000001_store_tables, 20260101000002_store_indexes')
    expect(seed.stderr).toMatch(/seed \[#{30}\] 100% /)
    expect(JSON.parse(seed.stdout)).toMatchObject({ companies: 2, products: 3000, stocks: 3000 })

    const audit = run(['audit', '--url', db.url()])
    expect(audit.code).toBe(0)
    expect(audit.stdout).toMatch(
      /^ok +products: list, newest first +products_company_id_created_at_id_index/m,
    )
    expect(audit.stdout).toContain('ok: 23 queries, no full table scan')
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
