/**
 * Canonical form of a parsed query (what the handler reads as `req.query`), used as part of the
 * cache key. It is an injective function of the parsed value: two queries the handler cannot tell
 * apart share a key (parameter order, `%70age` vs `page`, `+` vs `%20`), two it can tell apart
 * never do (a repeated parameter keeps its values in order; `a=1` and `a=1&a=1` differ).
 * Names and values are percent-encoded, so the structural characters `= & [ ] { } @` never
 * come from user input.
 */
export interface NormalisedQuery {
  /** Canonical text, e.g. `category=3&page=2`. Empty when nothing is keyed. */
  readonly key: string
  /** Top-level parameters outside the allow-list, in request order; `undefined` when none. */
  readonly dropped: string[] | undefined
}

const EMPTY: NormalisedQuery = { key: '', dropped: undefined }

/**
 * Normalises a parsed query object. `allow` is the allow-list of top-level names (`undefined`: every
 * parameter is keyed). Parameters outside it are reported in `dropped` and left out of the key.
 */
export function normaliseQuery(query: unknown, allow: ReadonlySet<string> | undefined): NormalisedQuery {
  if (query === null || typeof query !== 'object') return EMPTY
  const record = query as Record<string, unknown>
  let kept: string[]
  let dropped: string[] | undefined
  if (allow) {
    // Walk the (short) allow-list rather than sorting every name the client sent.
    kept = []
    for (const name of allow) if (Object.hasOwn(record, name)) kept.push(name)
    let total = 0
    for (const name in record) if (Object.hasOwn(record, name)) total++
    if (total > kept.length) dropped = Object.keys(record).filter((n) => !allow.has(n))
  } else {
    kept = Object.keys(record)
  }
  if (kept.length === 0) return dropped ? { key: '', dropped } : EMPTY
  if (kept.length > 1) kept.sort()
  const parts: string[] = []
  for (const name of kept) appendValue(parts, encodeURIComponent(name), record[name])
  return { key: parts.length === 1 ? (parts[0] as string) : parts.join('&'), dropped }
}

/** The query without the dropped names: what the handler sees with `unknownQuery: 'ignore'`. */
export function withoutParams(
  query: Record<string, unknown>,
  dropped: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(query)) if (!dropped.includes(name)) out[name] = query[name]
  return out
}

function appendValue(parts: string[], prefix: string, value: unknown): void {
  if (typeof value === 'string') {
    parts.push(`${prefix}=${encodeURIComponent(value)}`)
  } else if (Array.isArray(value)) {
    if (value.length === 0) parts.push(`${prefix}[]`)
    for (let i = 0; i < value.length; i++) appendValue(parts, `${prefix}[${i}]`, value[i])
  } else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj).sort()
    if (keys.length === 0) parts.push(`${prefix}{}`)
    for (const k of keys) appendValue(parts, `${prefix}{${encodeURIComponent(k)}}`, obj[k])
  } else if (value !== undefined) {
    // Numbers, booleans and null only come from a custom query parser; `@` keeps them apart from strings.
    parts.push(`${prefix}@=${encodeURIComponent(String(value))}`)
  }
}
