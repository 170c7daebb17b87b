import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { Knex } from 'knex'
import { UnauthorizedError } from '../errors.js'
import type { Cache } from '../runtime-types.js'
import { ExpiringSet } from './expiring-set.js'

/** A freshly minted API key: `key` is shown once; only `hash` is stored. */
export interface MintedKey {
  readonly key: string
  readonly hash: string
  readonly prefix: string
}

/** Hashes an API key for storage and lookup (sha256, hex). Keys are 32 random bytes, so no salt is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** Mints a key `sk_<43 url-safe chars>`; 256 bits of entropy. */
export function mintApiKey(): MintedKey {
  const key = `sk_${randomBytes(32).toString('base64url')}`
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 10) }
}

/** Creates a key for `companyId` and stores its hash; returns the clear key (shown once). */
export async function createApiKey(db: Knex, companyId: number, name: string): Promise<string> {
  const minted = mintApiKey()
  await db('api_keys').insert({
    company_id: companyId,
    key_hash: minted.hash,
    key_prefix: minted.prefix,
    name,
    created_at: new Date(),
  })
  return minted.key
}

/** Longest bearer value looked up: minted keys are 46 characters, the admin token a few dozen. */
const MAX_BEARER = 512

function bearer(req: Request): string | undefined {
  const h = req.headers.authorization
  if (!h || h.length > MAX_BEARER + 7) return undefined
  const m = /^Bearer\s+(\S+)$/i.exec(h)
  return m?.[1]
}

/** Unknown keys remembered per process: bounded, so a flood of random keys costs fixed memory. */
const UNKNOWN_KEYS = { maxSize: 10_000, ttlMs: 60_000 }

interface KeyRecord {
  readonly companyId: number
  readonly apiKeyId: number
}

function isKeyRecord(v: unknown): v is KeyRecord {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as KeyRecord).companyId === 'number' &&
    typeof (v as KeyRecord).apiKeyId === 'number'
  )
}

/**
 * Middleware: resolves `Authorization: Bearer <key>` to its company (`req.auth`), or `401`.
 * The hash → company mapping of a valid key is cached for a minute (a revoked key stops working
 * within that time), so a cached read needs no database round trip at all. Unknown keys never
 * reach the shared cache: each process remembers up to 10,000 of them for a minute, so random
 * keys neither add Redis keys nor evict tenants' responses, and a repeated one costs no query.
 */
export function apiKeyAuth(db: Knex, cache: Cache): RequestHandler {
  const unknown = new ExpiringSet(UNKNOWN_KEYS.maxSize, UNKNOWN_KEYS.ttlMs)
  const load = (hash: string): Promise<unknown> =>
    cache.getOrSet(
      `auth:${hash}`,
      async () => {
        const row = await db('api_keys as k')
          .join('companies as c', 'c.id', 'k.company_id')
          .where('k.key_hash', hash)
          .whereNull('k.revoked_at')
          .where('c.is_active', true)
          .first<{ id: number; company_id: number } | undefined>('k.id', 'k.company_id')
        return row ? { companyId: Number(row.company_id), apiKeyId: Number(row.id) } : null
      },
      // Untagged: nothing invalidates a key's entry (revocation waits out the minute), and under
      // strict consistency a tagged L1 entry costs a Redis round trip per request to check its
      // tags. No lease either: a lease is a Redis key, and unknown keys must not write any.
      { ttl: '1m', lock: false, cacheIf: (v) => v !== null },
    )
  const accept = (req: Request, hash: string, found: unknown, next: NextFunction): void => {
    if (!isKeyRecord(found)) {
      unknown.add(hash)
      throw new UnauthorizedError()
    }
    req.auth = { companyId: found.companyId, apiKeyId: found.apiKeyId }
    next()
  }
  return (req: Request, _res: Response, next: NextFunction) => {
    const key = bearer(req)
    if (!key) throw new UnauthorizedError()
    const hash = hashApiKey(key)
    if (unknown.has(hash)) throw new UnauthorizedError()
    // An in-process hit (memory store, L1 without strict consistency) answers without a promise.
    const near = cache.peekEntry<unknown>(`auth:${hash}`)
    if (near) return accept(req, hash, near.value, next)
    return load(hash).then((found) => accept(req, hash, found, next))
  }
}

/** Middleware for `/api/admin/*`: `Authorization: Bearer $ADMIN_TOKEN` (constant-time compare), else `401`. */
export function adminAuth(adminToken: string): RequestHandler {
  const expected = createHash('sha256').update(adminToken).digest()
  return (req, _res, next) => {
    const given = bearer(req)
    const ok = given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected)
    if (!ok) throw new UnauthorizedError('the admin token is required: Authorization: Bearer $ADMIN_TOKEN')
    next()
  }
}
