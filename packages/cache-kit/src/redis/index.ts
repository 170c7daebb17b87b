export { type RedisStoreOptions, redisStore } from '../stores/redis.js'
