import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_RATE_LIMIT, DEFAULT_TIMEOUTS, loadConfig } from '../src/config.js'

describe('loadConfig', () => {
  it('with no environment: port 3000, SQLite under ./.hotpath, memory cache, generated admin token, auto seed', () => {
    const c = loadConfig({}, '/srv/app')
    expect(c.port).toBe(3000)
    expect(c.database).toEqual({
      client: 'sqlite',
      filename: join('/srv/app/.hotpath', 'store.sqlite'),
      embedded: true,
    })
    expect(c.redis).toBeUndefined()
    expect(c.adminTokenGenerated).toBe(true)
    expect(c.adminToken.length).toBeGreaterThanOrEqual(16)
    expect(c.autoSeed).toBe(true)
    expect(c.cacheEnabled).toBe(true)
  })

  it('reads real servers from DATABASE_URL and REDIS_URL', () => {
    const c = loadConfig(
      {
        DATABASE_URL: 'mysql://root@127.0.0.1:3306/store',
        REDIS_URL: 'redis://127.0.0.1:6379',
        ADMIN_TOKEN: 'a-very-long-admin-token',
        PORT: '8080',
        STORE_API_CACHE: 'off',
      },
      '/srv/app',
    )
    expect(c.database).toEqual({ client: 'mysql', url: 'mysql://root@127.0.0.1:3306/store' })
    expect(c.redis).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' })
    expect(c.adminToken).toBe('a-very-long-admin-token')
    expect(c.port).toBe(8080)
    expect(c.autoSeed).toBe(false)
    expect(c.cacheEnabled).toBe(false)
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db?schema=s1' }).database).toEqual({
      client: 'postgres',
      url: 'postgres://u@h/db?schema=s1',
      schema: 's1',
    })
    expect(loadConfig({ DATABASE_URL: 'sqlite:data/x.sqlite' }, '/srv').database).toEqual({
      client: 'sqlite',
      filename: '/srv/data/x.sqlite',
      embedded: false,
    })
  })

  it('names every bad value at once', () => {
    let error: unknown
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'oracle://x', REDIS_URL: 'http://r', ADMIN_TOKEN: 'short' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const issues = (error as ConfigError).issues
    expect(issues).toHaveLength(4)
    expect(issues.join('\n')).toMatch(/^PORT: .*"eighty"/m)
    expect(issues.join('\n')).toMatch(/^DATABASE_URL: must start with mysql:\/\//m)
    expect(issues.join('\n')).toMatch(/^REDIS_URL: must start with redis:\/\//m)
    expect(issues.join('\n')).toMatch(/^ADMIN_TOKEN: must be at least 16 characters/m)
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/)
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@host' })).toThrow(/database name/)
  })

  it('reads a Redis Cluster from REDIS_CLUSTER_NODES, and refuses bad nodes or both variables', () => {
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis://cache-2.local:7001,[::1]:7002' }).redis,
    ).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'cache-2.local', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    })
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(
      /^invalid configuration:\n {2}- REDIS_CLUSTER_NODES: must be a comma-separated list of host:port .*"10.0.0.1"/,
    )
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:99999' })).toThrow(
      /REDIS_CLUSTER_NODES: port out of range in "b:99999"/,
    )
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://a:6379' })).toThrow(
      /REDIS_URL and REDIS_CLUSTER_NODES: set one of them, not both/,
    )
  })

  it('refuses an ADMIN_TOKEN with whitespace and never prints a rejected secret', () => {
    const secret = 'correct horse battery staple'
    let error: unknown
    try {
      loadConfig({ ADMIN_TOKEN: secret, CURSOR_SECRET: 'short', DATABASE_URL: 'oracle://u:hunter2@h/db' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const text = (error as ConfigError).message
    expect(text).toMatch(/ADMIN_TOKEN: must not contain whitespace .*\(got a value of 28 characters\)/)
    expect(text).toMatch(/CURSOR_SECRET: must be at least 16 characters \(got a value of 5 characters\)/)
    expect(text).toContain('oracle://u:***@h/db')
    for (const leaked of [secret, 'short', 'hunter2']) expect(text).not.toContain(leaked)
  })

  it('reads RATE_LIMIT, CORS_ORIGINS and the server timeouts, with safe defaults', () => {
    const d = loadConfig({}, '/srv/app')
    expect(d.rateLimit).toBe(DEFAULT_RATE_LIMIT)
    expect(d.corsOrigins).toEqual([])
    expect(d.timeouts).toEqual(DEFAULT_TIMEOUTS)
    expect(DEFAULT_TIMEOUTS.headersMs).toBeLessThan(60_000)
    expect(DEFAULT_TIMEOUTS.requestMs).toBeLessThan(300_000)
    const c = loadConfig({
      RATE_LIMIT: '0',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      HEADERS_TIMEOUT_MS: '5000',
      REQUEST_TIMEOUT_MS: '20000',
      KEEP_ALIVE_TIMEOUT_MS: '65000',
    })
    expect(c.rateLimit).toBe(0)
    expect(c.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173'])
    expect(c.timeouts).toEqual({ headersMs: 5000, requestMs: 20_000, keepAliveMs: 65_000 })
    expect(() => loadConfig({ RATE_LIMIT: '-1' })).toThrow(/RATE_LIMIT/)
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/)
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' })).toThrow(/REQUEST_TIMEOUT_MS/)
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000' })).toThrow(/must not exceed REQUEST_TIMEOUT_MS/)
  })
})
