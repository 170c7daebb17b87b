import { fileURLToPath } from 'node:url'
import type { TestProjectInlineConfiguration } from 'vitest/config'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// Tests import the packages by their public names; these aliases point those names at the sources,
// so `npm test` needs no build. The built output is checked separately (test/types, package tests).
const alias = [
  { find: /^@hotpath\/cache-kit\/express$/, replacement: here('./packages/cache-kit/src/express/index.ts') },
  {
    find: /^@hotpath\/cache-kit\/prometheus$/,
    replacement: here('./packages/cache-kit/src/prometheus/index.ts'),
  },
  {
    find: /^@hotpath\/cache-kit\/test-suite$/,
    replacement: here('./packages/cache-kit/src/test-suite/index.ts'),
  },
  { find: /^@hotpath\/cache-kit$/, replacement: here('./packages/cache-kit/src/index.ts') },
  { find: /^@hotpath\/paginate$/, replacement: here('./packages/paginate/src/index.ts') },
  { find: /^@hotpath\/schema$/, replacement: here('./packages/schema/src/index.ts') },
]

const services = here('./internal/test-services/src/global-setup.ts')
const cluster = here('./internal/test-services/src/cluster-setup.ts')

function project(
  name: string,
  root: string,
  extra: { globalSetup?: string[] } = {},
): TestProjectInlineConfiguration {
  return {
    resolve: { alias },
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
  project('store-api', './examples/store-api'),
  project('test-services', './internal/test-services', { globalSetup: [cluster] }),
] satisfies TestProjectInlineConfiguration[]
