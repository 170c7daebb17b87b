import { closeSync, existsSync, openSync } from 'node:fs'
import knexFactory, { type Knex } from 'knex'
import type { DatabaseConfig } from '../config.js'

/** How long a request waits for a pooled connection before answering 503. */
const ACQUIRE_TIMEOUT_MS = 5000

interface SqliteConnection {
  pragma(sql: string): unknown
}

/**
 * The knex config for `db`: UTC everywhere (MySQL `timezone: 'Z'`), short connect/acquire
 * timeouts so a dead database gives a quick 503, and SQLite in WAL mode with foreign keys on.
 */
export function knexConfig(db: DatabaseConfig, poolMax = 20): Knex.Config {
  if (db.client === 'sqlite') {
    return {
      client: 'better-sqlite3',
      connection: { filename: db.filename },
      useNullAsDefault: true,
      pool: {
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL')
          conn.pragma('foreign_keys = ON')
          conn.pragma('busy_timeout = 5000')
          done(null, conn)
        },
      },
    }
  }
  if (db.client === 'mysql') {
    return {
      client: 'mysql2',
      connection: { uri: db.url.replace(/^mariadb:/, 'mysql:'), timezone: 'Z', connectTimeout: 2000 },
      pool: { min: 0, max: poolMax },
      acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
    }
  }
  const url = new URL(db.url)
  url.searchParams.delete('schema')
  return {
    client: 'pg',
    connection: { connectionString: url.href, connectionTimeoutMillis: 2000 },
    ...(db.schema ? { searchPath: [db.schema] } : {}),
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
  }
}

/**
 * Opens a knex instance on `db`. A new SQLite file is created readable by its owner only (0600;
 * SQLite gives its -wal and -shm files the same mode): it holds every company's data and key hashes.
 */
export function connectDatabase(db: DatabaseConfig, poolMax?: number): Knex {
  if (db.client === 'sqlite' && db.filename !== ':memory:' && !existsSync(db.filename))
    closeSync(openSync(db.filename, 'a', 0o600))
  return knexFactory(knexConfig(db, poolMax))
}
