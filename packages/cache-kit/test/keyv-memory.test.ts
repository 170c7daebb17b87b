import { keyvStore } from '@hotpath/cache-kit/keyv'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
import Keyv from 'keyv'

let n = 0
storeBehaviour('keyv in-memory', {
  store: () => keyvStore(new Keyv(), { shared: false }),
  prefix: () => `t${++n}`,
})
