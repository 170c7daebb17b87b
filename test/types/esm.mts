// Type-level check: every published package resolves from `import` after `npm run build`.
import * as cacheKit from '@hotpath/cache-kit'
import * as paginate from '@hotpath/paginate'
import * as schema from '@hotpath/schema'

export const loaded: object[] = [cacheKit, paginate, schema]
