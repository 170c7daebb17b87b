import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, Socket } from 'node:net'

/** A server process this test run owns: it can be stopped, started again, paused and resumed. */
export interface ControlledService {
  readonly port: number
  readonly url: string
  /** SIGKILL, then wait until the port refuses connections. */
  kill(): Promise<void>
  /** Start the process again on the same port and data, and wait until it answers. */
  start(): Promise<void>
  /** SIGSTOP: the port still accepts TCP connections but nothing answers. */
  pause(): void
  /** SIGCONT after `pause()`. */
  resume(): void
  /** Kill it for good and remove its data. */
  dispose(): Promise<void>
}

/** How to run one kind of server; `spawnArgs` is called on every (re)start. */
export interface ProcessSpec {
  command: string
  args: (port: number) => string[]
  url: (port: number) => string
  /** Resolves once the server answers; rejects otherwise. Polled until `startTimeoutMs`. */
  ready: (port: number) => Promise<void>
  cleanup?: () => void
  startTimeoutMs?: number
}

/** Starts `spec` on a free loopback port and returns its controls. */
export async function startProcessService(spec: ProcessSpec): Promise<ControlledService> {
  const port = await freePort()
  let proc: ChildProcess | undefined
  const launch = async () => {
    const p = spawn(spec.command, spec.args(port), { stdio: 'ignore' })
    proc = p
    await new Promise<void>((resolve, reject) => {
      p.once('error', reject)
      p.once('spawn', () => resolve())
    })
    await poll(() => spec.ready(port), spec.startTimeoutMs ?? 20_000)
  }
  const kill = async () => {
    const p = proc
    proc = undefined
    if (!p || p.exitCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGCONT')
    p.kill('SIGKILL')
    await exited
    await poll(async () => {
      if (await accepts(port)) throw new Error(`port ${port} still open`)
    }, 10_000)
  }
  await launch()
  return {
    port,
    url: spec.url(port),
    kill,
    start: launch,
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    dispose: async () => {
      await kill()
      spec.cleanup?.()
    },
  }
}

/** True when something accepts a TCP connection on the loopback port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket()
    s.setTimeout(500)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
    s.once('timeout', () => {
      s.destroy()
      resolve(false)
    })
    s.connect(port, '127.0.0.1')
  })
}

async function poll(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
}
