import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/**
 * `npm run test:resilience`: the resilience and security suite, apart from `npm test`.
 * Files run one after another: each drives its own store API processes under load on this
 * 2-core machine, and parallel files would measure each other.
 */
export default defineConfig({
  resolve: {
    alias: [{ find: /^@hotpath\/cache-kit$/, replacement: here('../../packages/cache-kit/src/index.ts') }],
  },
  test: {
    name: 'resilience',
    root: here('.'),
    include: ['scenarios/**/*.test.ts'],
    // run-guard: server binaries present, and nothing left behind afterwards (processes, temp files).
    globalSetup: [here('support/run-guard.ts'), here('../../internal/test-services/src/global-setup.ts')],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
})
