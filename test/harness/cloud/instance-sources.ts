// The instances the cloud test peers currently hold, seen the same way for EC2 (moto, queried
// directly: DescribeInstances per region) and GCE (the test server's side door, no call log):
// each with the addresses a client may dial, whether it is up, and the public keys it would
// authorize at boot (EC2: key pair and cloud-config user data; GCE: ssh-keys metadata).
import { describeInstances, describeRegions, instanceSshKeys } from '../aws/ec2-raw.ts'

/** Not part of the Compute API: the GCE test server lists its instances here (no call log, no faults). */
export const SIDE_DOOR = '/_sky_test/instances'

export type InstanceSource = { kind: 'ec2'; endpoint: string; regions?: string[] } | { kind: 'gce'; endpoint: string; token: string }

export interface KnownInstance {
  /** 'ec2:i-0abc…' or 'gce:<64-bit id>' */
  key: string
  /** For messages: 'ec2 i-0abc (us-east-1b)' */
  label: string
  addresses: string[]
  /** The address other instances of its network use (EC2 private IP, GCE networkIP). */
  privateIp?: string
  up: boolean
  /** running / stopped / terminated (EC2), RUNNING / TERMINATED / … (GCE) */
  status: string
  /** True when it will never come back (terminated / deleted). */
  gone: boolean
  sshKeys(): Promise<string[]>
}

async function ec2Instances(src: Extract<InstanceSource, { kind: 'ec2' }>): Promise<KnownInstance[]> {
  const regions = src.regions ?? (await describeRegions(src.endpoint))
  const perRegion = await Promise.all(regions.map((r) => describeInstances(src.endpoint, r)))
  return perRegion.flat().map((i) => ({
    key: `ec2:${i.id}`,
    label: `ec2 ${i.id} (${i.zone ?? i.region})`,
    addresses: [i.id, i.publicIp, i.privateIp].filter((a): a is string => !!a),
    ...(i.privateIp ? { privateIp: i.privateIp } : {}),
    up: i.state === 'running',
    status: i.state,
    gone: i.state === 'terminated' || i.state === 'shutting-down',
    sshKeys: () => instanceSshKeys(src.endpoint, i),
  }))
}

interface SideDoorInstance {
  id: string
  name: string
  zone: string
  status: string
  internalIps: string[]
  externalIps: string[]
  metadata: { key: string; value?: string }[]
}

/** `user:ssh-ed25519 AAAA… comment` lines of ssh-keys (and the legacy sshKeys) metadata. */
export function metadataKeys(items: { key: string; value?: string }[]): string[] {
  return items
    .filter((m) => m.key === 'ssh-keys' || m.key === 'sshKeys')
    .flatMap((m) => (m.value ?? '').split('\n'))
    .map((l) => l.trim().replace(/^[^:\s]+:(?=\S)/, ''))
    .filter((l) => /^(ssh-|ecdsa-)/.test(l))
}

async function gceInstances(src: Extract<InstanceSource, { kind: 'gce' }>): Promise<KnownInstance[]> {
  const r = await fetch(`${src.endpoint}${SIDE_DOOR}`, { headers: { authorization: `Bearer ${src.token}` } })
  if (!r.ok) throw new Error(`GCE test server ${src.endpoint}: HTTP ${r.status}`)
  const list = (await r.json()) as SideDoorInstance[]
  return list.map((i) => ({
    key: `gce:${i.id}`,
    label: `gce ${i.name} (${i.zone})`,
    addresses: [i.name, ...i.internalIps, ...i.externalIps],
    ...(i.internalIps[0] ? { privateIp: i.internalIps[0] } : {}),
    up: i.status === 'RUNNING',
    status: i.status,
    gone: false,
    sshKeys: async () => metadataKeys(i.metadata),
  }))
}

export async function knownInstances(sources: InstanceSource[]): Promise<KnownInstance[]> {
  const lists = await Promise.all(sources.map((s) => (s.kind === 'ec2' ? ec2Instances(s) : gceInstances(s))))
  return lists.flat()
}
