export { type KeyvStoreOptions, keyvStore } from '../stores/keyv.js'
