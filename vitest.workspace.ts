import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import type { Plugin, TestProjectInlineConfiguration } from 'vitest/config'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// Tests import the packages by their public names; these aliases point those names at the sources,
// so `npm test` needs no build. The built output is checked separately (test/types, package tests).
const alias = [
  { find: /^@hotpath\/cache-kit\/express$/, replacement: here('./packages/cache-kit/src/express/index.ts') },
  {
    find: /^@hotpath\/cache-kit\/prometheus$/,
    replacement: here('./packages/cache-kit/src/prometheus/index.ts'),
  },
  { find: /^@hotpath\/cache-kit\/redis$/, replacement: here('./packages/cache-kit/src/redis/index.ts') },
  { find: /^@hotpath\/cache-kit\/keyv$/, replacement: here('./packages/cache-kit/src/keyv/index.ts') },
  {
    find: /^@hotpath\/cache-kit\/test-suite$/,
    replacement: here('./packages/cache-kit/src/test-suite/index.ts'),
  },
  { find: /^@hotpath\/cache-kit$/, replacement: here('./packages/cache-kit/src/index.ts') },
  { find: /^@hotpath\/paginate$/, replacement: here('./packages/paginate/src/index.ts') },
  { find: /^@hotpath\/schema$/, replacement: here('./packages/schema/src/index.ts') },
]

/** A line that starts with a decorator (`@name` or `@name(`), not a JSDoc tag (those follow a `*`). */
const decoratorLine = /^\s*@[A-Za-z_$][\w$.]*\s*(?:\(|$)/m

/**
 * Compiles TypeScript files that use standard (TC39) decorators with esbuild, which lowers them;
 * Vite 8's Oxc transform does not (oxc-project/oxc#9170) and has no setting for it. Only files with
 * a decorator line go through esbuild; the rest keep Oxc. Runs before Vite's own transform, which
 * then sees plain JavaScript; the source map chains back to the `.ts` file.
 */
function standardDecorators(): Plugin {
  return {
    name: 'hotpath:standard-decorators',
    enforce: 'pre',
    transform: {
      filter: { id: /\.m?ts$/, code: decoratorLine },
      async handler(code, id) {
        if (id.includes('/node_modules/')) return null
        const out = await transform(code, {
          loader: 'ts',
          format: 'esm',
          target: 'es2022',
          sourcefile: id,
          sourcemap: 'external',
          tsconfigRaw: {
            compilerOptions: {
              experimentalDecorators: false,
              useDefineForClassFields: true,
              verbatimModuleSyntax: true,
            },
          },
        })
        return { code: out.code, map: out.map }
      },
    },
  }
}

const services = here('./internal/test-services/src/global-setup.ts')
const cluster = here('./internal/test-services/src/cluster-setup.ts')

function project(
  name: string,
  root: string,
  extra: { globalSetup?: string[]; decorators?: boolean } = {},
): TestProjectInlineConfiguration {
  return {
    resolve: { alias },
    plugins: extra.decorators ? [standardDecorators()] : [],
    test: {
      name,
      root: here(root),
      include: ['test/**/*.test.ts'],
      globalSetup: [services, ...(extra.globalSetup ?? [])],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  }
}

/** The test projects `npm test` runs: the three packages, the reference API and the harness's smoke tests. */
export default [
  project('cache-kit', './packages/cache-kit', { globalSetup: [cluster] }),
  project('paginate', './packages/paginate'),
  project('schema', './packages/schema'),
  // The service's controllers use standard decorators (`@cachedRead(...)`).
  project('store-api', './examples/store-api', { decorators: true, globalSetup: [cluster] }),
  project('test-services', './internal/test-services', { globalSetup: [cluster] }),
] satisfies TestProjectInlineConfiguration[]
