#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.js'
import { connectDatabase } from './db/connect.js'
import { migrate } from './db/migrate.js'
import { seed } from './db/seed.js'
import { serve } from './server.js'

const USAGE = `usage: store-api [command] [options]

commands:
  serve                      run the API (default)
  migrate                    bring the database to the latest schema
  seed --companies N --products N [--seed S]
                             add demo companies (N products each); prints their API keys
  perf --users 50 --requests 100 [--url URL --key KEY] [--duration S] [--write-ratio R[,R…]]
       [--cache both|on|off] [--rounds N] [--warmup N] [--out DIR]
                             load test with a realistic mix, one phase per write ratio (default 0.05)
                             and cache mode; without --url it starts the server itself; --rounds N
                             repeats the sweep N times, alternating which mode goes first; --warmup N
                             runs N requests per user before each phase, not counted (steady state)

environment: DATABASE_URL (mysql://, postgres://, sqlite:), REDIS_URL or REDIS_CLUSTER_NODES (host:port,…),
             ADMIN_TOKEN, PORT, CURSOR_SECRET, LOG_LEVEL, STORE_API_CACHE=on|off, STORE_API_SEED=auto|off,
             HOTPATH_HOME (default ./.hotpath)`

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new ConfigError([`--${name}: must be a whole number ≥ 1 (got ${raw})`])
  return Number(raw)
}

/** `--write-ratio 0,0.05,0.2`: the sweep's ratios, each from 0 to 1 (default 0.05). */
function writeRatios(raw: string | undefined): number[] {
  if (raw === undefined) return [0.05]
  const ratios = raw.split(',').map((r) => (r.trim() === '' ? Number.NaN : Number(r)))
  if (!ratios.every((r) => r >= 0 && r <= 1))
    throw new ConfigError([`--write-ratio: a number between 0 and 1, or a comma list of them (got ${raw})`])
  return ratios
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve'
  const rest = command === argv[0] ? argv.slice(1) : argv
  const { values } = parseArgs({
    args: rest,
    options: {
      companies: { type: 'string' },
      products: { type: 'string' },
      seed: { type: 'string' },
      users: { type: 'string' },
      requests: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      duration: { type: 'string' },
      'write-ratio': { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      cache: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  switch (command) {
    case 'serve':
      await serve(loadConfig())
      return
    case 'migrate': {
      const db = connectDatabase(loadConfig().database)
      try {
        const run = await migrate(db)
        console.log(run.length ? `migrated: ${run.join(', ')}` : 'already up to date')
      } finally {
        await db.destroy()
      }
      return
    }
    case 'seed': {
      const db = connectDatabase(loadConfig().database)
      try {
        await migrate(db)
        const result = await seed(db, {
          companies: positiveInt('companies', values.companies, 3),
          productsPerCompany: positiveInt('products', values.products, 2000),
          seed: positiveInt('seed', values.seed, Date.now() % 1_000_000),
          onProgress: (f) => process.stderr.write(`\rseeding ${(100 * f).toFixed(0).padStart(3)}%`),
        })
        process.stderr.write('\n')
        console.log(`rows: ${JSON.stringify(result.rows)}`)
        for (const c of result.companies) console.log(`company ${c.id} (${c.name}): API key ${c.apiKey}`)
      } finally {
        await db.destroy()
      }
      return
    }
    case 'perf': {
      const ratios = writeRatios(values['write-ratio'])
      const cache = values.cache ?? 'both'
      if (cache !== 'both' && cache !== 'on' && cache !== 'off')
        throw new ConfigError([`--cache: both, on or off (got ${cache})`])
      // Loaded here only: the load tester (autocannon) has no business in a serving process.
      const { perfCommand } = await import('./perf/perf-command.js')
      await perfCommand({
        users: positiveInt('users', values.users, 50),
        requests: positiveInt('requests', values.requests, 100),
        ...(values.url ? { url: values.url.replace(/\/$/, '') } : {}),
        ...(values.duration ? { duration: positiveInt('duration', values.duration, 10) } : {}),
        ...(values.key ? { key: values.key } : {}),
        writeRatios: ratios,
        rounds: positiveInt('rounds', values.rounds, 1),
        ...(values.warmup ? { warmup: positiveInt('warmup', values.warmup, 100) } : {}),
        out: values.out ?? 'reports',
        cache,
      })
      return
    }
    default:
      throw new ConfigError([`unknown command ${command}\n\n${USAGE}`])
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`store-api: ${error.message}`)
  else console.error('store-api:', error)
  // Exit even when a pool or a Redis connection is still open.
  process.exit(1)
})
