// Dev/test entry: `bun src/core/agent/cli-entry.ts [_agent] <subcommand> ...` runs the agent
// without the rest of the CLI (the daemon it starts runs through src/main.ts, which loads only
// the agent for `_agent`).
import { runAgent } from './cli'

const argv = process.argv.slice(2)
process.exitCode = await runAgent(argv[0] === '_agent' ? argv.slice(1) : argv)
