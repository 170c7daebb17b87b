import { Redis } from 'ioredis'
import knexFactory from 'knex'
import { afterAll, describe, expect, it } from 'vitest'
import {
  accepts,
  type ControlledService,
  startPrivateMariaDb,
  startPrivateRedis,
} from '../src/faults/index.js'

const disposers: ControlledService[] = []
afterAll(async () => {
  await Promise.all(disposers.map((s) => s.dispose()))
})

describe('private redis-server', () => {
  it('is killed (port refused), started again, paused (no answer) and resumed', async () => {
    const redis = await startPrivateRedis()
    disposers.push(redis)
    const client = new Redis(redis.url, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
      commandTimeout: 300,
    })
    client.on('error', () => {})
    try {
      expect(await client.ping()).toBe('PONG')
      redis.pause()
      await expect(client.ping()).rejects.toThrow(/timed out/i)
      redis.resume()
      expect(await client.ping()).toBe('PONG')
      await redis.kill()
      expect(await accepts(redis.port)).toBe(false)
      await redis.start()
      expect(await accepts(redis.port)).toBe(true)
    } finally {
      client.disconnect()
    }
  })

  it('refuses writes past maxmemory under noeviction', async () => {
    const redis = await startPrivateRedis({ maxmemoryBytes: 2 * 1024 * 1024 })
    disposers.push(redis)
    const client = new Redis(redis.url)
    try {
      const big = 'x'.repeat(256 * 1024)
      const errors: string[] = []
      for (let i = 0; i < 40; i++) await client.set(`k${i}`, big).catch((e: Error) => errors.push(e.message))
      expect(errors.length).toBeGreaterThan(0)
      expect(errors[0]).toMatch(/OOM/)
    } finally {
      client.disconnect()
    }
  })
})

describe('private MariaDB', () => {
  it('keeps its data across kill -9 and restart', async () => {
    const db = await startPrivateMariaDb()
    disposers.push(db)
    const knex = knexFactory({ client: 'mysql2', connection: db.url, pool: { min: 0, max: 2 } })
    try {
      await knex.schema.createTable('t', (t) => t.increments('id'))
      await knex('t').insert({})
      await db.kill()
      await expect(knex.raw('select 1')).rejects.toThrow()
      await db.start()
      expect(await knex('t').count({ n: '*' })).toEqual([{ n: 1 }])
    } finally {
      await knex.destroy()
    }
  })
})
