import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { ServiceName } from './provided.js'

const PROBE_TIMEOUT_MS = 3000

/** Connects once and runs a trivial query; rejects with the driver's error when the service does not answer. */
export async function probe(name: ServiceName, url: string): Promise<void> {
  if (name === 'redis') return probeRedis(url)
  if (name === 'mysql') return probeMysql(url)
  return probePostgres(url)
}

async function probeRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
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

async function probeMysql(url: string): Promise<void> {
  const conn = await mysql.createConnection({ uri: url, connectTimeout: PROBE_TIMEOUT_MS })
  try {
    await conn.query('select 1')
  } finally {
    await conn.end()
  }
}

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('select 1')
  } finally {
    await client.end()
  }
}
