#!/usr/bin/env node
// The packages as a user installs them (issue 16): packs the three packages, checks what each
// tarball ships, installs them into two apps outside the workspace and
//  - typechecks each app strict, WITHOUT skipLibCheck, with moduleResolution nodenext and bundler;
//  - runs each app's ESM and CJS script (the full app against REDIS_URL / MYSQL_URL, default local ports).
// The memory app has @hotpath/cache-kit alone (none of its optional peers); the full app adds
// express 5, knex 3, mysql2, ioredis 5. Third-party versions are the workspace's own, so the install
// is served from the npm cache after `npm ci`. Needs `npm run build` first. Usage: npm run test:consumer
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const here = fileURLToPath(new URL('.', import.meta.url))
const PACKAGES = ['cache-kit', 'paginate', 'schema']
const started = Date.now()
const step = (what) => console.log(`\n== ${what} (${Math.round((Date.now() - started) / 1000)}s)`)

function run(cmd, args, cwd, options = {}) {
  return execFileSync(cmd, args, {
    cwd,
    stdio: options.capture ? 'pipe' : 'inherit',
    encoding: 'utf8',
    env: process.env,
  })
}

/** The version the workspace installed, so the app's install is served from the npm cache. */
function installed(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
}

const work = mkdtempSync(join(tmpdir(), 'hotpath-consumer-'))
let failed = false
try {
  step('npm pack')
  const packDir = join(work, 'tarballs')
  mkdirSync(packDir)
  const packed = JSON.parse(
    run(
      'npm',
      ['pack', '--json', '--pack-destination', packDir, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])],
      root,
      {
        capture: true,
      },
    ),
  )
  const tarballs = {}
  for (const pack of packed) {
    tarballs[pack.name] = join(packDir, pack.filename)
    const files = pack.files.map((f) => f.path)
    const problems = []
    for (const must of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json'])
      if (!files.includes(must)) problems.push(`missing ${must}`)
    for (const f of files) {
      if (f.endsWith('.map')) problems.push(`ships a source map without its sources: ${f}`)
      if (f.startsWith('src/') || f.startsWith('test/')) problems.push(`ships ${f}`)
    }
    if (files.includes('dist/test-suite.cjs'))
      problems.push('ships dist/test-suite.cjs, which no export reaches')
    if (files.includes('dist/cli.cjs')) problems.push('ships dist/cli.cjs, which the bin never loads')
    const manifest = JSON.parse(
      readFileSync(join(root, 'packages', pack.name.split('/')[1], 'package.json'), 'utf8'),
    )
    for (const field of ['repository', 'homepage', 'bugs', 'license'])
      if (!manifest[field]) problems.push(`package.json has no ${field}`)
    const readme = readFileSync(join(root, 'packages', pack.name.split('/')[1], 'README.md'), 'utf8')
    for (const [, link] of readme.matchAll(/\]\(([^)]+)\)/g))
      if (!/^https:\/\//.test(link)) problems.push(`README link ${link} does not work on the registry`)
    console.log(
      `${problems.length ? 'FAIL' : 'ok  '} ${pack.name}: ${files.length} files, ${pack.size} bytes`,
    )
    for (const p of problems) console.log(`     - ${p}`)
    if (problems.length) failed = true
  }

  const apps = {
    memory: { '@hotpath/cache-kit': `file:${tarballs['@hotpath/cache-kit']}` },
    full: {
      '@hotpath/cache-kit': `file:${tarballs['@hotpath/cache-kit']}`,
      '@hotpath/paginate': `file:${tarballs['@hotpath/paginate']}`,
      '@hotpath/schema': `file:${tarballs['@hotpath/schema']}`,
      express: installed('express'),
      '@types/express': installed('@types/express'),
      knex: installed('knex'),
      mysql2: installed('mysql2'),
      ioredis: installed('ioredis'),
    },
  }
  for (const [name, dependencies] of Object.entries(apps)) {
    const dir = join(work, name)
    step(`${name} app: install`)
    mkdirSync(dir)
    cpSync(join(here, name), join(dir, 'src'), { recursive: true })
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: `hotpath-consumer-${name}`,
          private: true,
          dependencies,
          devDependencies: { typescript: installed('typescript'), '@types/node': installed('@types/node') },
        },
        null,
        2,
      ),
    )
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
      dir,
    )
    if (name === 'memory')
      for (const peer of ['ioredis', 'keyv', 'express', '@types/express', 'prom-client', 'knex'])
        if (existsSync(join(dir, 'node_modules', peer))) {
          console.log(
            `FAIL memory app: ${peer} got installed, so the app proves nothing about optional peers`,
          )
          failed = true
        }

    const common = {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
    }
    const configs = {
      // nodenext: the .mts file as ESM, the .cts file as CJS; emitted and run below.
      nodenext: { ...common, noEmit: false, outDir: 'out', module: 'nodenext', moduleResolution: 'nodenext' },
      node16: { ...common, module: 'node16', moduleResolution: 'node16' },
      bundler: { ...common, module: 'preserve', moduleResolution: 'bundler' },
    }
    for (const [kind, compilerOptions] of Object.entries(configs)) {
      step(`${name} app: tsc --strict, moduleResolution ${kind}, no skipLibCheck`)
      // `import x = require()` exists only for CommonJS output, so the bundler check takes the ESM file.
      const files = kind === 'bundler' ? ['src/esm.mts'] : ['src/esm.mts', 'src/cjs.cts']
      writeFileSync(join(dir, `tsconfig.${kind}.json`), JSON.stringify({ compilerOptions, files }, null, 2))
      try {
        run(join(dir, 'node_modules/.bin/tsc'), ['-p', `tsconfig.${kind}.json`], dir)
        console.log(`ok   ${name} app typechecks (${kind})`)
      } catch {
        console.log(`FAIL ${name} app does not typecheck (${kind})`)
        failed = true
      }
    }
    for (const script of ['out/esm.mjs', 'out/cjs.cjs']) {
      step(`${name} app: node ${script}`)
      try {
        run(process.execPath, [script], dir)
      } catch {
        console.log(`FAIL ${name} app: node ${script}`)
        failed = true
      }
    }
    if (name === 'full') {
      step("full app: hotpath-schema without the URL's driver")
      try {
        run(
          join(dir, 'node_modules/.bin/hotpath-schema'),
          ['migrate', '--url', 'postgres://postgres@127.0.0.1:1/x'],
          dir,
          {
            capture: true,
          },
        )
        console.log('FAIL hotpath-schema ran without pg installed')
        failed = true
      } catch (err) {
        const expected =
          'hotpath-schema: a PostgreSQL URL needs the pg driver, which is not installed: npm install pg'
        const ok = err.status === 1 && String(err.stderr).trim() === expected
        console.log(
          `${ok ? 'ok  ' : 'FAIL'} hotpath-schema: ${String(err.stderr).trim()} (exit ${err.status})`,
        )
        if (!ok) failed = true
      }
    }
  }
} finally {
  if (process.env.KEEP_CONSUMER_APPS) console.log(`apps kept in ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
step(failed ? 'FAIL' : 'done')
process.exit(failed ? 1 : 0)
