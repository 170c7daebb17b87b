import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { ServiceName } from './provided.js'

/** How long a probe of a URL the user set may take to connect. */
export const PROBE_TIMEOUT_MS = 3000

/**
 * Connects once and runs a trivial query; rejects with the driver's error when the service does not
 * answer within `timeoutMs` (connect time).
 */
export async function probe(name: ServiceName, url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  if (name === 'redis') return probeRedis(url, timeoutMs)
  if (name === 'mysql') return probeMysql(url, timeoutMs)
  return probePostgres(url, timeoutMs)
}

async function probeRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
  } finally {
    client.disconnect()
  }
}

async function probeMysql(url: string, timeoutMs: number): Promise<void> {
  const conn = await mysql.createConnection({ uri: url, connectTimeout: timeoutMs })
  try {
    await conn.query('select 1')
  } finally {
    await conn.end()
  }
}

async function probePostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('select 1')
  } finally {
    await client.end()
  }
}
