export {
  type AuditOptions,
  type AuditReport,
  type AuditResult,
  auditIndexes,
  type HotQuery,
} from './audit-indexes.js'
export {
  type CreateIndexResult,
  createIndex,
  createIndexes,
  type DropIndexSpec,
  dropIndex,
  type IndexSpec,
  listIndexes,
} from './create-index.js'
export type { DialectName, IndexInfo } from './dialects/dialect.js'
export { SchemaError, type SchemaErrorCode } from './errors.js'
export { type ExplainableQuery, explainQuery, type QueryPlan } from './explain-query.js'
export {
  type GenerateOptions,
  type GenerateProgress,
  type GenerateResult,
  generateStoreData,
} from './generate-store-data.js'
export { indexName } from './index-name.js'
export {
  STORE_MIGRATION_NAMES,
  type StoreMigrationName,
  type StoreMigrationsOptions,
  storeMigrations,
} from './migration-source.js'
export {
  type SeedIndexes,
  type SeedOptions,
  type SeedPhase,
  type SeedResult,
  seedStore,
} from './seed-store.js'
export { storeHotQueries } from './store-hot-queries.js'
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
  STORE_COLUMN_LIMITS,
  STORE_COLUMNS,
  STORE_TABLES,
  type StoreTable,
} from './tables.js'
