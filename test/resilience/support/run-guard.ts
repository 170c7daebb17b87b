import { randomUUID } from 'node:crypto'
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The servers the suite starts itself (`@hotpath/test-services/faults`). A missing one fails the run
 * at once, with this list, instead of each scenario failing on `spawn ENOENT`: the suite never skips.
 */
const BINARIES = ['redis-server', 'redis-cli', '/usr/sbin/mariadbd', 'mariadb-install-db', 'mariadb']

/** What the suite runs: the built CLI and the built packages it imports (`npm run build`). */
const BUILT = [
  'examples/store-api/dist/cli.js',
  'packages/cache-kit/dist/index.js',
  'packages/paginate/dist/index.js',
  'packages/schema/dist/index.js',
].map((f) => fileURLToPath(new URL(`../../../${f}`, import.meta.url)))

/** Environment variable every process the suite starts inherits; its value names the run. */
export const RUN_MARKER = 'HOTPATH_RESILIENCE_RUN'

function onPath(binary: string): boolean {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, binary))
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function exists(file: string): boolean {
  try {
    accessSync(file, constants.R_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Processes of this run other than this one: environment carrying `RUN_MARKER=<run>` (store API
 * instances, workers), or working directory inside the run's temporary directory (redis-server
 * overwrites its environment with its process title, but runs in its `--dir`; mariadbd in its datadir).
 */
function processesOf(run: string, dir: string): { pid: number; command: string }[] {
  const mark = `${RUN_MARKER}=${run}`
  const found: { pid: number; command: string }[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const marked = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(mark)
      const inside = marked || readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)
      if (!inside) continue
      const command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim()
      found.push({ pid, command })
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

/**
 * Vitest global setup of the resilience suite: checks the server binaries and the build, gives the run a temporary
 * directory of its own (`TMPDIR`, inherited by the workers and every server they start) and a marker
 * in the environment. Teardown fails the run if anything is left behind — a marked process still
 * running (a server or store API instance a scenario did not stop: it is killed, by pid) or a file
 * in the run's temporary directory (removed) — also when scenarios failed.
 */
export default function setup(): () => Promise<void> {
  const missing = BINARIES.filter((b) => !onPath(b))
  if (missing.length > 0)
    throw new Error(
      `the resilience suite starts its own servers and needs ${missing.join(', ')} (not found on PATH): install redis-server and mariadb-server`,
    )
  const unbuilt = BUILT.filter((f) => !exists(f))
  if (unbuilt.length > 0)
    throw new Error(
      `the resilience suite drives the built service; missing ${unbuilt.join(', ')}: run \`npm run build\` first (and not again while the suite runs: the build empties dist/)`,
    )
  const run = randomUUID()
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-resilience-'))
  process.env[RUN_MARKER] = run
  process.env.TMPDIR = dir
  return async () => {
    const deadline = Date.now() + 15_000
    let left = processesOf(run, dir)
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200))
      left = processesOf(run, dir)
    }
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        // exited meanwhile
      }
    }
    const files = readdirSync(dir)
    rmSync(dir, { recursive: true, force: true })
    const problems = [
      ...left.map((p) => `process ${p.pid} still running (killed now): ${p.command.slice(0, 160)}`),
      ...files.map((f) => `left in ${dir}: ${f}`),
    ]
    if (problems.length > 0) {
      // Vitest reports an error thrown here but keeps its exit code: set it, then throw for the log.
      process.exitCode = 1
      throw new Error(`the resilience suite left things behind:\n${problems.join('\n')}`)
    }
  }
}
