// Kubernetes: pods as nodes, kubeconfig contexts as regions (`--infra k8s/<context>`). Static
// facts here; the provisioner, the capacity reader and the Kubernetes client load only on the
// server (the client itself from the cloud SDK bundle, never in the CLI's module graph).
import { join } from 'node:path'
import { paths } from '../../paths'
import { localAgentCommand } from '../agent-command'
import { withoutConnect } from '../handle'
import type { InfraDescriptor, SshHostEntry } from '../types'
import { resolveSettings } from './settings'

/** Where `ssh <cluster>`'s config finds the host keys of the cluster's pods (written at launch). */
export const userKnownHostsFile = (nameOnCloud: string): string => join(paths.generatedDir(), 'known_hosts', nameOnCloud)

export const kubernetes: InfraDescriptor = {
  name: 'kubernetes',
  displayName: 'Kubernetes',
  aliases: ['k8s'],
  kind: 'live',
  planRank: 0,
  regionsLabel: 'Allowed contexts',
  regionsNoun: 'Contexts',
  regionsAllowList: { key: 'allowed_contexts', ordered: true },
  // Pods cannot be stopped (autodown only); ports through Services; no bucket mounts or PVCs in this build.
  capabilities: { stop: false, spot: false, multiNode: true, ports: true, gpus: true, storage: false, containers: true, volumes: false, zones: false, images: true, disks: false, autostop: true },
  label: (region) => (region ? `Kubernetes (${region})` : 'Kubernetes'),
  check: async (ctx) => (await import('./check')).checkKubernetes(ctx),
  liveNodes: async (check) => (await import('./capacity')).kubeLiveNodes(check.regions ?? []),
  launchConfig: (region, taskConfig) => ({ ...resolveSettings(region, taskConfig) }),
  clientHandle: withoutConnect,
  // `ssh <cluster>`: OpenSSH talks to `sky _sshd` in the pod through the API server (sky _ssh-proxy).
  sshConfig(name, handle): SshHostEntry[] {
    const sky = localAgentCommand()
      .map((w) => `'${w.replaceAll("'", `'\\''`)}'`)
      .join(' ')
      .replaceAll('%', '%%')
    return handle.nodes.map((n, rank) => {
      const alias = rank === 0 ? name : `${name}-worker${rank}`
      const c = n.connect as { facts?: { user?: string }; hostKey?: string } | undefined
      const e: SshHostEntry = { alias, hostName: n.id, user: c?.facts?.user ?? 'root', port: 22, proxyCommand: `${sky} _ssh-proxy ${name} --rank ${rank}` }
      // The pods' host keys, read through exec at launch: checked strictly.
      if (c?.hostKey) e.knownHostsFile = userKnownHostsFile(handle.nameOnCloud)
      return e
    })
  },
  load: async () => (await import('./provisioner')).kubernetesProvisioner,
}
