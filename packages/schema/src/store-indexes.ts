import type { StoreTable } from './tables.js'

/** One secondary index of the store schema, with the query it serves. */
export interface StoreIndex {
  readonly table: StoreTable
  readonly columns: readonly string[]
  /** The query (or constraint check) this index exists for. */
  readonly serves: string
}

const list = (table: StoreTable, columns: readonly string[], serves: string): StoreIndex => ({
  table,
  columns,
  serves,
})

/**
 * The secondary indexes the index migration builds (names from `indexName(table, columns)`).
 * Company-leading composites end in the sort key and `id`, so a tenant's keyset page is one index
 * range scan; the report's single-column indexes are kept unless one of these starts with them.
 */
export const STORE_INDEXES: readonly StoreIndex[] = [
  list('companies', ['name'], 'admin: company lookup by name'),
  list('companies', ['is_active'], 'admin: active companies (report)'),
  list('companies', ['created_at', 'id'], 'admin: companies ordered by created_at (keyset)'),
  list('shops', ['company_id', 'is_active'], 'shops?is_active= (report composite)'),
  list('shops', ['company_id', 'created_at', 'id'], 'GET /api/shops default order, keyset'),
  list('shops', ['company_id', 'name', 'id'], 'GET /api/shops?ordering=name'),
  list('shops', ['name'], 'shop lookup by name (report)'),
  list('shops', ['city'], 'shops by city (report)'),
  list('shops', ['is_active'], 'active shops across companies (report)'),
  list('categories', ['company_id', 'name', 'id'], 'GET /api/categories ordered by name'),
  list('suppliers', ['company_id', 'name', 'id'], 'GET /api/suppliers ordered by name'),
  list('warehouses', ['company_id', 'name', 'id'], 'GET /api/warehouses ordered by name'),
  list('users', ['company_id', 'created_at', 'id'], 'a company’s users, newest first'),
  list(
    'products',
    ['company_id', 'created_at', 'id'],
    'GET /api/products default order (-created_at), keyset',
  ),
  list(
    'products',
    ['company_id', 'name', 'id'],
    'GET /api/products?ordering=name and ?search= (name prefix)',
  ),
  list(
    'products',
    ['company_id', 'sale_price', 'id'],
    'GET /api/products?ordering=sale_price, min_price/max_price',
  ),
  list('products', ['category_id'], 'products?category=, FK check on category delete'),
  list('products', ['supplier_id'], 'products?supplier=, FK check on supplier delete'),
  list('products', ['name'], 'product lookup by name (report)'),
  list('products', ['sku'], 'product lookup by sku (report)'),
  list('products', ['is_active'], 'active products (report)'),
  list('products', ['sale_price'], 'price ranges across companies (report)'),
  list('stocks', ['company_id', 'updated_at', 'id'], 'GET /api/stocks default order, keyset'),
  list('stocks', ['company_id', 'quantity', 'id'], 'GET /api/stocks?max_quantity= (low stock)'),
  list('stocks', ['warehouse_id'], 'stocks?warehouse=, FK check on warehouse delete'),
  list('stocks', ['quantity'], 'low stock across companies (report)'),
  list(
    'stock_movements',
    ['company_id', 'created_at', 'id'],
    'GET /api/stock-movements (keyset, since/until)',
  ),
  list('stock_movements', ['product_id', 'created_at', 'id'], 'stock-movements?product= newest first'),
  list('stock_movements', ['warehouse_id', 'created_at', 'id'], 'stock-movements?warehouse= newest first'),
  list('stock_movements', ['type'], 'movements by type (report)'),
  list('stock_movements', ['user_id'], 'movements by user, FK check on user delete'),
  list('stock_movements', ['created_at'], 'movements in a period across companies (report)'),
  list('invoices', ['company_id', 'created_at', 'id'], 'GET /api/invoices default order, since/until'),
  list('invoices', ['shop_id', 'created_at', 'id'], 'invoices?shop= newest first'),
  list('invoices', ['type'], 'invoices by type (report)'),
  list('invoices', ['status'], 'invoices by status (report)'),
  list('invoices', ['created_at'], 'invoices in a period across companies (report)'),
  list('invoice_lines', ['invoice_id'], 'the lines of an invoice'),
  list('invoice_lines', ['product_id'], 'FK check on product delete'),
  list('api_keys', ['company_id'], 'a company’s keys'),
  list('idempotency_keys', ['created_at'], 'purge of keys older than 24 h'),
]

/** An index the report lists, and the index that serves it here (itself, or one starting with its columns). */
export interface ReportIndex {
  readonly table: StoreTable
  readonly columns: readonly string[]
  /** Why it is not built on its own, when a wider index (or a unique constraint) starts with its columns. */
  readonly coveredBy?: string
}

const r = (table: StoreTable, columns: readonly string[], coveredBy?: string): ReportIndex =>
  coveredBy ? { table, columns, coveredBy } : { table, columns }

/**
 * The report's index list. Each entry exists in the catalog as an index whose leading columns are
 * exactly these (a database uses any leftmost prefix of an index as that index), which the tests check.
 */
export const REPORT_INDEXES: readonly ReportIndex[] = [
  r('companies', ['name']),
  r('companies', ['email'], 'companies_email_unique'),
  r('companies', ['is_active']),
  r('companies', ['created_at'], 'companies_created_at_id_index'),
  r('shops', ['company_id'], 'shops_company_id_is_active_index'),
  r('shops', ['name']),
  r('shops', ['city']),
  r('shops', ['is_active']),
  r('shops', ['company_id', 'is_active']),
  r('products', ['company_id'], 'products_company_id_created_at_id_index'),
  r('products', ['category_id']),
  r('products', ['supplier_id']),
  r('products', ['name']),
  r('products', ['sku']),
  r('products', ['is_active']),
  r('products', ['sale_price']),
  r('stocks', ['product_id'], 'stocks_product_id_warehouse_id_unique'),
  r('stocks', ['warehouse_id']),
  r('stocks', ['quantity']),
  r('stocks', ['product_id', 'warehouse_id'], 'stocks_product_id_warehouse_id_unique'),
  r('invoices', ['company_id'], 'invoices_company_id_number_unique'),
  r('invoices', ['shop_id'], 'invoices_shop_id_created_at_id_index'),
  r('invoices', ['type']),
  r('invoices', ['status']),
  r('invoices', ['created_at']),
  r('stock_movements', ['product_id'], 'stock_movements_product_id_created_at_id_index'),
  r('stock_movements', ['warehouse_id'], 'stock_movements_warehouse_id_created_at_id_index'),
  r('stock_movements', ['type']),
  r('stock_movements', ['user_id']),
  r('stock_movements', ['created_at']),
]

/** Single-column indexes an older schema may hold that a composite here makes redundant: the migration drops them. */
export const REDUNDANT_INDEXES: readonly {
  readonly table: StoreTable
  readonly columns: readonly string[]
}[] = REPORT_INDEXES.filter((i) => i.coveredBy?.endsWith('_index')).map(({ table, columns }) => ({
  table,
  columns,
}))
