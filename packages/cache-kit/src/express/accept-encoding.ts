/**
 * Whether a client takes `Content-Encoding: gzip` (RFC 9110 §12.5.3): `gzip`, `x-gzip` or `*`
 * with a non-zero quality. The common headers are answered without parsing.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false
  const value = Array.isArray(header) ? header.join(',') : header
  if (value === 'gzip, deflate, br' || value === 'gzip, deflate' || value === 'gzip') return true
  let star: boolean | undefined
  for (const part of value.toLowerCase().split(',')) {
    const semi = part.indexOf(';')
    const coding = (semi === -1 ? part : part.slice(0, semi)).trim()
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue
    const ok = semi === -1 || qualityOf(part.slice(semi + 1)) > 0
    if (coding === '*') star = ok
    else return ok
  }
  return star === true
}

function qualityOf(params: string): number {
  const m = /(?:^|;)\s*q\s*=\s*([0-9.]+)/.exec(params)
  if (!m) return 1
  const q = Number(m[1])
  return Number.isFinite(q) ? q : 0
}
