// `npm run bench [-- <area> ...]`: runs each benchmark under bench/<area>/index.ts (all when none named).
// Every benchmark compares its variants side by side in one run and prints a table with ratios.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const all = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${here}${d.name}/index.ts`))
  .map((d) => d.name)
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const unknown = wanted.filter((a) => !all.includes(a))
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ') || '(none yet)'}`)
  process.exit(2)
}
for (const area of wanted.length ? wanted : all) {
  console.log(`\n# bench/${area}`)
  const res = spawnSync(process.execPath, ['--import', 'tsx', `${here}${area}/index.ts`], {
    stdio: 'inherit',
  })
  if (res.status !== 0) process.exit(res.status ?? 1)
}
