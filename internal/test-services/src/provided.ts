/** What one real service looks like to the tests: reachable at `url`, or not, and why. */
export type ServiceState =
  | { ok: true; url: string; source: 'env' | 'testcontainers' }
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

/** Names both ways of providing a service: the message every missing-service failure carries. */
export function howToProvide(name: ServiceName): string {
  return (
    `Set ${ENV_VARS[name]} to a reachable ${name} server (on this machine: \`bash ../shared/services.sh\` ` +
    'prints the URLs), or run a Docker engine so the tests start one with testcontainers.'
  )
}
