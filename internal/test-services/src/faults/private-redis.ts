import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type ControlledService, startProcessService } from './process-service.js'

const run = promisify(execFile)

/** Options for a private redis-server. */
export interface PrivateRedisOptions {
  /** `maxmemory` in bytes (with `maxmemory-policy noeviction` when set). */
  maxmemoryBytes?: number
}

/**
 * Starts a redis-server of this test's own on a free loopback port, to stop, pause or fill without
 * disturbing the shared Redis other test files use. Needs `redis-server` on the PATH.
 */
export function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<ControlledService> {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-redis-'))
  return startProcessService({
    command: 'redis-server',
    args: (port) => {
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ]
      if (options.maxmemoryBytes) {
        args.push('--maxmemory', String(options.maxmemoryBytes), '--maxmemory-policy', 'noeviction')
      }
      return args
    },
    url: (port) => `redis://127.0.0.1:${port}`,
    ready: async (port) => {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 })
      if (!stdout.includes('PONG')) throw new Error('redis not ready')
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  })
}
