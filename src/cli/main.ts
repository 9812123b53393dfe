#!/usr/bin/env node
// The `usage-vault` command (the package's bin): the service and the offline tools on a data
// folder. Each command lives in its own module; this one only assembles them and turns every
// outcome into the contract's exit status: 0 done, 1 a check failed or refused, 2 a usage error.
import { Command, CommanderError } from 'commander'
import { register as registerAgent } from './agent.js'
import { describeFailure, EXIT_OK, EXIT_USAGE } from './context.js'
import { register as registerExport } from './export.js'
import { register as registerImport } from './import.js'
import { register as registerPush } from './push.js'
import { register as registerRetention } from './retention.js'
import { register as registerServe } from './serve.js'
import { register as registerVerify } from './verify.js'

const program = new Command('usage-vault')
  .description('A versioned, retention-managed history of Claude usage snapshots')
  // Set before the commands are added: `command()` copies these settings to each of them.
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)')

for (const register of [registerServe, registerVerify, registerRetention, registerExport, registerImport, registerPush, registerAgent]) {
  register(program)
}

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed the help or the usage message.
    process.exitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
  } else {
    const { exitCode, message } = describeFailure(error)
    process.stderr.write(`usage-vault: ${message}\n`)
    process.exitCode = exitCode
  }
}
