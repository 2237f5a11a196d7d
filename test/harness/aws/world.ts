// Everything sky needs to run AWS clusters against moto, for conformance, e2e tests and benches:
// moto + the fault proxy, sshd hosts for the instances (each with its own home and network
// namespace, `ubuntu` as a login alias), the SSH mapping as `aws.ssh_proxy_command`, instances'
// private IPs answered by their hosts (node-to-node traffic on private IPs), power (a stopped or
// terminated instance's processes die), and an EC2 endpoint nodes can reach too (a relay on the
// sshd bridge, so the head's own autostop calls reach moto). Needs root (network namespaces): it
// fails, saying so, without.
import { startAwsPeer, type AwsPeer } from './peer.ts'
import { createSshMapping, type SshMapping } from '../cloud/ssh-map.ts'
import { watchPower, type PowerWatcher } from '../cloud/power.ts'
import { requireRoot, startBridgeRelay } from '../cloud/relay.ts'
import { startSshHosts, type SshHosts } from '../sshd.ts'
import { describeInstances } from './ec2-raw.ts'

export interface AwsWorld {
  peer: AwsPeer
  hosts: SshHosts
  map: SshMapping
  power: PowerWatcher
  /** EC2 endpoint for sky (the API server and the nodes): a relay to the fault proxy on the hosts' bridge. */
  endpoint: string
  /** Standard AWS environment pointing at `endpoint`. */
  env: Record<string, string>
  /** The `aws:` config section (ssh_proxy_command etc.) as YAML lines, plus `extra`. */
  configYaml(extra?: string): string
  /** Instances moto holds for a cluster (by its name on cloud), any state. */
  instances(nameOnCloud: string, region?: string): Promise<Awaited<ReturnType<typeof describeInstances>>>
  stop(): Promise<void>
}

export const MOTO_VPC_CIDR = '172.31.0.0/16'

export async function startAwsWorld(o: { hosts?: number; regions?: string[] } = {}): Promise<AwsWorld> {
  requireRoot('AWS')
  const regions = o.regions ?? ['us-east-1', 'us-east-2', 'us-west-2']
  const peer = await startAwsPeer()
  const hosts = await startSshHosts(o.hosts ?? 4, { loginAliases: ['ubuntu'], mode: 'netns' })
  if (hosts.mode !== 'netns') {
    await hosts.stop()
    await peer.stop()
    throw new Error(`The AWS cluster tests need sshd hosts in network namespaces: ${hosts.fallbackReason ?? 'not available'}.`)
  }
  const map = createSshMapping({ hosts, ec2: { endpoint: peer.moto.endpoint, regions }, privateNetwork: { cidr: MOTO_VPC_CIDR } })
  const power = watchPower(hosts, map, [{ kind: 'ec2', endpoint: peer.moto.endpoint, regions }])
  // The hosts' namespaces reach this one through the bridge address (10.213.k.254).
  const relay = startBridgeRelay(hosts, peer.endpoint)
  const endpoint = relay.endpoint
  const env = { ...peer.env, AWS_ENDPOINT_URL_EC2: endpoint, AWS_ENDPOINT_URL: endpoint }
  return {
    peer,
    hosts,
    map,
    power,
    endpoint,
    env,
    configYaml: (extra = '') => `aws:\n  ssh_proxy_command: ${JSON.stringify(map.proxyCommand)}\n${extra}`,
    async instances(nameOnCloud, region = 'us-east-1') {
      return (await describeInstances(peer.moto.endpoint, region)).filter((i) => i.tags['skypilot-cluster-name'] === nameOnCloud)
    },
    async stop() {
      power.stop()
      relay.stop()
      map.stop()
      await hosts.stop()
      await peer.stop()
    },
  }
}
