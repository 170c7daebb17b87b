/** Option defaults of `paginate`, resolved in one place. */
export const DEFAULTS = {
  /** The tiebreaker column. */
  unique: 'id',
  /** How long a cached count or page boundary lives (ms): 5 minutes. */
  cacheTtl: 300_000,
  /** `smart`: below this many rows the count is exact. */
  countThreshold: 10_000,
  /** `smart`: a page boundary is kept every this many pages. */
  checkpointEvery: 10,
} as const
