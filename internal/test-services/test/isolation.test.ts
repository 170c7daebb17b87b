import { describe, expect, inject, it } from 'vitest'
import {
  ENV_VARS,
  MissingServiceError,
  resolveServices,
  serviceUrl,
  useDatabase,
  useRedis,
} from '../src/index.js'

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

  const withoutUrls = (ci: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: ci }
    for (const v of Object.values(ENV_VARS)) delete env[v]
    return env
  }
  const closed = {
    redis: 'redis://127.0.0.1:1',
    mysql: 'mysql://root@127.0.0.1:1',
    postgres: 'postgres://postgres@127.0.0.1:1/postgres',
  }

  it('with no *_URL set, uses the services answering on the local URLs', async () => {
    const here = inject('hotpathServices')
    const urls = { redis: serviceUrl('redis'), mysql: serviceUrl('mysql'), postgres: serviceUrl('postgres') }
    const { info, stop } = await resolveServices(withoutUrls('true'), { localUrls: urls, containers: false })
    await stop()
    expect(here.redis.ok && here.mysql.ok && here.postgres.ok).toBe(true)
    expect(info.redis).toEqual({ ok: true, url: urls.redis, source: 'local' })
    expect(info.mysql).toEqual({ ok: true, url: urls.mysql, source: 'local' })
    expect(info.postgres).toEqual({ ok: true, url: urls.postgres, source: 'local' })
  })

  it('under CI=true, nothing set, nothing local and no containers fails naming every service and every way to provide it', async () => {
    const err = await resolveServices(withoutUrls('true'), { localUrls: closed, containers: false }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(MissingServiceError)
    const message = (err as Error).message
    expect(message).toContain('3 service(s) missing')
    expect(message).toContain(
      '- redis: REDIS_URL is not set, nothing usable answers at redis://127.0.0.1:1 (',
    )
    expect(message).toContain(
      '- mysql: MYSQL_URL is not set, nothing usable answers at mysql://root@127.0.0.1:1 (',
    )
    expect(message).toContain(
      '- postgres: POSTGRES_URL is not set, nothing usable answers at postgres://postgres@127.0.0.1:1/postgres (',
    )
    expect(message).toContain('and no Docker engine answers.')
    expect(message).toContain('run one on its default local port (redis://127.0.0.1:6379)')
    expect(message).not.toContain('../shared')
  })

  it('a *_URL that does not answer is reported, never replaced by the local service', async () => {
    const urls = { redis: serviceUrl('redis'), mysql: serviceUrl('mysql'), postgres: serviceUrl('postgres') }
    const env = { ...withoutUrls('false'), POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/test' }
    const { info, stop } = await resolveServices(env, { localUrls: urls, containers: false })
    await stop()
    expect(info.postgres.ok).toBe(false)
    expect(info.redis).toEqual({ ok: true, url: urls.redis, source: 'local' })
  })
})
