// Everything sky needs to run GCP clusters against the Compute test server, for conformance, e2e
// tests and benches: the server (in this process), sshd hosts for the instances (each with its
// own home and network namespace, `gcpuser` as a login alias), the SSH mapping as
// `gcp.ssh_proxy_command`, instances' internal IPs answered by their hosts (node-to-node traffic
// on internal IPs), power (a stopped or deleted instance's processes die), and a Compute endpoint
// the nodes can reach too (a relay on the sshd bridge, so the head's own autostop calls reach the
// server). Needs root (network namespaces): it fails, saying so, without.
//
// The server runs inside this process: never block it (Bun.spawnSync of ssh, rsync or sky) while
// something may dial an instance or call Compute.
import { createSshMapping, type SshMapping } from '../cloud/ssh-map.ts'
import { watchPower, type PowerWatcher } from '../cloud/power.ts'
import { requireRoot, startBridgeRelay } from '../cloud/relay.ts'
import { startSshHosts, type SshHosts } from '../sshd.ts'
import { createGceServer, type GceServer, type GceServerOptions } from './server.ts'

export interface GceWorld {
  gce: GceServer
  hosts: SshHosts
  map: SshMapping
  power: PowerWatcher
  /** Compute endpoint for sky (the API server and the nodes): a relay to the server on the hosts' bridge. */
  endpoint: string
  /** GOOGLE_COMPUTE_CUSTOM_ENDPOINT / GOOGLE_OAUTH_ACCESS_TOKEN / GOOGLE_CLOUD_PROJECT pointing at `endpoint`. */
  env: Record<string, string>
  /** The `gcp:` config section (ssh_proxy_command) as YAML lines, plus `extra`. */
  configYaml(extra?: string): string
  /** Instances of a cluster (by its name on cloud), as `instances.get` returns them. */
  instances(nameOnCloud: string): Record<string, any>[] // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>
}

/** GCE's internal addresses as the test server hands them out (default subnets in 10.128.0.0/10). */
export const GCE_INTERNAL_CIDR = '10.128.0.0/10'

export async function startGceWorld(o: { hosts?: number; server?: GceServerOptions } = {}): Promise<GceWorld> {
  requireRoot('GCP')
  const hosts = await startSshHosts(o.hosts ?? 4, { loginAliases: ['gcpuser'], mode: 'netns' })
  if (hosts.mode !== 'netns') {
    await hosts.stop()
    throw new Error(`The GCP cluster tests need sshd hosts in network namespaces: ${hosts.fallbackReason ?? 'not available'}.`)
  }
  const gce = createGceServer(o.server)
  const map = createSshMapping({ hosts, gce: { endpoint: gce.endpoint, token: gce.token }, privateNetwork: { cidr: GCE_INTERNAL_CIDR } })
  const power = watchPower(hosts, map, [{ kind: 'gce', endpoint: gce.endpoint, token: gce.token }])
  // The hosts' namespaces reach this one through the bridge address (10.213.k.254).
  const relay = startBridgeRelay(hosts, gce.endpoint)
  const endpoint = relay.endpoint
  const env = { GOOGLE_COMPUTE_CUSTOM_ENDPOINT: `${endpoint}/compute/v1/`, GOOGLE_OAUTH_ACCESS_TOKEN: gce.token, GOOGLE_CLOUD_PROJECT: gce.project }
  return {
    gce,
    hosts,
    map,
    power,
    endpoint,
    env,
    configYaml: (extra = '') => `gcp:\n  ssh_proxy_command: ${JSON.stringify(map.proxyCommand)}\n${extra}`,
    instances: (nameOnCloud) => gce.instances().filter((i) => i.labels?.['skypilot-cluster-name'] === nameOnCloud),
    async stop() {
      power.stop()
      relay.stop()
      map.stop()
      await hosts.stop()
      await gce.stop()
    },
  }
}
