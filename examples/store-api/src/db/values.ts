/** Normalises what the three drivers return for a timestamp (Date, epoch ms, text) to ISO 8601 UTC. */
export function toIso(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'number') return new Date(v).toISOString()
  const s = String(v)
  if (/^\d+$/.test(s)) return new Date(Number(s)).toISOString()
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`)
  return Number.isNaN(d.getTime()) ? s : d.toISOString()
}

/** {@link toIso} for a NOT NULL column: a NULL there is a broken invariant, not data to send. */
export function toTimestamp(v: unknown): string {
  const iso = toIso(v)
  if (iso === null) throw new Error('a NOT NULL timestamp column read NULL')
  return iso
}

/** A nullable text column (a LEFT JOIN's column included). */
export function toTextOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v)
}

/** Money as the contract wants it: a decimal string with two places (`"12.50"`). */
export function toMoney(v: unknown): string {
  if (typeof v === 'number') return v.toFixed(2)
  const s = String(v ?? '0')
  const n = Number(s)
  return Number.isFinite(n) && !/^-?\d+\.\d\d$/.test(s) ? n.toFixed(2) : s
}

/** Booleans come back as `1`/`0` from MySQL and SQLite. */
export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1'
}

/** Integer columns (ids, quantities) come back as strings from some drivers (pg `bigint`, counts). */
export function toInt(v: unknown): number {
  return typeof v === 'number' ? v : Number(v)
}

/** A nullable foreign key. */
export function toIntOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : toInt(v)
}
