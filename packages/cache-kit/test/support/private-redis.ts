import {
  type ControlledService,
  type PrivateRedisOptions,
  startPrivateRedis,
} from '@hotpath/test-services/faults'
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'

/** A redis-server of this test file's own (to pause, fill or kill), with clients closed after the file. */
export interface PrivateRedis {
  readonly server: ControlledService
  /** A new client that has answered a PING. */
  connect(): Promise<Redis>
}

/** Registers hooks that start a private redis-server before the file's tests and stop it after. */
export function usePrivateRedis(options: PrivateRedisOptions = {}): PrivateRedis {
  let server: ControlledService | undefined
  const clients: Redis[] = []
  beforeAll(async () => {
    server = await startPrivateRedis(options)
  })
  afterAll(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await server?.dispose()
  })
  const must = () => {
    if (!server) throw new Error('usePrivateRedis(): the server exists only inside tests')
    return server
  }
  return {
    get server() {
      return must()
    },
    async connect() {
      const c = new Redis(must().url, { maxRetriesPerRequest: 1 })
      c.on('error', () => {})
      clients.push(c)
      await c.ping()
      return c
    },
  }
}
