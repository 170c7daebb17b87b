import type { Knex } from 'knex'
import { PaginationError } from '../errors.js'
import type { SqlDialect } from './dialect.js'
import { mysql } from './mysql.js'
import { postgres } from './postgres.js'
import { sqlite } from './sqlite.js'

const BY_CLIENT: Record<string, SqlDialect> = {
  sqlite3: sqlite,
  'better-sqlite3': sqlite,
  mysql,
  mysql2: mysql,
  pg: postgres,
  postgres,
  postgresql: postgres,
  pgnative: postgres,
}

/** The dialect for a knex client, from `client.config.client`; others throw `unsupported_dialect` (500). */
export function pickDialect(client: Knex.Client): SqlDialect {
  const name = client.config.client
  const dialect = typeof name === 'string' ? BY_CLIENT[name] : BY_CLIENT[client.dialect]
  if (!dialect) {
    throw new PaginationError(
      'unsupported_dialect',
      `paginate supports sqlite, mysql and postgres, not ${String(name)}`,
      { status: 500 },
    )
  }
  return dialect
}
