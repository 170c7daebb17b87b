import { Redis } from 'ioredis'
import { send } from './http-client.js'

/** One sample: when its read was started and when it returned (ms since `t0`), and the value. */
export interface Sample<T> {
  readonly start: number
  readonly end: number
  readonly value: T
}

/** Samples taken in the background until `stop()`. */
export interface Sampler<T> {
  readonly samples: Sample<T>[]
  stop(): Promise<void>
}

/** Calls `read` every `everyMs` until stopped, keeping what it returns. */
export function sample<T>(t0: number, everyMs: number, read: () => Promise<T>): Sampler<T> {
  const samples: Sample<T>[] = []
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const start = performance.now() - t0
      const value = await read()
      samples.push({ start, end: performance.now() - t0, value })
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  return {
    samples,
    stop: async () => {
      stopped = true
      await loop
    },
  }
}

/** The value of a Prometheus gauge or counter at `/metrics` (summed over labels); `NaN` when unreadable. */
export async function metricValue(origin: string, name: string): Promise<number> {
  const res = await send(origin, { path: '/metrics', timeoutMs: 2000 })
  if (res.status !== 200) return Number.NaN
  let sum = 0
  let seen = false
  for (const line of res.text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1))
      seen = true
    }
  }
  return seen ? sum : Number.NaN
}

/** Keys in the Redis at `url` (a private one: only the service writes there); -1 when it does not answer. */
export async function redisKeyCount(url: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 300 })
  client.on('error', () => {})
  try {
    await client.connect()
    return await client.dbsize()
  } catch {
    return -1
  } finally {
    client.disconnect()
  }
}

/** cache-kit's stampede-lease keys (`<prefix>#l:<key>`) in the Redis at `url`, each with its PTTL. */
export async function leaseKeys(url: string): Promise<string[]> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1000 })
  client.on('error', () => {})
  try {
    const keys = await client.keys('*#l:*')
    return await Promise.all(keys.map(async (k) => `${k} (pttl ${await client.pttl(k)} ms)`))
  } finally {
    client.disconnect()
  }
}
