import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { afterAll, beforeAll } from 'vitest'
import { serviceUrl, spaceName } from './service-url.js'

/** The SQL databases every pagination and schema property runs on. */
export type Dialect = 'sqlite' | 'mysql' | 'postgres'

/** All three, for `describe.each(DIALECTS)`. */
export const DIALECTS: readonly Dialect[] = ['sqlite', 'mysql', 'postgres']

/** One test file's own database (MySQL), schema (PostgreSQL) or file (SQLite), dropped after the file. */
export interface DatabaseSpace {
  readonly dialect: Dialect
  /** A knex instance on the space (destroyed after the file). */
  readonly knex: Knex
  /** The database, schema or file name. */
  readonly name: string
  /** A fresh knex config for the same space (for a second pool, or an app under test). */
  config(): Knex.Config
  /** A URL for the same space, as `DATABASE_URL` would carry it (PostgreSQL: with `?schema=`). */
  url(): string
}

/** Options passed through to the knex config (pool size, connection options). */
export interface DatabaseSpaceOptions {
  pool?: Knex.PoolConfig
  connection?: Record<string, unknown>
}

/**
 * Registers hooks that create an isolated space on the real `dialect` server for this test file and
 * drop it afterwards. Throws `ServiceUnavailableError` (naming the service) when MySQL/PostgreSQL is missing.
 */
export function useDatabase(dialect: Dialect, options: DatabaseSpaceOptions = {}): DatabaseSpace {
  let name: string | undefined
  let knex: Knex | undefined
  let makeConfig: (() => Knex.Config) | undefined
  let makeUrl: (() => string) | undefined
  let drop: (() => Promise<void>) | undefined
  const space: DatabaseSpace = {
    dialect,
    get knex() {
      return must(knex)
    },
    get name() {
      return must(name)
    },
    config: () => must(makeConfig)(),
    url: () => must(makeUrl)(),
  }
  beforeAll(async () => {
    const n = spaceName('sql')
    name = n
    if (dialect === 'sqlite') {
      const file = join(tmpdir(), `${n}.sqlite`)
      makeConfig = () => ({
        client: 'better-sqlite3',
        connection: { filename: file, ...options.connection },
        useNullAsDefault: true,
        ...(options.pool ? { pool: options.pool } : {}),
      })
      makeUrl = () => `sqlite:${file}`
      drop = async () => {
        for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true })
      }
    } else if (dialect === 'mysql') {
      const base = new URL(serviceUrl('mysql'))
      await withAdmin('mysql2', base.href, (db) => db.raw('create database ?? character set utf8mb4', [n]))
      const target = new URL(base.href)
      target.pathname = `/${n}`
      makeConfig = () => ({
        client: 'mysql2',
        connection: {
          host: target.hostname,
          port: Number(target.port || 3306),
          user: decodeURIComponent(target.username),
          password: decodeURIComponent(target.password),
          database: n,
          ...options.connection,
        },
        pool: options.pool ?? { min: 0, max: 10 },
      })
      makeUrl = () => target.href
      drop = () => withAdmin('mysql2', base.href, (db) => db.raw('drop database if exists ??', [n]))
    } else {
      const base = serviceUrl('postgres')
      await withAdmin('pg', base, (db) => db.raw('create schema ??', [n]))
      makeConfig = () => ({
        client: 'pg',
        connection: { connectionString: base, ...options.connection },
        searchPath: [n],
        pool: options.pool ?? { min: 0, max: 10 },
      })
      makeUrl = () => {
        const u = new URL(base)
        u.searchParams.set('schema', n)
        return u.href
      }
      drop = () => withAdmin('pg', base, (db) => db.raw('drop schema if exists ?? cascade', [n]))
    }
    knex = knexFactory(makeConfig())
  })
  afterAll(async () => {
    await knex?.destroy()
    await drop?.()
  })
  return space
}

async function withAdmin(
  client: 'mysql2' | 'pg',
  url: string,
  fn: (db: Knex) => Promise<unknown>,
): Promise<void> {
  const db = knexFactory({ client, connection: url, pool: { min: 0, max: 1 } })
  try {
    await fn(db)
  } finally {
    await db.destroy()
  }
}

function must<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('useDatabase(): the space exists only inside tests (after beforeAll)')
  return v
}
