import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type ControlledService, freePort, startProcessService } from './process-service.js'

const run = promisify(execFile)

/** A Redis Cluster of this test's own: three masters, one replica each, all on loopback. */
export interface ReplicatedCluster {
  /** `host:port` of every node, masters and replicas. */
  readonly nodes: string[]
  /** Ports of the nodes that are masters right now (asks the cluster). */
  masters(): Promise<number[]>
  /** The node on `port`, to kill, pause or restart. */
  node(port: number): ControlledService
  /** Resolves once every slot is served by a live master and every live node reports `cluster_state:ok`. */
  waitHealthy(timeoutMs?: number): Promise<void>
  /** Kills every node and removes their data. */
  dispose(): Promise<void>
}

/** Options of {@link startReplicatedCluster}. */
export interface ReplicatedClusterOptions {
  /** `cluster-node-timeout` in ms: how long a silent master takes to be failed over. Default 1000. */
  nodeTimeoutMs?: number
}

/**
 * Starts six cluster-enabled `redis-server` processes on free loopback ports (cluster bus ports
 * free too) and joins them with `redis-cli --cluster create … --cluster-replicas 1`.
 * A killed master is replaced by its replica after about `nodeTimeoutMs` plus an election.
 */
export async function startReplicatedCluster(
  options: ReplicatedClusterOptions = {},
): Promise<ReplicatedCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-cluster6-'))
  const nodeTimeout = String(options.nodeTimeoutMs ?? 1000)
  const services = new Map<number, ControlledService>()
  const dispose = async () => {
    await Promise.all([...services.values()].map((s) => s.kill()))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    while (services.size < 6) {
      // The cluster bus gets a port of its own (Redis 7 `cluster-port`), not the default port + 10000.
      const busPort = await freePort()
      const service = await startProcessService({
        command: 'redis-server',
        args: (port) => [
          ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
          ...['--cluster-port', String(busPort), '--cluster-replica-validity-factor', '0'],
          ...['--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', nodeTimeout],
          ...['--dir', dir, '--save', '', '--appendonly', 'no'],
        ],
        url: (port) => `redis://127.0.0.1:${port}`,
        ready: async (port) => {
          await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 })
        },
      })
      services.set(service.port, service)
    }
    const nodes = [...services.keys()].map((p) => `127.0.0.1:${p}`)
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '1', '--cluster-yes'])
    const cluster: ReplicatedCluster = {
      nodes,
      masters: () => mastersOf(services),
      node(port) {
        const s = services.get(port)
        if (!s) throw new Error(`no cluster node on port ${port}`)
        return s
      },
      waitHealthy: (timeoutMs = 20_000) => waitHealthy(services, timeoutMs),
      dispose,
    }
    await cluster.waitHealthy()
    await waitReplicasInSync(services)
    return cluster
  } catch (err) {
    await dispose()
    throw err
  }
}

async function clusterNodes(services: Map<number, ControlledService>): Promise<string[]> {
  for (const port of services.keys()) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'nodes'], { timeout: 500 })
      return stdout.split('\n').filter(Boolean)
    } catch {
      // that node is down or paused: ask the next one
    }
  }
  throw new Error('no cluster node answers')
}

async function mastersOf(services: Map<number, ControlledService>): Promise<number[]> {
  const lines = await clusterNodes(services)
  return lines
    .filter((l) => {
      const flags = l.split(' ')[2] ?? ''
      return flags.includes('master') && !flags.includes('fail')
    })
    .map((l) => Number((l.split(' ')[1] ?? '').split(':')[1]?.split('@')[0]))
}

async function waitHealthy(services: Map<number, ControlledService>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const problem = await healthProblem(services)
    if (problem === undefined) return
    if (Date.now() > deadline) throw new Error(`cluster not healthy after ${timeoutMs} ms: ${problem}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function healthProblem(services: Map<number, ControlledService>): Promise<string | undefined> {
  const masters = await mastersOf(services).catch(() => [])
  if (masters.length < 3) return `${masters.length} live masters`
  for (const port of masters) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 500 })
      if (!stdout.includes('cluster_state:ok')) return `node ${port} not ok`
    } catch {
      return `node ${port} does not answer`
    }
  }
  return undefined
}

/** Waits until every replica's link to its master is up, so a killed master can be failed over. */
async function waitReplicasInSync(
  services: Map<number, ControlledService>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (const port of services.keys()) {
    for (;;) {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'info', 'replication'], { timeout: 500 })
      if (stdout.includes('role:master') || stdout.includes('master_link_status:up')) break
      if (Date.now() > deadline) throw new Error(`replica ${port} not in sync after ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
