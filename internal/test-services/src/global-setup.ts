import type { TestProject } from 'vitest/node'
import type { ServicesInfo } from './provided.js'
import { resolveServices, type StopServices } from './resolve-services.js'
import { sweepRun } from './sweep.js'

// Every project of the workspace runs this file; the services are found once per `vitest run`
// and released when the last project tears down.
type Shared = { ready: Promise<{ info: ServicesInfo; stop: StopServices }>; users: number }
const KEY = Symbol.for('hotpath.test-services')
const store = globalThis as unknown as Record<symbol, Shared | undefined>

/** Vitest global setup: finds Redis, MySQL and PostgreSQL and provides them to every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = store[KEY]
  if (!shared) {
    shared = { ready: resolveServices(), users: 0 }
    store[KEY] = shared
  }
  shared.users++
  const { info, stop } = await shared.ready
  project.provide('hotpathServices', info)
  return async () => {
    const s = store[KEY]
    if (!s || --s.users > 0) return
    store[KEY] = undefined
    await sweepRun(info)
    await stop()
  }
}
