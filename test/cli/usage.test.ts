// The command line's own behaviour: --help on every command, and usage errors answered with
// status 2 and a hint, so a shell script can tell a mistake in its call from a failed check.
import t from 'tap'
import { runCli } from '../ops/lib.js'

const COMMANDS = ['serve', 'verify', 'retention', 'export', 'import', 'push', 'agent']

t.test('--help works on the program and on every command, with status 0', async (t) => {
  const top = await runCli(['--help'])
  t.equal(top.code, 0)
  for (const command of COMMANDS) t.match(top.stdout, new RegExp(`\\n\\s+${command}\\b`), `lists ${command}`)
  const helps = await Promise.all(COMMANDS.map(async (command) => await runCli([command, '--help'])))
  COMMANDS.forEach((command, index) => {
    t.equal(helps[index]?.code, 0, `${command} --help`)
    t.match(helps[index]?.stdout, new RegExp(`^Usage: usage-vault ${command}`), `${command} --help describes it`)
  })
})

t.test('usage errors exit 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /Usage: usage-vault/],
    [['bogus'], /unknown command 'bogus'/],
    [['verify', '--nope'], /unknown option '--nope'/],
    [['import'], /missing required argument 'source'/],
    [['push'], /missing required argument 'file'/],
    [['export', 'extra'], /too many arguments/]
  ]
  const results = await Promise.all(cases.map(async ([args]) => await runCli(args)))
  cases.forEach(([args, message], index) => {
    t.equal(results[index]?.code, 2, `usage-vault ${args.join(' ')}: status 2 (${results[index]?.stderr ?? ''})`)
    t.match(results[index]?.stderr, message)
  })
})

t.test('a bad configuration variable is a usage error that names it', async (t) => {
  const result = await runCli(['verify', '--data-dir', '/nonexistent'], { env: { RETENTION_DAYS: '-1' } })
  t.equal(result.code, 2)
  t.match(result.stderr, /RETENTION_DAYS/)
})
