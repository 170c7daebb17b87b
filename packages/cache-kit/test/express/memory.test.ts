import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { describeResponseCache } from './suite.js'

describeResponseCache(
  'the memory store',
  () => new CacheManager({ store: memoryStore(), prefix: 'http-mem' }),
)
