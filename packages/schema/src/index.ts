export {
  type CreateIndexResult,
  createIndex,
  type DropIndexSpec,
  dropIndex,
  type IndexSpec,
  listIndexes,
} from './create-index.js'
export type { DialectName, IndexInfo } from './dialects/dialect.js'
export { SchemaError, type SchemaErrorCode } from './errors.js'
export { indexName } from './index-name.js'
export {
  STORE_MIGRATION_NAMES,
  type StoreMigrationName,
  type StoreMigrationsOptions,
  storeMigrations,
} from './migration-source.js'
export {
  REDUNDANT_INDEXES,
  REPORT_INDEXES,
  type ReportIndex,
  STORE_INDEXES,
  type StoreIndex,
} from './store-indexes.js'
export {
  INVOICE_STATUSES,
  INVOICE_TYPES,
  MOVEMENT_TYPES,
  STORE_COLUMNS,
  STORE_TABLES,
  type StoreTable,
} from './tables.js'
