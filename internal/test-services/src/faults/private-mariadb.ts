import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type ControlledService, startProcessService } from './process-service.js'

const run = promisify(execFile)

/**
 * Starts a MariaDB server of this test's own (fresh data directory, free loopback port, root without
 * password, database `test`), to stop and restart without disturbing the shared one. Needs
 * `mariadb-install-db` and `mariadbd` on the machine.
 */
export async function startPrivateMariaDb(): Promise<ControlledService> {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-mariadb-'))
  const data = join(dir, 'data')
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--user=root',
  ])
  let created = false
  return startProcessService({
    command: '/usr/sbin/mariadbd',
    args: (port) => [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'sock')}`,
      '--user=root',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=64M',
    ],
    url: (port) => `mysql://root@127.0.0.1:${port}/test`,
    ready: async (port) => {
      const sql = created ? 'select 1' : 'create database if not exists test'
      await run('mariadb', ['-h127.0.0.1', `-P${port}`, '-uroot', '-e', sql], { timeout: 2000 })
      created = true
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  })
}
