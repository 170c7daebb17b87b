import { describe, expect, inject, it } from 'vitest'
import { MissingServiceError, resolveServices, useDatabase, useRedis } from '../src/index.js'

describe('isolation', () => {
  const a = useRedis()
  const b = useRedis()
  const mysqlA = useDatabase('mysql')
  const mysqlB = useDatabase('mysql')

  it('gives two spaces different Redis prefixes and different databases', async () => {
    expect(a.prefix).not.toBe(b.prefix)
    expect(mysqlA.name).not.toBe(mysqlB.name)
    await mysqlA.knex.schema.createTable('only_in_a', (t) => t.increments('id'))
    expect(await mysqlA.knex.schema.hasTable('only_in_a')).toBe(true)
    expect(await mysqlB.knex.schema.hasTable('only_in_a')).toBe(false)
  })
})

describe('missing services', () => {
  it('under CI=true, a Redis URL on a closed port fails with a message naming Redis and REDIS_URL', async () => {
    const env = { ...process.env, CI: 'true', REDIS_URL: 'redis://127.0.0.1:1' }
    const err = await resolveServices(env).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MissingServiceError)
    expect((err as Error).message).toContain('redis is not reachable at redis://127.0.0.1:1 (REDIS_URL)')
    expect((err as Error).message).toContain('testcontainers')
  })

  it('without CI, a missing service is reported with its reason, not thrown', async () => {
    const env = { ...process.env, CI: 'false', MYSQL_URL: 'mysql://root@127.0.0.1:1/test' }
    const { info, stop } = await resolveServices(env)
    await stop()
    expect(info.mysql.ok).toBe(false)
    expect(info.redis.ok).toBe(inject('hotpathServices').redis.ok)
  })
})
