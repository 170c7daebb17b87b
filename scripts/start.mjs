// `npm start`: runs the reference store API (examples/store-api) on its embedded default,
// building the workspace first when it has not been built yet.
import { spawnSync } from 'node:child_process'
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
const res = spawnSync(process.execPath, [cli, ...(args.length ? args : ['serve'])], { stdio: 'inherit' })
process.exit(res.status ?? 1)
