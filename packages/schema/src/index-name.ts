import { createHash } from 'node:crypto'

// PostgreSQL truncates identifiers at 63 bytes and MySQL refuses names over 64: stay under both.
const MAX_NAME = 60

/**
 * The deterministic name of an index: `<table>_<col>_<col>_index` (`_unique` for unique ones),
 * the convention knex itself uses. Names longer than 60 characters are cut and suffixed with
 * 8 hex digits of a SHA-1 of the full name, so two long names never collide.
 */
export function indexName(table: string, columns: readonly string[], unique = false): string {
  const full = `${table}_${columns.join('_')}_${unique ? 'unique' : 'index'}`
  if (full.length <= MAX_NAME) return full
  const hash = createHash('sha1').update(full).digest('hex').slice(0, 8)
  return `${full.slice(0, MAX_NAME - 9).replace(/_+$/, '')}_${hash}`
}
