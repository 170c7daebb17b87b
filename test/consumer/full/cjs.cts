// The full user from CommonJS: the Redis store and paginate's keyset strategy on MySQL/MariaDB.
import assert = require('node:assert/strict')
import events = require('node:events')
import cacheKit = require('@hotpath/cache-kit')
import redisEntry = require('@hotpath/cache-kit/redis')
import paginateKit = require('@hotpath/paginate')
import ioredis = require('ioredis')
import knexFactory = require('knex')

async function main(): Promise<void> {
  const space = `hp_consumer_cjs_${process.pid}`
  const mysqlUrl = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306')
  mysqlUrl.pathname = '/'
  const admin = knexFactory({ client: 'mysql2', connection: mysqlUrl.href, pool: { min: 0, max: 1 } })
  await admin.raw('create database ??', [space])
  const dbUrl = new URL(mysqlUrl.href)
  dbUrl.pathname = `/${space}`
  const knex = knexFactory({ client: 'mysql2', connection: dbUrl.href, pool: { min: 0, max: 2 } })
  const redis = new ioredis.Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  })
  try {
    await knex.schema.createTable('items', (t) => {
      t.increments('id')
      t.string('name').notNullable()
    })
    await knex('items').insert(Array.from({ length: 7 }, (_, i) => ({ name: `item ${i + 1}` })))
    const params = paginateKit.parsePageParams(
      { page_size: '3' },
      { ordering: { allowed: ['id'], default: ['id'] } },
    )
    const secret = 'consumer-test-secret-of-at-least-32-bytes'
    const first = await paginateKit.paginate(knex('items'), {
      strategy: 'fast',
      params,
      cursorSecret: secret,
    })
    assert.deepEqual(
      first.results.map((r) => r.id),
      [1, 2, 3],
    )
    assert.equal(typeof first.toJSON().next_cursor, 'string')

    if (redis.status !== 'ready') await events.once(redis, 'ready')
    const cache = new cacheKit.CacheManager({
      store: redisEntry.redisStore({ client: redis }),
      prefix: space,
    })
    let loads = 0
    const load = async () => {
      loads++
      return first.results
    }
    await cache.getOrSet('items:1', load, { tags: ['items'] })
    assert.deepEqual(await cache.getOrSet('items:1', load, { tags: ['items'] }), first.results)
    assert.equal(loads, 1)
    await cache.invalidateTags(['items'])
    assert.equal(await cache.get('items:1'), undefined)
    await cache.close()
    console.log('full app, CJS: ok')
  } finally {
    const keys = await redis.keys(`${space}*`).catch(() => [])
    if (keys.length > 0) await redis.unlink(...keys)
    redis.disconnect()
    await knex.destroy()
    await admin.raw('drop database if exists ??', [space])
    await admin.destroy()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
