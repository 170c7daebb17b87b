import { libraryConfig } from '../../tsup.library'

export default libraryConfig(
  {
    index: 'src/index.ts',
    redis: 'src/redis/index.ts',
    keyv: 'src/keyv/index.ts',
    express: 'src/express/index.ts',
    prometheus: 'src/prometheus/index.ts',
  },
  // Vitest is ESM-only, so the suite is too; it imports the package by name to share its classes.
  { entry: { 'test-suite': 'src/test-suite/index.ts' }, dts: true, external: ['@hotpath/cache-kit'] },
)
