/** What one real service looks like to the tests: reachable at `url`, or not, and why. */
export type ServiceState =
  | { ok: true; url: string; source: 'env' | 'local' | 'testcontainers' }
  | { ok: false; reason: string }

/** The service names the harness knows. */
export type ServiceName = 'redis' | 'mysql' | 'postgres'

/** Handed from the global setup to every test file through Vitest's `provide`/`inject`. */
export interface ServicesInfo {
  /** Unique per `vitest run`: every space a test file creates carries it, so teardown can sweep leftovers. */
  runId: string
  redis: ServiceState
  mysql: ServiceState
  postgres: ServiceState
}

/** Where the local Redis Cluster answers (`host:port` of each master). */
export type ClusterState =
  | { ok: true; nodes: string[]; source: 'env' | 'local' }
  | { ok: false; reason: string }

declare module 'vitest' {
  export interface ProvidedContext {
    hotpathServices: ServicesInfo
    hotpathRedisCluster: ClusterState
  }
}

/** The environment variable that points the tests at each service. */
export const ENV_VARS: Record<ServiceName, string> = {
  redis: 'REDIS_URL',
  mysql: 'MYSQL_URL',
  postgres: 'POSTGRES_URL',
}

/**
 * Where each service is looked for when its variable is not set: the default port of a local
 * install, with the account a fresh install has (MySQL/MariaDB root without password, PostgreSQL
 * `postgres` with trust). No database in the path: each test file creates its own.
 */
export const LOCAL_URLS: Record<ServiceName, string> = {
  redis: 'redis://127.0.0.1:6379',
  mysql: 'mysql://root@127.0.0.1:3306',
  postgres: 'postgres://postgres@127.0.0.1:5432/postgres',
}

/** Names the ways of providing a service: the message every missing-service failure carries. */
export function howToProvide(name: ServiceName): string {
  return (
    `Set ${ENV_VARS[name]} to a reachable ${name} server, run one on its default local port ` +
    `(${LOCAL_URLS[name]}), or run a Docker engine so the tests start one with testcontainers.`
  )
}
