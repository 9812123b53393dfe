// Keys shorter than 16 characters stop the start, naming the variable (contract section 2).
import t from 'tap'
import { ConfigError, readEnv } from '../../src/config.js'
import { build } from '../helper.js'

t.test('a one-character write key or a short read key stops the start, naming the variable', async (t) => {
  t.throws(() => readEnv({ CLAUDE_SYNC_API_KEY: 'x' }, { dotenv: false }), { name: 'ConfigError', message: /CLAUDE_SYNC_API_KEY/ })
  t.throws(() => readEnv({ CLAUDE_SYNC_API_KEY: 'fifteen-chars-x' }, { dotenv: false }), ConfigError)
  t.throws(() => readEnv({ CLAUDE_READ_API_KEY: 'reader' }, { dotenv: false }), { message: /CLAUDE_READ_API_KEY/ })
  t.equal(readEnv({ CLAUDE_SYNC_API_KEY: 'sixteen-chars-xx' }, { dotenv: false }).CLAUDE_SYNC_API_KEY, 'sixteen-chars-xx', '16 characters are enough')
  await t.rejects(build(t, { env: { CLAUDE_SYNC_API_KEY: 'k' } }), { message: /CLAUDE_SYNC_API_KEY/ }, 'the app does not start either')
})
