export { type PaginationCache, paginationTag } from './cache.js'
export { PaginationError, type PaginationErrorCode, type PaginationErrorStatus } from './errors.js'
export type {
  CachedOptions,
  CommonOptions,
  FastOptions,
  NumberedOptions,
  OptimizedOptions,
  PaginateOptions,
  SmartOptions,
  Strategy,
} from './options.js'
export type { OrderTerm } from './ordering.js'
export {
  KeysetPage,
  type KeysetPageJSON,
  NumberedPage,
  type NumberedPageJSON,
  type Page,
  type RelayConnection,
} from './page.js'
export { paginate } from './paginate.js'
export { type PageParams, type PageParamsOptions, parsePageParams } from './params.js'
