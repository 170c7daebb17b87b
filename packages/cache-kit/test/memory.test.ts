import { memoryStore } from '@hotpath/cache-kit'
import { storeBehaviour } from './suite/store-behaviour.js'

let n = 0
storeBehaviour('memory', { store: () => memoryStore(), prefix: () => `m${++n}` })
