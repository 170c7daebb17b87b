// Type-level check: every published package resolves from `require` after `npm run build`.
import cacheKit = require('@hotpath/cache-kit')
import express = require('@hotpath/cache-kit/express')
import keyv = require('@hotpath/cache-kit/keyv')
import prometheus = require('@hotpath/cache-kit/prometheus')
import redis = require('@hotpath/cache-kit/redis')
import paginate = require('@hotpath/paginate')
import schema = require('@hotpath/schema')

export const loaded: object[] = [cacheKit, express, keyv, prometheus, redis, paginate, schema]
