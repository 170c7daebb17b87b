// `npm run bench -- schema`: the seeded generator on MariaDB/MySQL, two ways side by side in one run:
// indexes first (the full schema, then the data) and indexes deferred (tables, data, then the index
// migration, which builds each table's indexes in one ALTER TABLE). Each variant gets a fresh database.
// Env: MYSQL_URL (default mysql://root@127.0.0.1:3306/test; the bench creates and drops `hotpath_bench`),
// BENCH_PRODUCTS (default 1000000), BENCH_COMPANIES (default 10), BENCH_VARIANTS (default `deferred,first`).
// A variant is `deferred` or `first`, optionally followed by generator options: `+checks` (keep the
// per-row foreign-key and unique checks: skipRowChecks false), `+batch=N` (batchSize), `+conc=N`
// (concurrency); e.g. BENCH_VARIANTS=deferred,deferred+checks,deferred+batch=20000,deferred+conc=4.
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import knexFactory, { type Knex } from 'knex'
import { generateStoreData, storeMigrations } from '../../packages/schema/src/index.ts'

const base = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test')
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 1_000_000)
const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 10)
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'deferred,first').split(',')
const DB = 'hotpath_bench'

async function withAdmin(fn: (k: Knex) => Promise<unknown>) {
  const admin = knexFactory({ client: 'mysql2', connection: base.href, pool: { min: 0, max: 1 } })
  try {
    await fn(admin)
  } finally {
    await admin.destroy()
  }
}

// The server's own CPU seconds (utime + stime of mariadbd/mysqld from /proc), when it runs on this
// machine: on a shared machine it moves far less than the wall time. null when not readable.
let serverPid: number | null = null
function serverCpu(): number | null {
  if (serverPid === null) return null
  try {
    const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100 // clock ticks; 100 per second on Linux
  } catch {
    return null
  }
}

interface Result {
  variant: string
  rows: number
  load: number
  indexes: number
  total: number
  cpu: number
  serverCpu: number | null
}

interface Variant {
  deferred: boolean
  skipRowChecks: boolean
  batchSize?: number
  concurrency?: number
}

function parseVariant(spec: string): Variant {
  const [kind, ...mods] = spec.split('+')
  if (kind !== 'deferred' && kind !== 'first') throw new Error(`unknown variant ${spec}`)
  const v: Variant = { deferred: kind === 'deferred', skipRowChecks: true }
  for (const mod of mods) {
    const [key, value] = mod.split('=')
    if (key === 'checks') v.skipRowChecks = false
    else if (key === 'batch') v.batchSize = Number(value)
    else if (key === 'conc') v.concurrency = Number(value)
    else throw new Error(`unknown variant option ${mod} in ${spec}`)
  }
  return v
}

async function variant(name: string): Promise<Result> {
  const spec = parseVariant(name)
  await withAdmin(async (k) => {
    await k.raw('drop database if exists ??', [DB])
    await k.raw('create database ?? character set utf8mb4', [DB])
  })
  const knex = knexFactory({
    client: 'mysql2',
    connection: {
      host: base.hostname,
      port: Number(base.port || 3306),
      user: decodeURIComponent(base.username),
      password: decodeURIComponent(base.password),
      database: DB,
      timezone: 'Z',
    },
    pool: { min: 0, max: 8 },
  })
  try {
    const { deferred } = spec
    await knex.migrate.latest({
      migrationSource: storeMigrations(deferred ? { until: '20260101000001_store_tables' } : {}),
    })
    const cpu0 = process.cpuUsage()
    const server0 = serverCpu()
    const t0 = performance.now()
    let last = 0
    const result = await generateStoreData(knex, {
      seed: 'bench',
      companies: COMPANIES,
      productsPerCompany: Math.ceil(PRODUCTS / COMPANIES),
      skipRowChecks: spec.skipRowChecks,
      ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
      ...(spec.concurrency ? { concurrency: spec.concurrency } : {}),
      onProgress: (p) => {
        if (p.done - last >= 500_000) {
          last = p.done
          process.stderr.write(
            `  ${name}: ${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} rows\n`,
          )
        }
      },
    })
    const t1 = performance.now()
    if (deferred) await knex.migrate.latest({ migrationSource: storeMigrations() })
    const t2 = performance.now()
    const cpu = process.cpuUsage(cpu0)
    const server1 = serverCpu()
    return {
      variant: name,
      rows: Object.values(result.rows).reduce((a, b) => a + b, 0),
      load: (t1 - t0) / 1000,
      indexes: (t2 - t1) / 1000,
      total: (t2 - t0) / 1000,
      cpu: (cpu.user + cpu.system) / 1e6,
      serverCpu: server0 === null || server1 === null ? null : server1 - server0,
    }
  } finally {
    await knex.destroy()
  }
}

await withAdmin(async (k) => {
  const [[row]] = (await k.raw('select @@pid_file as f')) as [{ f: string }[]]
  try {
    serverPid = Number(readFileSync(String(row?.f), 'utf8').trim()) || null
  } catch {
    serverPid = null // the server runs elsewhere: no server CPU column
  }
})
const results: Result[] = []
console.log(
  `generateStoreData on ${base.host}: ${PRODUCTS.toLocaleString('en-US')} products in ${COMPANIES} companies, ` +
    `1 stock and 2 movements per product; ${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(1)} at start`,
)
console.log('deferred: tables, load, then the index migration; first: full schema (indexes first), then load')
for (const v of VARIANTS) results.push(await variant(v))
await withAdmin((k) => k.raw('drop database if exists ??', [DB]))

const fastest = Math.min(...results.map((r) => r.total))
const pad = (s: string, n: number) => s.padEnd(n)
console.log(
  `\n${pad('variant', 26)}${pad('rows', 12)}${pad('load s', 9)}${pad('index s', 9)}${pad('total s', 9)}${pad('rows/s', 10)}${pad('node CPU s', 12)}${pad('server CPU s', 14)}ratio`,
)
for (const r of results) {
  console.log(
    pad(r.variant, 26) +
      pad(r.rows.toLocaleString('en-US'), 12) +
      pad(r.load.toFixed(1), 9) +
      pad(r.indexes.toFixed(1), 9) +
      pad(r.total.toFixed(1), 9) +
      pad(Math.round(r.rows / r.total).toLocaleString('en-US'), 10) +
      pad(r.cpu.toFixed(1), 12) +
      pad(r.serverCpu === null ? '-' : r.serverCpu.toFixed(1), 14) +
      `${(r.total / fastest).toFixed(2)}x`,
  )
}
console.log(`load average at end ${loadavg()[0]?.toFixed(1)}`)
