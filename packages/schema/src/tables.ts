/**
 * The store schema's tables and their columns, as typed constants: use them instead of string
 * literals so a renamed column is a compile error (`STORE_COLUMNS.products.salePrice` → `'sale_price'`).
 */
export const STORE_COLUMNS = {
  companies: { id: 'id', name: 'name', email: 'email', isActive: 'is_active', createdAt: 'created_at' },
  shops: {
    id: 'id',
    companyId: 'company_id',
    name: 'name',
    city: 'city',
    isActive: 'is_active',
    createdAt: 'created_at',
  },
  categories: { id: 'id', companyId: 'company_id', name: 'name' },
  suppliers: { id: 'id', companyId: 'company_id', name: 'name', email: 'email' },
  warehouses: { id: 'id', companyId: 'company_id', name: 'name', city: 'city' },
  products: {
    id: 'id',
    companyId: 'company_id',
    categoryId: 'category_id',
    supplierId: 'supplier_id',
    name: 'name',
    sku: 'sku',
    salePrice: 'sale_price',
    costPrice: 'cost_price',
    isActive: 'is_active',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
  stocks: {
    id: 'id',
    companyId: 'company_id',
    productId: 'product_id',
    warehouseId: 'warehouse_id',
    quantity: 'quantity',
    updatedAt: 'updated_at',
  },
  stock_movements: {
    id: 'id',
    companyId: 'company_id',
    productId: 'product_id',
    warehouseId: 'warehouse_id',
    type: 'type',
    quantity: 'quantity',
    reason: 'reason',
    userId: 'user_id',
    invoiceId: 'invoice_id',
    createdAt: 'created_at',
  },
  invoices: {
    id: 'id',
    companyId: 'company_id',
    shopId: 'shop_id',
    number: 'number',
    type: 'type',
    status: 'status',
    total: 'total',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
  invoice_lines: {
    id: 'id',
    invoiceId: 'invoice_id',
    companyId: 'company_id',
    productId: 'product_id',
    quantity: 'quantity',
    unitPrice: 'unit_price',
  },
  users: { id: 'id', companyId: 'company_id', email: 'email', name: 'name', createdAt: 'created_at' },
  api_keys: {
    id: 'id',
    companyId: 'company_id',
    keyHash: 'key_hash',
    keyPrefix: 'key_prefix',
    name: 'name',
    createdAt: 'created_at',
    lastUsedAt: 'last_used_at',
    revokedAt: 'revoked_at',
  },
  idempotency_keys: {
    id: 'id',
    companyId: 'company_id',
    idempotencyKey: 'idempotency_key',
    method: 'method',
    path: 'path',
    requestHash: 'request_hash',
    statusCode: 'status_code',
    responseBody: 'response_body',
    createdAt: 'created_at',
  },
} as const

/** A table of the store schema. */
export type StoreTable = keyof typeof STORE_COLUMNS

/** Every store table, parents before children (the order they are created in; drop in reverse). */
export const STORE_TABLES = [
  'companies',
  'shops',
  'categories',
  'suppliers',
  'warehouses',
  'users',
  'products',
  'stocks',
  'stock_movements',
  'invoices',
  'invoice_lines',
  'api_keys',
  'idempotency_keys',
] as const satisfies readonly StoreTable[]

/** Stock movement kinds: `in` adds to the stock, `out` takes from it, `adjust` sets a correction. */
export const MOVEMENT_TYPES = ['in', 'out', 'adjust'] as const
/** Invoice kinds. */
export const INVOICE_TYPES = ['sale', 'purchase', 'credit_note'] as const
/** Invoice lifecycle states. */
export const INVOICE_STATUSES = ['draft', 'issued', 'paid', 'cancelled'] as const

/**
 * The numeric ranges of the store's columns, which the migrations create them with: validate
 * against these (not literals of your own) and no accepted value can overflow a column.
 * `price`: `sale_price`, `cost_price`, `unit_price`; `invoiceTotal`: `invoices.total`;
 * `integerMax`: every `integer` column (quantities, stock, ids) — signed 32 bits on all three databases.
 */
export const STORE_COLUMN_LIMITS = {
  price: { precision: 12, scale: 2 },
  invoiceTotal: { precision: 14, scale: 2 },
  integerMax: 2_147_483_647,
} as const
