import { CacheError } from './errors.js'

/** A duration: milliseconds as a number, or a string such as `'250ms'`, `'180s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/

/**
 * Converts a duration to milliseconds: a non-negative finite number is taken as ms, a string must be
 * `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`. Throws `CacheError` code `invalid_option` otherwise.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input
  } else {
    const m = PATTERN.exec(input)
    if (m) return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number))
  }
  throw new CacheError(
    'invalid_option',
    `not a duration: ${JSON.stringify(input)} (use '250ms', '5m', '1h' or ms)`,
  )
}
