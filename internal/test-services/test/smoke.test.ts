import { describe, expect, it } from 'vitest'
import { useDatabase, useRedis } from '../src/index.js'

describe('Redis', () => {
  const redis = useRedis()

  it('answers PING and round-trips a value under the file’s own prefix', async () => {
    expect(await redis.client.ping()).toBe('PONG')
    const key = `${redis.prefix}smoke`
    await redis.client.set(key, 'héllo', 'PX', 60_000)
    expect(await redis.client.get(key)).toBe('héllo')
    expect(redis.prefix).toMatch(/^hp:[0-9a-f]{6}:/)
  })
})

describe('MariaDB / MySQL through knex', () => {
  const db = useDatabase('mysql')

  it('answers select version() inside the file’s own database', async () => {
    const [rows] = await db.knex.raw('select version() as v, database() as d')
    expect(rows[0].v).toMatch(/^\d+\.\d+\.\d+/)
    expect(rows[0].d).toBe(db.name)
  })
})

describe('PostgreSQL through knex', () => {
  const db = useDatabase('postgres')

  it('answers select version() with the file’s own schema first on the search path', async () => {
    const { rows } = await db.knex.raw('select version() as v, current_schema() as s')
    expect(rows[0].v).toMatch(/^PostgreSQL \d+/)
    expect(rows[0].s).toBe(db.name)
  })
})

describe('SQLite through knex + better-sqlite3', () => {
  const db = useDatabase('sqlite')

  it('answers sqlite_version() and keeps a table', async () => {
    const rows = await db.knex.raw('select sqlite_version() as v')
    expect(rows[0].v).toMatch(/^3\.\d+/)
    await db.knex.schema.createTable('t', (t) => t.increments('id'))
    await db.knex('t').insert({})
    expect(await db.knex('t').count({ n: '*' })).toEqual([{ n: 1 }])
  })
})
