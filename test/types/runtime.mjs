// Runtime check: every published package loads from `import` and from `require` after `npm run build`,
// and both forms expose the same names.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const packages = [
  '@hotpath/cache-kit',
  '@hotpath/cache-kit/redis',
  '@hotpath/cache-kit/keyv',
  '@hotpath/cache-kit/express',
  '@hotpath/cache-kit/prometheus',
  '@hotpath/paginate',
  '@hotpath/schema',
]
let failed = false
for (const name of packages) {
  const esm = Object.keys(await import(name))
    .filter((k) => k !== 'default')
    .sort()
  const cjs = Object.keys(require(name))
    .filter((k) => k !== 'default')
    .sort()
  const same = JSON.stringify(esm) === JSON.stringify(cjs)
  if (!same || esm.length === 0) failed = true
  console.log(
    `${same && esm.length ? 'ok  ' : 'FAIL'} ${name}: ${esm.length} exports (import) / ${cjs.length} (require)`,
  )
}
process.exit(failed ? 1 : 0)
