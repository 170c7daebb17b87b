// Adds to package-lock.json the entries of optional, platform-specific packages (other OSes' builds of
// Biome, Rollup…) that the registry this project installs from does not serve. npm leaves them out of
// the lock when it cannot fetch their manifests, and `npm ci` then refuses the lock as "out of sync".
// The entries only name version and platform; npm skips them on any other platform without fetching.
// Run after `npm install` changes the lock: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const file = fileURLToPath(new URL('../package-lock.json', import.meta.url))
const lock = JSON.parse(readFileSync(file, 'utf8'))
const packages = lock.packages
const OS = [
  'android',
  'darwin',
  'freebsd',
  'linux',
  'openbsd',
  'openharmony',
  'sunos',
  'win32',
  'aix',
  'netbsd',
]
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el']
let added = 0
for (const [, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`
    if (packages[target] || !/^\d+\.\d+\.\d+/.test(version)) continue
    const parts = name.split('/').pop().split('-')
    const os = OS.find((o) => parts.includes(o))
    const cpu = CPU.find((c) => parts.includes(c))
    if (!os || !cpu) continue // not a platform build: leave it to npm
    const platformEntry = { version, cpu: [cpu], os: [os], optional: true }
    if (entry.dev) platformEntry.dev = true
    if (parts.includes('musl')) platformEntry.libc = ['musl']
    if (parts.includes('gnu') || parts.includes('gnueabihf')) platformEntry.libc = ['glibc']
    packages[target] = platformEntry
    added++
  }
}
// npm orders entries with localeCompare('en'); keeping its order keeps the diff to the added entries.
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b, 'en')))
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`complete-lockfile: added ${added} platform entr${added === 1 ? 'y' : 'ies'}`)
