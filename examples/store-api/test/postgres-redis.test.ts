import { describe } from 'vitest'
import { hostileSuite } from './support/hostile-suite.js'
import { invalidationSuite } from './support/invalidation-suite.js'
import { openapiSuite } from './support/openapi-suite.js'
import { opsSuite } from './support/ops-suite.js'
import { resourcesSuite } from './support/resources-suite.js'
import { useStack } from './support/stack.js'
import { stockSuite } from './support/stock-suite.js'

// DATABASE_URL=postgres://…: the same suite on PostgreSQL (own schema) + Redis with L1.
describe('postgres + redis', () => {
  const stack = useStack('postgres+redis', { l1: true })
  resourcesSuite(stack)
  stockSuite(stack)
  opsSuite(stack)
  invalidationSuite(stack)
  openapiSuite(stack)
  hostileSuite(stack)
})
