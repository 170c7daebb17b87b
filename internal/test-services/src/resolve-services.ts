import { randomBytes } from 'node:crypto'
import { dockerAvailable, startContainer } from './containers.js'
import { probe } from './probe.js'
import {
  ENV_VARS,
  howToProvide,
  LOCAL_URLS,
  type ServiceName,
  type ServiceState,
  type ServicesInfo,
} from './provided.js'

const NAMES: ServiceName[] = ['redis', 'mysql', 'postgres']

/** Thrown (under `CI=true`) when a service the tests need cannot be reached. */
export class MissingServiceError extends Error {
  override name = 'MissingServiceError'
}

/** Stops what `resolveServices` started (testcontainers); a no-op when everything came from the environment. */
export type StopServices = () => Promise<void>

/** Where {@link resolveServices} looks besides the environment (tests of the harness change these). */
export interface ResolveOptions {
  /** The local URLs tried when a variable is not set. Default {@link LOCAL_URLS}. */
  localUrls?: Record<ServiceName, string>
  /** Whether to try testcontainers. Default `true` (used when a Docker engine answers). */
  containers?: boolean
}

// A closed local port refuses at once, so the bound only matters for a port that drops packets; it
// leaves room for a handshake on a loaded machine, which a tighter bound would turn into "missing".
const LOCAL_PROBE_TIMEOUT_MS = 2000

/**
 * Finds each service, in this order: its URL from the environment when set (probed; an unreachable
 * URL is reported, never replaced); else the service answering on its default local port
 * ({@link LOCAL_URLS}); else a testcontainers container when a Docker engine answers; else a reason.
 * Under `CI=true` anything missing rejects with a `MissingServiceError` naming the service, so CI can
 * never skip silently.
 */
export async function resolveServices(
  env: NodeJS.ProcessEnv = process.env,
  options: ResolveOptions = {},
): Promise<{ info: ServicesInfo; stop: StopServices }> {
  const localUrls = options.localUrls ?? LOCAL_URLS
  const stops: StopServices[] = []
  let docker: boolean | undefined
  const resolveOne = async (name: ServiceName): Promise<ServiceState> => {
    const url = env[ENV_VARS[name]]
    if (url) {
      try {
        await probe(name, url)
        return { ok: true, url, source: 'env' }
      } catch (err) {
        return {
          ok: false,
          reason: `${name} is not reachable at ${url} (${ENV_VARS[name]}): ${describe(err)}`,
        }
      }
    }
    const local = localUrls[name]
    let localFailure: string
    try {
      await probe(name, local, LOCAL_PROBE_TIMEOUT_MS)
      return { ok: true, url: local, source: 'local' }
    } catch (err) {
      localFailure = `${ENV_VARS[name]} is not set, nothing usable answers at ${local} (${describe(err)})`
    }
    docker ??= options.containers !== false && (await dockerAvailable())
    if (!docker) return { ok: false, reason: `${name}: ${localFailure} and no Docker engine answers.` }
    try {
      const started = await startContainer(name)
      stops.push(started.stop)
      return { ok: true, url: started.url, source: 'testcontainers' }
    } catch (err) {
      return {
        ok: false,
        reason: `${name}: ${localFailure}; testcontainers could not start it: ${describe(err)}`,
      }
    }
  }
  const states: ServiceState[] = []
  // Sequential on purpose: the Docker check runs once, and containers do not race for ports.
  for (const name of NAMES) states.push(await resolveOne(name))
  const [redis, mysql, postgres] = states as [ServiceState, ServiceState, ServiceState]
  const info: ServicesInfo = { runId: randomBytes(3).toString('hex'), redis, mysql, postgres }
  const stop: StopServices = async () => {
    await Promise.allSettled(stops.map((s) => s()))
  }
  if (env.CI === 'true') {
    const missing = NAMES.filter((n) => !info[n].ok)
    if (missing.length > 0) {
      await stop()
      throw new MissingServiceError(
        `CI=true and ${missing.length} service(s) missing: a missing service fails the run.\n` +
          missing.map((n) => `- ${(info[n] as { reason: string }).reason} ${howToProvide(n)}`).join('\n'),
      )
    }
  }
  return { info, stop }
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describe(err.errors[0])
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name
  return String(err)
}
