import { inject } from 'vitest'
import { howToProvide, type ServiceName } from './provided.js'

/** A test asked for a service that this run could not reach; the message says how to provide it. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError'
}

/** The URL of a reachable service, or a `ServiceUnavailableError` that names it and both ways to provide it. */
export function serviceUrl(name: ServiceName): string {
  const state = inject('hotpathServices')[name]
  if (state.ok) return state.url
  throw new ServiceUnavailableError(`${state.reason} ${howToProvide(name)}`)
}

/** Unique per `vitest run`; part of every isolated space's name. */
export function runId(): string {
  return inject('hotpathServices').runId
}

let counter = 0
/** A fresh space name for this test file: `<prefix><runId>_<pid>_<n><random>`, a valid SQL identifier. */
export function spaceName(kind: 'redis' | 'sql'): string {
  counter++
  const tail = `${process.pid}_${counter}${Math.random().toString(36).slice(2, 6)}`
  return kind === 'redis' ? `hp:${runId()}:${tail}:` : `hp_${runId()}_${tail}`
}
