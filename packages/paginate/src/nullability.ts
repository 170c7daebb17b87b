import type { Knex } from 'knex'
import { rememberPerKnex } from './schema-memo.js'

/**
 * The columns of `table` that may hold NULL, read from the schema (`columnInfo`) once per knex
 * instance and remembered for the process. When the schema cannot be read the set is empty: only the
 * `nullable` option counts then.
 */
export function nullableColumns(client: Knex.Client, table: string): Promise<ReadonlySet<string>> {
  return rememberPerKnex<ReadonlySet<string>>(
    client,
    `nullable:${table}`,
    async () => {
      const info = await client.queryBuilder().table(table).columnInfo()
      return new Set(
        Object.entries(info)
          .filter(([, column]) => column.nullable)
          .map(([name]) => name),
      )
    },
    new Set(),
  )
}
