// The configuration of contract section 2: defaults, types, and a bad value refused before the
// service starts, with a message naming the variable; through the app (plugins/env.ts) and readEnv.
import t from 'tap'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, corsOrigins, readEnv, usageTimeZone } from '../../src/config.js'
import { build } from '../helper.js'

t.test('defaults, as the contract lists them', async (t) => {
  const app = await build(t)
  t.match(app.config, {
    PORT: 4000,
    HOST: '0.0.0.0',
    RETENTION_MAX_VERSIONS: 100,
    RETENTION_DAYS: 7,
    STALE_AFTER_MINUTES: 10,
    CORS_ORIGINS: ''
  })
  t.equal(app.config.CLAUDE_READ_API_KEY, undefined)
  t.equal(app.config.TLS_CERT_FILE, undefined)
  t.same(readEnv({}, { dotenv: false }).DATA_DIR, './data')
  t.equal(readEnv({}, { dotenv: false }).LOG_LEVEL, 'info')
})

t.test('values are read with their types, and reach the store', async (t) => {
  const app = await build(t, {
    env: { PORT: '8080', RETENTION_MAX_VERSIONS: '12', RETENTION_DAYS: '2.5', STALE_AFTER_MINUTES: '3', CORS_ORIGINS: ' https://a.example , ,https://b.example' }
  })
  t.match(app.config, { PORT: 8080, RETENTION_MAX_VERSIONS: 12, RETENTION_DAYS: 2.5, STALE_AFTER_MINUTES: 3 })
  t.same(app.store.retention, { maxVersions: 12, days: 2.5 })
  t.same(corsOrigins(app.config), ['https://a.example', 'https://b.example'])
})

t.test('USAGE_TIMEZONE: an IANA name, else the service\'s own zone', async (t) => {
  t.equal(usageTimeZone(readEnv({ USAGE_TIMEZONE: 'America/New_York' }, { dotenv: false })), 'America/New_York')
  t.equal(usageTimeZone(readEnv({}, { dotenv: false })), new Intl.DateTimeFormat().resolvedOptions().timeZone)
})

const bad: Array<[string, Record<string, string | undefined>, RegExp]> = [
  ['a port that is not a number', { PORT: 'abc' }, /PORT/],
  ['a port out of range', { PORT: '70000' }, /PORT/],
  ['a negative retention count', { RETENTION_MAX_VERSIONS: '-1' }, /RETENTION_MAX_VERSIONS/],
  ['a retention count of zero', { RETENTION_MAX_VERSIONS: '0' }, /RETENTION_MAX_VERSIONS/],
  ['a fractional retention count', { RETENTION_MAX_VERSIONS: '2.5' }, /RETENTION_MAX_VERSIONS/],
  ['negative retention days', { RETENTION_DAYS: '-1' }, /RETENTION_DAYS/],
  ['retention days that are not a number', { RETENTION_DAYS: 'week' }, /RETENTION_DAYS/],
  ['a staleness of zero', { STALE_AFTER_MINUTES: '0' }, /STALE_AFTER_MINUTES/],
  ['an unknown log level', { LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
  ['an empty data folder', { DATA_DIR: '' }, /DATA_DIR/],
  ['a certificate without its key', { TLS_CERT_FILE: '/etc/cert.pem' }, /TLS_CERT_FILE.*TLS_KEY_FILE/],
  ['a key without its certificate', { TLS_KEY_FILE: '/etc/key.pem' }, /TLS_KEY_FILE.*TLS_CERT_FILE/],
  ['an unknown time zone', { USAGE_TIMEZONE: 'Mars/Olympus_Mons' }, /USAGE_TIMEZONE "Mars\/Olympus_Mons"/],
  ['a database URL of another kind', { DATABASE_URL: 'mysql://vault:hunter2@db.example/vault' }, /DATABASE_URL/],
  ['a database URL without a host', { DATABASE_URL: 'postgres:vault' }, /DATABASE_URL/],
  ['a schema that is not a plain identifier', { DATABASE_SCHEMA: 'Vault"; DROP' }, /DATABASE_SCHEMA/],
  ['a database without a write key', { DATABASE_URL: 'postgres://vault@127.0.0.1:1/vault', CLAUDE_SYNC_API_KEY: undefined }, /CLAUDE_SYNC_API_KEY/]
]

t.test('a refused database URL is not repeated: it may hold a password', async (t) => {
  t.throws(() => readEnv({ DATABASE_URL: 'mysql://vault:hunter2@db.example/vault' }, { dotenv: false }), { message: /^(?!.*hunter2)/ })
  t.equal(readEnv({}, { dotenv: false }).DATABASE_SCHEMA, 'usage_vault')
})

for (const [what, env, names] of bad) {
  t.test(`${what} stops the start, naming the variable`, async (t) => {
    t.throws(() => readEnv(env, { dotenv: false }), { name: 'ConfigError', message: names })
    // The test helper hands LOG_LEVEL to the logger before the app validates it; the server does not.
    if (env.LOG_LEVEL !== undefined) return
    const error = await build(t, { env }).then(() => null, (e: unknown) => e)
    t.ok(error instanceof Error, 'the app does not start')
    t.match((error as Error).message, names)
  })
}

t.test('a .env file is read, and the environment overrides it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'usage-vault-env-'))
  await writeFile(join(dir, '.env'), 'RETENTION_DAYS=3\nPORT=5001\n')
  const cwd = process.cwd()
  process.chdir(dir)
  t.teardown(() => process.chdir(cwd))
  t.match(readEnv({}, { dotenv: true }), { RETENTION_DAYS: 3, PORT: 5001 })
  t.match(readEnv({ PORT: '5002' }, { dotenv: true }), { RETENTION_DAYS: 3, PORT: 5002 })
  t.type(new ConfigError('x'), Error)
})
