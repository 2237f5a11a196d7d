// Dev/test entry: `bun src/core/agent/cli-entry.ts [_agent] <subcommand> ...` runs the agent
// without the rest of the CLI. Set SKY_SELF_EXEC='["<bun>", "<this file>"]' so the daemon it
// starts comes back through here too.
import { runAgent } from './cli'

const argv = process.argv.slice(2)
process.exitCode = await runAgent(argv[0] === '_agent' ? argv.slice(1) : argv)
