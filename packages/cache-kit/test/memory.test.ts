import { memoryStore } from '@hotpath/cache-kit'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'

let n = 0
storeBehaviour('memory', { store: () => memoryStore(), prefix: () => `m${++n}` })
