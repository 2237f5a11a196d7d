// Entry point of the one binary: the node agent (`sky _agent ...`), a cloud node releasing its own
// instances on autostop (`sky _cloud release ...`), or the CLI (everything else, including
// `sky api start --foreground`, which runs the API server in this process).
const argv = process.argv.slice(2)

if (argv[0] === '_agent') {
  const { runAgent } = await import('./core/agent/index')
  process.exitCode = await runAgent(argv.slice(1))
} else if (argv[0] === '_serve-lb') {
  // A service's load balancer as its own process (src/core/serve/lb/process.ts).
  const { runServeLb } = await import('./core/serve/lb/process')
  process.exitCode = await runServeLb(argv.slice(1))
} else if (argv[0] === '_cloud') {
  const { runCloudCommand } = await import('./core/provision/cloud-vm/release')
  process.exitCode = await runCloudCommand(argv.slice(1))
} else {
  const { runCli } = await import('./cli/main')
  await runCli(argv)
}

export {}
