import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { describeResponseCache } from './support/suite.js'

const store = memoryStore()

describeResponseCache(
  'the memory store',
  () => new CacheManager({ store, prefix: 'http-mem' }),
  () => new CacheManager({ store, prefix: 'http-mem' }),
)
