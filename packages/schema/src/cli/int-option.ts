import { SchemaError } from '../errors.js'

/**
 * A numeric CLI option (`--company 3`) as a whole number of at least `min`; `undefined` when absent.
 * Anything else (`abc`, `1.5`, `-2`, `''`) throws `SchemaError` `invalid_option` naming the option,
 * which the CLI reports with exit code 2, so a typo never runs as `NaN`.
 */
export function intOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min) {
    throw new SchemaError(
      'invalid_option',
      `--${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}
