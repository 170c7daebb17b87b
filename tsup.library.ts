import { defineConfig } from 'tsup'

/** The build every published package shares: ESM + CJS + `.d.ts` per entry, for Node 20. */
export function libraryConfig(entry: Record<string, string>) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
  })
}
