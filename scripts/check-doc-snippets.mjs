#!/usr/bin/env node
// Typechecks every TypeScript code block of docs/*.md and packages/*/README.md the way a user's
// project would compile it after `npm install`: strict, no skipLibCheck, `nodenext`, against the
// built packages (run `npm run build` first). A block right after `<!-- snippet: partial -->` is
// a deliberate fragment (it uses names it does not declare): it is only parsed, so a syntax error
// still fails. Each block is its own ES module, checked in its own program.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('..', import.meta.url))
const PARTIAL = '<!-- snippet: partial -->'
const OPEN = /^```(?:ts|typescript)\s*$/
const CLOSE = /^```\s*$/

/** The markdown files whose TypeScript blocks are checked. */
function markdownFiles() {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(root, 'docs', f))
  const readmes = readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'README.md'))
  return [...docs, ...readmes].filter((f) => {
    try {
      readFileSync(f)
      return true
    } catch {
      return false
    }
  })
}

/** `{ file, line, code, partial }` for each TypeScript block; `line` is the first code line (1-based). */
function extract(file) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    if (!OPEN.test(lines[i])) continue
    let prev = i - 1
    while (prev >= 0 && lines[prev].trim() === '') prev--
    const partial = prev >= 0 && lines[prev].trim() === PARTIAL
    let end = i + 1
    while (end < lines.length && !CLOSE.test(lines[end])) end++
    blocks.push({ file, line: i + 2, code: `${lines.slice(i + 1, end).join('\n')}\n`, partial })
    i = end
  }
  return blocks
}

const options = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: ['node'],
}

// The blocks live outside the repository so that nothing but node_modules is visible to them;
// node_modules is the workspace's, where the @hotpath packages link to their built dist/.
const dir = mkdtempSync(join(tmpdir(), 'hotpath-doc-snippets-'))
let failed = 0
let checked = 0
let parsed = 0
/** Prints the diagnostics at the markdown line they belong to; counts a failing block once. */
function report(block, diagnostics, snippetFile) {
  const where = `${relative(root, block.file)}:${block.line}`
  for (const d of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    let at = where
    if (d.file && d.start !== undefined) {
      const pos = d.file.getLineAndCharacterOfPosition(d.start)
      at =
        d.file.fileName === snippetFile
          ? `${relative(root, block.file)}:${block.line + pos.line}:${pos.character + 1}`
          : `${d.file.fileName}:${pos.line + 1}:${pos.character + 1} (from ${where})`
    }
    console.error(`${at}: TS${d.code}: ${message}`)
  }
  if (diagnostics.length > 0) failed++
}
try {
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  mkdirSync(join(dir, 'src'))
  const groups = [[]]
  for (const file of markdownFiles()) {
    extract(file).forEach((block, n) => {
      if (block.partial) {
        parsed++
        const out = ts.transpileModule(block.code, {
          compilerOptions: options,
          fileName: 'snippet.mts',
          reportDiagnostics: true,
        })
        report(block, out.diagnostics ?? [], 'snippet.mts')
        return
      }
      checked++
      const name = relative(root, file).replace(/[^A-Za-z0-9]+/g, '-')
      const path = join(dir, 'src', `${name}-${n + 1}.mts`)
      writeFileSync(path, block.code)
      const entry = { block, path }
      if (/^\s*declare global\b/m.test(block.code)) groups.push([entry])
      else groups[0].push(entry)
    })
  }
  let previous
  for (const group of groups.filter((g) => g.length > 0)) {
    const program = ts.createProgram({ rootNames: group.map((e) => e.path), options, oldProgram: previous })
    previous = program
    const all = ts.getPreEmitDiagnostics(program)
    for (const { block, path } of group) {
      const own = all.filter((d) => d.file?.fileName === path)
      report(block, own, path)
    }
    // Diagnostics outside the blocks (a package's own .d.ts) belong to the group as a whole.
    const others = all.filter((d) => !group.some((e) => e.path === d.file?.fileName))
    if (others.length > 0) report(group[0].block, others, undefined)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(
  `${failed === 0 ? 'ok  ' : 'FAIL'} doc snippets: ${checked} typechecked (strict, nodenext), ${parsed} partial parsed, ${failed} failing`,
)
process.exit(failed === 0 ? 0 : 1)
