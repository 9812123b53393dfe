// The alert settings are checked at start: a bad one stops the start, naming the variable.
import t from 'tap'
import { alertThresholds, readEnv } from '../../src/config.js'

const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ DATA_DIR: '/nonexistent', ...extra })

t.test('the defaults: json, 80 and 95, 30 minutes, metrics on', async (t) => {
  const config = readEnv(env({}), { dotenv: false })
  t.match(config, { ALERT_WEBHOOK_FORMAT: 'json', ALERT_STALE_MINUTES: 30, METRICS_ENABLED: true })
  t.equal(config.ALERT_WEBHOOK_URL, undefined)
  t.same(alertThresholds(config), [80, 95])
  t.same(alertThresholds({ ALERT_THRESHOLDS: ' 95, 50,80,50, 99.5 ' }), [50, 80, 95, 99.5], 'sorted, each once')
  t.same(alertThresholds({ ALERT_THRESHOLDS: '' }), [], 'none')
  t.equal(readEnv(env({ ALERT_STALE_MINUTES: '0.5' }), { dotenv: false }).ALERT_STALE_MINUTES, 0.5)
})

t.test('bad values stop the start, naming the variable', async (t) => {
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ ALERT_WEBHOOK_URL: 'ftp://example.com/hook' }, /ALERT_WEBHOOK_URL must be an http/],
    [{ ALERT_WEBHOOK_URL: 'not a url' }, /ALERT_WEBHOOK_URL must be an http/],
    [{ ALERT_WEBHOOK_URL: 'https://user:pass@example.com/hook' }, /ALERT_WEBHOOK_URL must not hold a user or password/],
    [{ ALERT_WEBHOOK_FORMAT: 'teams' }, /ALERT_WEBHOOK_FORMAT/],
    [{ ALERT_THRESHOLDS: '80,abc' }, /ALERT_THRESHOLDS .*"abc"/],
    [{ ALERT_THRESHOLDS: '0,50' }, /ALERT_THRESHOLDS .*"0"/],
    [{ ALERT_THRESHOLDS: '101' }, /ALERT_THRESHOLDS .*"101"/],
    [{ ALERT_STALE_MINUTES: '-1' }, /ALERT_STALE_MINUTES/],
    [{ METRICS_ENABLED: 'maybe' }, /METRICS_ENABLED/]
  ]
  for (const [extra, message] of refused) t.throws(() => readEnv(env(extra), { dotenv: false }), { name: 'ConfigError', message }, JSON.stringify(extra))
})
