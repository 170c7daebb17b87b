import { createRequire } from 'node:module'
import knexFactory, { type Knex } from 'knex'
import { SchemaError } from '../errors.js'

/**
 * A knex config from a `DATABASE_URL`-style URL: `mysql://` / `mariadb://` (mysql2, UTC session),
 * `postgres://` / `postgresql://` (pg; `?schema=` sets the search path), `sqlite:<file>` (better-sqlite3).
 */
export function configFromUrl(url: string): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:'
    return { client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true }
  }
  const parsed = new URL(url)
  const protocol = parsed.protocol.replace(/:$/, '')
  if (protocol === 'mysql' || protocol === 'mariadb') {
    parsed.protocol = 'mysql:'
    return {
      client: 'mysql2',
      connection: {
        host: parsed.hostname,
        port: Number(parsed.port || 3306),
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        database: parsed.pathname.slice(1),
        timezone: 'Z',
      },
      pool: { min: 0, max: 8 },
    }
  }
  if (protocol === 'postgres' || protocol === 'postgresql') {
    const schema = parsed.searchParams.get('schema')
    parsed.searchParams.delete('schema')
    return {
      client: 'pg',
      connection: { connectionString: parsed.href },
      pool: { min: 0, max: 8 },
      ...(schema ? { searchPath: [schema] } : {}),
    }
  }
  throw new SchemaError('unsupported_dialect', `unsupported database URL scheme: ${protocol}`)
}

const DATABASES: Record<string, string> = {
  mysql2: 'MySQL/MariaDB',
  pg: 'PostgreSQL',
  'better-sqlite3': 'SQLite',
}

/**
 * A knex instance on `url`; the caller destroys it. Throws `SchemaError` code `driver_missing`
 * naming the package to install when the URL's driver (an optional peer) is not installed.
 */
export function connect(url: string): Knex {
  const config = configFromUrl(url)
  const driver = String(config.client)
  try {
    createRequire(import.meta.url).resolve(driver)
  } catch {
    throw new SchemaError(
      'driver_missing',
      `a ${DATABASES[driver] ?? driver} URL needs the ${driver} driver, which is not installed: npm install ${driver}`,
    )
  }
  return knexFactory(config)
}
