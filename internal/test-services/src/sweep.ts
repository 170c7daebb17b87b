import { Redis } from 'ioredis'
import knexFactory from 'knex'
import type { ServicesInfo } from './provided.js'

/** Redis key prefix, MySQL database and PostgreSQL schema names of one run all start with this. */
export function runSpacePrefix(runId: string): { redis: string; sql: string } {
  return { redis: `hp:${runId}:`, sql: `hp_${runId}_` }
}

/** Drops whatever a crashed test file of this run left behind: keys, databases, schemas. */
export async function sweepRun(info: ServicesInfo): Promise<void> {
  const p = runSpacePrefix(info.runId)
  const jobs: Promise<unknown>[] = []
  if (info.redis.ok) jobs.push(deleteRedisPrefix(info.redis.url, p.redis))
  if (info.mysql.ok) {
    const url = info.mysql.url
    jobs.push(
      withKnex('mysql2', url, async (db) => {
        const [rows] = await db.raw(
          'select schema_name as name from information_schema.schemata where schema_name like ?',
          [`${p.sql}%`],
        )
        for (const r of rows as { name: string }[]) await db.raw('drop database if exists ??', [r.name])
      }),
    )
  }
  if (info.postgres.ok) {
    const url = info.postgres.url
    jobs.push(
      withKnex('pg', url, async (db) => {
        const { rows } = await db.raw('select nspname as name from pg_namespace where nspname like ?', [
          `${p.sql}%`,
        ])
        for (const r of rows as { name: string }[]) await db.raw('drop schema if exists ?? cascade', [r.name])
      }),
    )
  }
  await Promise.allSettled(jobs)
}

/** Deletes every key under `prefix` with SCAN (never KEYS), in batches. Returns how many were deleted. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  await client.connect()
  let deleted = 0
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      if (keys.length === 0) continue
      // One UNLINK per key: on a cluster node, a multi-key UNLINK across slots is refused (CROSSSLOT).
      const pipe = client.pipeline()
      for (const k of keys) pipe.unlink(k)
      for (const [err, n] of (await pipe.exec()) ?? []) if (!err) deleted += Number(n)
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
  return deleted
}

async function withKnex(client: 'mysql2' | 'pg', url: string, fn: (db: knexFactory.Knex) => Promise<void>) {
  const db = knexFactory({ client, connection: url, pool: { min: 0, max: 1 } })
  try {
    await fn(db)
  } finally {
    await db.destroy()
  }
}
