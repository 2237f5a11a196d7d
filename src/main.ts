// Entry point of the one binary: the node agent (`sky _agent ...`) or the CLI (everything else,
// including `sky api start --foreground`, which runs the API server in this process).
const argv = process.argv.slice(2)

if (argv[0] === '_agent') {
  const { runAgent } = await import('./core/agent/index')
  process.exitCode = await runAgent(argv.slice(1))
} else {
  const { runCli } = await import('./cli/main')
  await runCli(argv)
}

export {}
