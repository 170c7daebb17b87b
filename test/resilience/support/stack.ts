import { useDatabase } from '@hotpath/test-services'
import {
  type ControlledService,
  type ReplicatedCluster,
  startPrivateMariaDb,
  startPrivateRedis,
  startReplicatedCluster,
} from '@hotpath/test-services/faults'
import knexFactory, { type Knex } from 'knex'
import { afterAll, beforeAll } from 'vitest'
import { closeHttpAgents } from './http-client.js'
import { migrateStore, type StoreEnv, type StoreInstance, startStore } from './store-process.js'
import { createTenant, type Tenant } from './tenant.js'

/** What a scenario file runs against. */
export interface StackOptions {
  /** A private redis-server this file may kill or pause (else: none, see `sharedRedis`). */
  readonly redis?: { maxmemoryBytes?: number }
  /** A private six-node Redis Cluster (three masters with a replica each) instead of `redis`. */
  readonly cluster?: { nodeTimeoutMs?: number }
  /** A private MariaDB this file may kill (else: its own database on the shared MariaDB). */
  readonly privateMariaDb?: boolean
  /** Store API instances to start (default 1), all on the same database and Redis. */
  readonly instances?: number
  /** More environment variables of the instances (`RATE_LIMIT`, default 0: off). */
  readonly vars?: Readonly<Record<string, string>>
  /** Tenants to create, each with this many products. */
  readonly tenants: number
  readonly products: number
}

/** The running pieces of a scenario, available inside tests. */
export interface Stack {
  readonly env: StoreEnv
  readonly instances: StoreInstance[]
  /** The first instance's origin. */
  readonly origin: string
  readonly tenants: Tenant[]
  /** A knex pool on the service's database, to compare responses with the truth. */
  readonly db: Knex
  readonly redis: ControlledService | undefined
  readonly cluster: ReplicatedCluster | undefined
  readonly mariaDb: ControlledService | undefined
}

/**
 * Registers hooks that start the file's services, its store API instances (child processes of the
 * built CLI) and its tenants, and stop all of them after the file.
 */
export function useStack(o: StackOptions): Stack {
  const shared = o.privateMariaDb ? undefined : useDatabase('mysql')
  const state: { -readonly [K in keyof Stack]?: Stack[K] } = { instances: [], tenants: [] }
  beforeAll(async () => {
    state.redis = o.redis ? await startPrivateRedis(o.redis) : undefined
    state.cluster = o.cluster ? await startReplicatedCluster(o.cluster) : undefined
    state.mariaDb = o.privateMariaDb ? await startPrivateMariaDb() : undefined
    const databaseUrl = state.mariaDb ? state.mariaDb.url : (shared?.url() ?? '')
    const limit = o.vars === undefined ? {} : { vars: o.vars }
    const env: StoreEnv = state.redis
      ? { databaseUrl, redisUrl: state.redis.url, ...limit }
      : state.cluster
        ? { databaseUrl, redisClusterNodes: state.cluster.nodes, ...limit }
        : { databaseUrl, ...limit }
    state.env = env
    await migrateStore(env)
    for (let i = 0; i < (o.instances ?? 1); i++) state.instances?.push(await startStore(env))
    state.db = knexFactory({ client: 'mysql2', connection: databaseUrl, pool: { min: 0, max: 4 } })
    const origin = state.instances?.[0]?.origin ?? ''
    for (let t = 0; t < o.tenants; t++) state.tenants?.push(await createTenant(origin, `t${t}`, o.products))
  }, 180_000)
  // Every step runs even when one before it failed (a failed scenario must not leave servers behind).
  afterAll(async () => {
    const steps: (() => unknown)[] = [
      ...(state.instances ?? []).map((i) => () => i.kill()),
      closeHttpAgents,
      () => state.db?.destroy(),
      () => state.redis?.dispose(),
      () => state.cluster?.dispose(),
      () => state.mariaDb?.dispose(),
    ]
    const failures: unknown[] = []
    for (const step of steps)
      await Promise.resolve()
        .then(step)
        .catch((e: unknown) => failures.push(e))
    if (failures.length > 0) throw new AggregateError(failures, 'stopping the stack failed')
  })
  const must = <K extends keyof Stack>(k: K): Stack[K] => {
    const v = state[k]
    if (v === undefined) throw new Error(`stack.${String(k)} exists only inside tests`)
    return v as Stack[K]
  }
  return {
    get env() {
      return must('env')
    },
    get instances() {
      return must('instances')
    },
    get origin() {
      return must('instances')[0]?.origin ?? ''
    },
    get tenants() {
      return must('tenants')
    },
    get db() {
      return must('db')
    },
    get redis() {
      return state.redis
    },
    get cluster() {
      return state.cluster
    },
    get mariaDb() {
      return state.mariaDb
    },
  }
}
