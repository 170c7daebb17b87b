import type { ServiceName } from './provided.js'

/** True when a container runtime answers; testcontainers is only loaded when a URL is missing. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}

/** Starts one service in a container and returns its URL and how to stop it. */
export async function startContainer(name: ServiceName): Promise<{ url: string; stop: () => Promise<void> }> {
  if (name === 'redis') {
    const { RedisContainer } = await import('@testcontainers/redis')
    const c = await new RedisContainer('redis:7-alpine').start()
    return { url: c.getConnectionUrl(), stop: async () => void (await c.stop()) }
  }
  if (name === 'mysql') {
    const { MySqlContainer } = await import('@testcontainers/mysql')
    const c = await new MySqlContainer('mysql:8.4').withDatabase('test').start()
    return { url: c.getConnectionUri(true), stop: async () => void (await c.stop()) }
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  const c = await new PostgreSqlContainer('postgres:16-alpine').withDatabase('test').start()
  return { url: c.getConnectionUri(), stop: async () => void (await c.stop()) }
}
