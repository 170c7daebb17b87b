import type { Knex } from 'knex'

const known = new WeakMap<object, Map<string, Promise<ReadonlySet<string>>>>()

/**
 * The columns of `table` that may hold NULL, read from the schema (`columnInfo`) once per knex
 * instance (transactions share it) and remembered for the process. When the schema cannot be read the
 * set is empty (not remembered): only the `nullable` option counts then.
 */
export function nullableColumns(client: Knex.Client, table: string): Promise<ReadonlySet<string>> {
  const owner = client.config as object
  let tables = known.get(owner)
  if (!tables) {
    tables = new Map()
    known.set(owner, tables)
  }
  const cached = tables.get(table)
  if (cached) return cached
  const found = client
    .queryBuilder()
    .table(table)
    .columnInfo()
    .then(
      (info) =>
        new Set(
          Object.entries(info)
            .filter(([, column]) => column.nullable)
            .map(([name]) => name),
        ) as ReadonlySet<string>,
      () => {
        tables.delete(table)
        return new Set<string>() as ReadonlySet<string>
      },
    )
  tables.set(table, found)
  return found
}
