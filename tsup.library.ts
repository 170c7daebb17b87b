import { rmSync } from 'node:fs'
import { defineConfig, type Options } from 'tsup'

/** Entries that only `import` reaches (a Vitest suite, a CLI): built as ESM only. */
export interface EsmOnlyEntries {
  entry: Record<string, string>
  /** Whether users import its types (`true` for the test suite, `false` for a CLI). */
  dts: boolean
  /** Imports left as they are, e.g. the package's own name so the entry shares the main entry's classes. */
  external?: string[]
}

/**
 * The build every published package shares: ESM + CJS + `.d.ts` per entry, for Node 20, plus the
 * ESM-only entries. No source maps: the sources are not shipped, and a map pointing at files the
 * package lacks only misleads a debugger.
 */
export function libraryConfig(entry: Record<string, string>, esmOnly?: EsmOnlyEntries) {
  // tsup runs the configs of an array in parallel and each `clean` would empty the other's output,
  // so dist/ is emptied once here, when the build loads this config.
  rmSync('dist', { recursive: true, force: true })
  const shared: Options = {
    sourcemap: false,
    clean: false,
    target: 'node20',
    splitting: true,
    treeshake: true,
  }
  const configs: Options[] = [{ ...shared, entry, format: ['esm', 'cjs'], dts: true }]
  if (esmOnly)
    configs.push({
      ...shared,
      entry: esmOnly.entry,
      format: ['esm'],
      dts: esmOnly.dts,
      external: esmOnly.external ?? [],
    })
  return defineConfig(configs)
}
