import type { Knex } from 'knex'

/** The three databases this package speaks. */
export type DialectName = 'sqlite' | 'mysql' | 'postgres'

/** What an index looks like in the catalog. */
export interface IndexInfo {
  /** Index name as the catalog stores it. */
  readonly name: string
  /** Table the index belongs to. */
  readonly table: string
  /** Indexed columns, in key order. */
  readonly columns: readonly string[]
  /** True for unique indexes and unique constraints (primary keys included). */
  readonly unique: boolean
  /** True when the index backs the primary key. */
  readonly primary: boolean
  /** False for a PostgreSQL index left invalid by a failed concurrent build (always true elsewhere). */
  readonly valid: boolean
}

/** A normalised EXPLAIN, before the package adds its own fields. */
export interface DialectPlan {
  readonly fullScan: boolean
  readonly scannedTables: readonly string[]
  readonly indexes: readonly string[]
  readonly rowsEstimate: number | null
  readonly raw: unknown
}

/** Everything that differs between the databases, behind one interface (one file per dialect). */
export interface SqlDialect {
  readonly name: DialectName
  /** Adds a UTC, millisecond-precision timestamp column (optionally defaulting to now). */
  timestamp(
    knex: Knex,
    table: Knex.CreateTableBuilder,
    column: string,
    defaultNow: boolean,
  ): Knex.ColumnBuilder
  /**
   * The statement that makes a NOT NULL `varchar(length)` column compare byte for byte (`exact`), or
   * go back to the table's default collation. Absent where text already compares exactly
   * (SQLite's BINARY, PostgreSQL's deterministic collations).
   */
  readonly exactTextSql?: (
    knex: Knex,
    column: { readonly table: string; readonly column: string; readonly length: number },
    exact: boolean,
  ) => Knex.Raw
  /** Indexes on `table`, read from the catalog. */
  listIndexes(knex: Knex, table: string): Promise<IndexInfo[]>
  /** The statement that builds an index online where the database can. */
  createIndexSql(knex: Knex, spec: ResolvedIndexSpec): Knex.Raw
  /**
   * One statement that builds several indexes of one table in a single pass over it, where the
   * database can (MySQL: one ALTER TABLE, one scan of the clustered index). Absent: one by one.
   */
  readonly createIndexesSql?: (knex: Knex, table: string, specs: readonly ResolvedIndexSpec[]) => Knex.Raw
  /** The statement that drops an index online where the database can. */
  dropIndexSql(knex: Knex, table: string, name: string, online: boolean): Knex.Raw
  /** True when building online needs the caller to be outside a transaction (PostgreSQL). */
  readonly onlineNeedsNoTransaction: boolean
  /** Runs the database's EXPLAIN on `sql` and normalises it. */
  explain(knex: Knex, sql: string, bindings: readonly Knex.RawBinding[]): Promise<DialectPlan>
  /** True for the error a database raises when an index cannot go because a foreign key needs it (MySQL). */
  isIndexNeededByForeignKey(error: unknown): boolean
  /**
   * Renders a value as an SQL literal, for dialects where building the text beats binding
   * (MySQL: its driver would interpolate client-side anyway). Absent: bind parameters.
   */
  readonly literal?: (value: string | number | boolean | Date | null) => string
  /**
   * Statements that turn off the per-row foreign-key and secondary-unique checks for one session
   * during a bulk load of rows known to satisfy them (`enter`), then restore them (`leave`).
   * Absent: the dialect has no such session switch worth using (rows are checked as usual).
   */
  readonly bulkLoadSession?: { readonly enter: readonly string[]; readonly leave: readonly string[] }
  /** Most bound parameters one statement may carry (multi-row inserts are cut to fit). */
  readonly maxBindings: number
  /** After rows were inserted with explicit ids, moves the id generator past them (PostgreSQL sequences). */
  syncIdSequence(knex: Knex, table: string): Promise<void>
  /** Refreshes the optimizer statistics of `tables`. */
  analyze(knex: Knex, tables: readonly string[]): Promise<void>
}

/** An index spec with its name resolved. */
export interface ResolvedIndexSpec {
  readonly table: string
  readonly columns: readonly string[]
  readonly name: string
  readonly unique: boolean
  readonly online: boolean
}
