import { keyvStore } from '@hotpath/cache-kit'
import Keyv from 'keyv'
import { storeBehaviour } from './suite/store-behaviour.js'

let n = 0
storeBehaviour('keyv in-memory', {
  store: () => keyvStore(new Keyv(), { shared: false }),
  prefix: () => `t${++n}`,
})
