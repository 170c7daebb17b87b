// `npm start`: runs the reference store API (examples/store-api) — on its embedded default (SQLite
// under ./.hotpath of the working directory, memory cache) unless DATABASE_URL / REDIS_URL say
// otherwise — building the workspace first when it has not been built yet.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = fileURLToPath(new URL('../examples/store-api/dist/cli.js', import.meta.url))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

if (!existsSync(cli)) {
  console.log('hotpath: first start, building the workspace (npm run build)…')
  const built = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}
const args = process.argv.slice(2)
const child = spawn(process.execPath, [cli, ...(args.length ? args : ['serve'])], { stdio: 'inherit' })
// Pass stop signals on, so the service shuts down gracefully and `npm start` exits with its code.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
