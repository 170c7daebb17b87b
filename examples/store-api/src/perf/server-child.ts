import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A `store-api serve` started in a child process for a perf run. */
export interface ServerChild {
  readonly url: string
  readonly apiKey: string
  stop(): Promise<void>
}

/**
 * Starts `store-api serve` (this very CLI, or the one at `cli`) in a child process on a free port,
 * seeding demo data if the database is empty, and resolves with its URL and a demo API key once it
 * listens.
 */
export function startServerChild(
  env: NodeJS.ProcessEnv,
  cacheOn: boolean,
  timeoutMs = 180_000,
  cli = fileURLToPath(new URL('./cli.js', import.meta.url)),
): Promise<ServerChild> {
  const child: ChildProcess = spawn(process.execPath, [cli, 'serve'], {
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      STORE_API_SEED: 'auto',
      STORE_API_CACHE: cacheOn ? 'on' : 'off',
      RATE_LIMIT: '0', // one demo key sends the whole load
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let url: string | undefined
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      reject(new Error(`the server did not start within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited (${code}) before listening:\n${out}`))
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      url ??= /listening on (http:\/\/\S+)/.exec(out)?.[1]
      const key = /demo API key: (\S+)/.exec(out)?.[1]
      if (!url || !key) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({
        url,
        apiKey: key,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    })
  })
}
