/** A sort value a cursor or a cached page boundary may carry: typed scalars only. */
export type SortValue = string | number | boolean | bigint | Date | null

type Tagged = ['s', string] | ['n', number] | ['b', boolean] | ['g', string] | ['d', number] | ['z']

/** Turns sort values into a JSON-safe tagged array; `undefined` for a value that is not a typed scalar. */
export function tagValues(values: readonly unknown[]): Tagged[] | undefined {
  const out: Tagged[] = []
  for (const v of values) {
    if (v === null) out.push(['z'])
    else if (typeof v === 'string') out.push(['s', v])
    else if (typeof v === 'number' && Number.isFinite(v)) out.push(['n', v])
    else if (typeof v === 'boolean') out.push(['b', v])
    else if (typeof v === 'bigint') out.push(['g', v.toString()])
    else if (v instanceof Date && Number.isFinite(v.getTime())) out.push(['d', v.getTime()])
    else return undefined
  }
  return out
}

/** Reads a tagged array back (from a cursor or the cache: untrusted); `undefined` when malformed. */
export function untagValues(input: unknown): SortValue[] | undefined {
  if (!Array.isArray(input)) return undefined
  const out: SortValue[] = []
  for (const item of input as unknown[]) {
    if (!Array.isArray(item)) return undefined
    const [tag, v] = item as [unknown, unknown]
    if (tag === 'z' && item.length === 1) out.push(null)
    else if (item.length !== 2) return undefined
    else if (tag === 's' && typeof v === 'string') out.push(v)
    else if (tag === 'n' && typeof v === 'number' && Number.isFinite(v)) out.push(v)
    else if (tag === 'b' && typeof v === 'boolean') out.push(v)
    else if (tag === 'g' && typeof v === 'string' && /^-?[0-9]{1,40}$/.test(v)) out.push(BigInt(v))
    else if (tag === 'd' && typeof v === 'number' && Number.isFinite(v)) out.push(new Date(v))
    else return undefined
  }
  return out
}
