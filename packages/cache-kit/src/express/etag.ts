import { createHash } from 'node:crypto'

/** Strong ETag of a body: `"<base64url sha-1>"`, computed once when the response is stored. */
export function strongEtag(body: Uint8Array): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`
}

/**
 * The ETag of the gzip representation derived from the identity one: `"x"` → `"x-gzip"` (as
 * Apache's mod_deflate does). Different bytes, so a different strong validator.
 */
export function gzipEtagOf(identityEtag: string): string {
  return `${identityEtag.slice(0, -1)}-gzip"`
}

/** A strong ETag as given by a handler (quoted, no `W/`); weak ones are replaced by ours. */
export function isStrongEtag(value: unknown): value is string {
  return typeof value === 'string' && value.length > 1 && value.charCodeAt(0) === 34 && value.endsWith('"')
}

/**
 * RFC 9110 §13.1.2: `If-None-Match` uses the weak comparison, so `W/"x"` matches `"x"`; `*`
 * matches any stored representation.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined || header === '') return false
  if (header === etag) return true
  if (header.trim() === '*') return true
  for (const raw of header.split(',')) {
    let tag = raw.trim()
    if (tag.startsWith('W/')) tag = tag.slice(2)
    if (tag === etag) return true
  }
  return false
}
