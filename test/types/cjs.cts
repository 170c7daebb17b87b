// Type-level check: every published package resolves from `require` after `npm run build`.
import cacheKit = require('@hotpath/cache-kit')
import paginate = require('@hotpath/paginate')
import schema = require('@hotpath/schema')

export const loaded: object[] = [cacheKit, paginate, schema]
