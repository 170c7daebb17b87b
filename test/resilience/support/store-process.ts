import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '@hotpath/test-services/faults'
import { CACHE_TIMEOUT_MS } from './durations.js'
import { send } from './http-client.js'
import { RUN_MARKER } from './run-guard.js'

const run = promisify(execFile)

/** The built CLI (`npm run build -w @hotpath/store-api` makes it). */
export const STORE_API_CLI = fileURLToPath(
  new URL('../../../examples/store-api/dist/cli.js', import.meta.url),
)

/** Admin token every instance of the suite runs with. */
export const ADMIN_TOKEN = 'resilience-admin-token-0123456789'

/** Where and how an instance runs: the contract's environment. */
export interface StoreEnv {
  readonly databaseUrl: string
  readonly redisUrl?: string
  /** Seed nodes of a Redis Cluster (`REDIS_CLUSTER_NODES`, `host:port`), instead of `redisUrl`. */
  readonly redisClusterNodes?: readonly string[]
  /** Key prefix in Redis (`CACHE_PREFIX`); give each test file its own on a shared Redis. */
  readonly cachePrefix?: string
  /** More environment variables (`RATE_LIMIT`, `HEADERS_TIMEOUT_MS`…); `RATE_LIMIT` defaults to 0 here: load scenarios must not be limited. */
  readonly vars?: Readonly<Record<string, string>>
}

/** A `store-api serve` child process. */
export interface StoreInstance {
  readonly origin: string
  readonly port: number
  /** stdout + stderr so far (for failure messages). */
  output(): string
  /** True while the process has not exited. */
  alive(): boolean
  /** Sends `signal` (SIGKILL: kill -9) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts the process again on the same port and environment; resolves when `/health` answers. */
  restart(): Promise<void>
}

function environment(env: StoreEnv, port: number): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    [RUN_MARKER]: process.env[RUN_MARKER],
    DATABASE_URL: env.databaseUrl,
    ADMIN_TOKEN,
    CURSOR_SECRET: 'resilience-cursor-secret-0123456789',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    STORE_API_SEED: 'off',
    CACHE_TIMEOUT_MS: String(CACHE_TIMEOUT_MS),
    RATE_LIMIT: '0',
    ...env.vars,
  }
  if (env.redisUrl) out.REDIS_URL = env.redisUrl
  if (env.redisClusterNodes) out.REDIS_CLUSTER_NODES = env.redisClusterNodes.join(',')
  if (env.cachePrefix) out.CACHE_PREFIX = env.cachePrefix
  return out
}

/**
 * Runs `store-api serve` with `env` and `extra` variables that must be refused: resolves the exit
 * code and what the process printed (it must exit before listening).
 */
export async function refusedStart(
  env: StoreEnv,
  extra: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  try {
    const r = await run(process.execPath, [STORE_API_CLI, 'serve'], {
      env: { ...environment(env, 0), ...extra },
      timeout: 30_000,
    })
    return { code: 0, output: r.stdout + r.stderr }
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : null, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

/** Runs `store-api migrate` on `env` once, so instances started together do not race on the schema. */
export async function migrateStore(env: StoreEnv): Promise<void> {
  await run(process.execPath, [STORE_API_CLI, 'migrate'], { env: environment(env, 0), timeout: 60_000 })
}

/** Starts `node examples/store-api/dist/cli.js serve` on a free loopback port; resolves when `/health` is 200. */
export async function startStore(env: StoreEnv): Promise<StoreInstance> {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  let proc: ChildProcess | undefined
  let log = ''
  const launch = async () => {
    const p = spawn(process.execPath, [STORE_API_CLI, 'serve'], {
      env: environment(env, port),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    proc = p
    p.stdout?.on('data', (c: Buffer) => {
      log += c.toString()
    })
    p.stderr?.on('data', (c: Buffer) => {
      log += c.toString()
    })
    const deadline = Date.now() + 60_000
    for (;;) {
      if (p.exitCode !== null) throw new Error(`store-api exited with ${p.exitCode}:\n${log}`)
      const res = await send(origin, { path: '/health', timeoutMs: 1000 })
      if (res.status === 200) return
      if (Date.now() > deadline) throw new Error(`store-api did not answer /health within 60 s:\n${log}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  await launch()
  return {
    origin,
    port,
    output: () => log,
    alive: () => proc !== undefined && proc.exitCode === null && proc.signalCode === null,
    async kill(signal = 'SIGKILL') {
      const p = proc
      if (!p || p.exitCode !== null || p.signalCode !== null) return
      const exited = new Promise((r) => p.once('exit', r))
      p.kill(signal)
      await exited
    },
    restart: launch,
  }
}
