import type { IndexInfo } from './dialect.js'

/** One catalog row per indexed column, as every dialect's catalog query returns them. */
export interface IndexColumnRow {
  readonly name: string
  readonly column: string
  readonly unique: boolean
  readonly primary: boolean
  readonly valid: boolean
}

/** Folds per-column catalog rows (already in key order) into one {@link IndexInfo} per index. */
export function groupIndexRows(table: string, rows: readonly IndexColumnRow[]): IndexInfo[] {
  const byName = new Map<string, { info: Omit<IndexInfo, 'columns'>; columns: string[] }>()
  for (const row of rows) {
    let entry = byName.get(row.name)
    if (!entry) {
      entry = {
        info: { name: row.name, table, unique: row.unique, primary: row.primary, valid: row.valid },
        columns: [],
      }
      byName.set(row.name, entry)
    }
    entry.columns.push(row.column)
  }
  return [...byName.values()].map((e) => ({ ...e.info, columns: e.columns }))
}
