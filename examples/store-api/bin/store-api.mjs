#!/usr/bin/env node
// The file npm links as `store-api`. It is committed, not built: npm links a workspace's bins at
// `npm ci` time, before any build, and skips a bin whose file does not exist yet.
const cli = new URL('../dist/cli.js', import.meta.url)
try {
  await import(cli.href)
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(cli.pathname)) throw error
  process.stderr.write('store-api: the package is not built yet; run `npm run build` first\n')
  process.exit(1)
}
