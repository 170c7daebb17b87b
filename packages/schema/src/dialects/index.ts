import type { Knex } from 'knex'
import { SchemaError } from '../errors.js'
import type { SqlDialect } from './dialect.js'
import { mysql } from './mysql.js'
import { postgres } from './postgres.js'
import { sqlite } from './sqlite.js'

/** The dialect behind a knex instance (or transaction); throws `unsupported_dialect` for others. */
export function dialectOf(knex: Knex): SqlDialect {
  const name = (knex.client as { dialect?: string }).dialect
  if (name === 'sqlite3') return sqlite
  if (name === 'mysql') return mysql
  if (name === 'postgresql') return postgres
  throw new SchemaError(
    'unsupported_dialect',
    `@hotpath/schema supports SQLite, MySQL/MariaDB and PostgreSQL, not ${name}`,
  )
}
