import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'
import { freePort } from './faults/process-service.js'
import type { ClusterState } from './provided.js'

const run = promisify(execFile)
const MASTERS = 3

// Projects that need the cluster share one per `vitest run`; the last to tear down stops it.
type Shared = { ready: ReturnType<typeof startLocalCluster>; users: number }
const KEY = Symbol.for('hotpath.test-services.cluster')
const store = globalThis as unknown as Record<symbol, Shared | undefined>

/**
 * Vitest global setup for suites that need a Redis Cluster: `REDIS_CLUSTER_URLS` (comma-separated
 * `host:port`) when set, else three masters started from `redis-server` on free loopback ports and
 * stopped after the run. Under `CI=true` a cluster that cannot be had fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.REDIS_CLUSTER_URLS
  if (fromEnv) {
    const nodes = fromEnv.split(',').map((s) => s.trim().replace(/^redis:\/\//, ''))
    project.provide('hotpathRedisCluster', { ok: true, nodes, source: 'env' })
    return async () => {}
  }
  const shared = store[KEY] ?? { ready: startLocalCluster(), users: 0 }
  store[KEY] = shared
  shared.users++
  try {
    const cluster = await shared.ready
    project.provide('hotpathRedisCluster', { ok: true, nodes: cluster.nodes, source: 'local' })
    return async () => {
      if (--shared.users > 0) return
      store[KEY] = undefined
      await cluster.stop()
    }
  } catch (err) {
    store[KEY] = undefined
    const reason =
      `Redis Cluster: REDIS_CLUSTER_URLS is not set and a local cluster could not be started from ` +
      `redis-server (${err instanceof Error ? err.message : String(err)}).`
    if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`)
    const state: ClusterState = { ok: false, reason }
    project.provide('hotpathRedisCluster', state)
    return async () => {}
  }
}

/** Starts `MASTERS` cluster-enabled redis-server processes and joins them; returns their addresses. */
export async function startLocalCluster(): Promise<{ nodes: string[]; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-cluster-'))
  const procs: ChildProcess[] = []
  const stop = async () => {
    for (const p of procs) p.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const ports: number[] = []
    while (ports.length < MASTERS) {
      const port = await freePort()
      if (port < 55535 && !ports.includes(port) && (await isFree(port + 10000))) ports.push(port)
    }
    for (const port of ports) {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes']
      args.push(
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      )
      const p = spawn('redis-server', args, { stdio: 'ignore' })
      procs.push(p)
      await new Promise<void>((resolve, reject) => {
        p.once('error', reject)
        p.once('spawn', () => resolve())
      })
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`)
    await waitFor(async () => {
      for (const port of ports) await run('redis-cli', ['-p', String(port), 'ping'])
    })
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'])
    await waitFor(async () => {
      for (const port of ports) {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'])
        if (!stdout.includes('cluster_state:ok')) throw new Error(`node ${port} not ready`)
      }
    })
    return { nodes, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

async function waitFor(check: () => Promise<void>, tries = 100): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await check()
    } catch (err) {
      if (i >= tries) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}
