// Entry point of the one binary: the node agent (`sky _agent ...`), a cloud node releasing its own
// instances on autostop (`sky _cloud release ...`), a node's SSH server (`sky _sshd`), the SSH
// proxy command (`sky _ssh-proxy`), or the CLI (everything else, including
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
} else if (argv[0] === '_sshd') {
  // A node's SSH endpoint where the node has no sshd (Kubernetes pods): src/core/agent/sshd.ts.
  const { runSshd } = await import('./core/agent/sshd')
  process.exit(await runSshd(argv.slice(1)))
} else if (argv[0] === '_ssh-proxy') {
  // ProxyCommand of `ssh <cluster>` for such nodes: a byte stream through the API server.
  const { runSshProxy } = await import('./cli/ssh-proxy')
  process.exit(await runSshProxy(argv.slice(1)))
} else {
  const { runCli } = await import('./cli/main')
  await runCli(argv)
}

export {}
