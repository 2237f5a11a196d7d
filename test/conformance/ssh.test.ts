// The conformance suite against the ssh provisioner: real OpenSSH servers, each in its own
// network namespace (or on its own loopback address), as a node pool in a throwaway SKY_HOME.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostId } from '../../src/core/provision/ssh/probe'
import { sshTag } from '../../src/core/provision/ssh/provisioner'
import type { LaunchedResources } from '../../src/core/provision/types'
import { SshRunner } from '../../src/core/runner/ssh'
import { startSshHosts } from '../harness/sshd'
import { baseResources, conformance } from './suite'

conformance(async () => {
  const hosts = await startSshHosts(2)
  const user = hosts.hosts[0]!.user
  writeFileSync(
    join(process.env.SKY_HOME!, 'ssh_node_pools.yaml'),
    `conf:\n  user: ${user}\n  identity_file: ${hosts.keyPath}\n  hosts:\n${hosts.hosts.map((h) => `    - {ip: ${h.ip}, port: ${h.port}}\n`).join('')}`,
  )
  const ids = hosts.hosts.map((h) => hostId({ host: h.ip, port: h.port }))
  const base = (numNodes: number): LaunchedResources => ({ ...baseResources('ssh', 'conf', numNodes), hosts: ids.slice(0, numNodes) })
  return {
    infra: 'ssh',
    resources: base,
    tooBig: () => ({ ...base(1), cpus: 100_000 }),
    async leftovers(nameOnCloud) {
      const out: string[] = []
      for (const h of hosts.hosts) {
        const r = new SshRunner({ host: h.ip, port: h.port, user: h.user, identityFile: hosts.keyPath })
        try {
          const owner = (await r.run('head -1 ~/.sky-runtime/owner 2>/dev/null || true')).stdout.trim()
          if (owner === nameOnCloud) out.push(`${h.ip}: claimed`)
          const tagged = await r.run(`grep -slzx 'SKY_AGENT_CLUSTER_TAG=${sshTag(nameOnCloud)}' /proc/[0-9]*/environ 2>/dev/null || true`)
          for (const f of tagged.stdout.split('\n').filter(Boolean)) out.push(`${h.ip}: ${f}`)
        } finally {
          await r.close()
        }
      }
      return out
    },
    childEnv: () => ({ SKY_HOME: process.env.SKY_HOME! }),
    cleanup: () => hosts.stop(),
  }
})
