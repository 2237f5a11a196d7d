// Where an AWS cluster's instances go and who may reach them: the VPC (the region's default, or
// the one named by aws.vpc_name), a subnet of the launch zone, a security group per cluster
// (`sky-sg-<name on cloud>`: SSH plus the task's ports; or the shared aws.security_group_name),
// and the user's sky key imported as an EC2 key pair in the region. All idempotent, all found by
// name or tag, so a launch repeated after a crash reuses what the first one made.
import { CapacityError, InfraConfigError } from '../errors'
import { TAG_CLUSTER } from '../cloud-vm/driver'
import type { AwsSettings } from './config'
import { ec2, ec2All, endpointKey, tolerated, type EC2 } from './ec2'

export interface AwsNetwork {
  vpcId: string
  subnetId: string
  securityGroupId: string
  keyName: string
}

const TTL_MS = 10 * 60_000
const vpcs = new Map<string, { at: number; id: Promise<string> }>()
const subnets = new Map<string, { at: number; list: Promise<EC2.Subnet[]> }>()
const keys = new Map<string, Promise<void>>()

function cached<T>(m: Map<string, { at: number } & Record<string, unknown>>, key: string, field: string, make: () => Promise<T>): Promise<T> {
  const hit = m.get(key)
  if (hit && Date.now() - hit.at < TTL_MS) return hit[field] as Promise<T>
  const p = make()
  m.set(key, { at: Date.now(), [field]: p })
  p.catch(() => m.delete(key))
  return p
}

export function vpcOf(region: string, s: AwsSettings, signal?: AbortSignal): Promise<string> {
  return cached(vpcs as never, `${endpointKey()}|${region}/${s.vpcName ?? ''}`, 'id', async () => {
    const filter = s.vpcName ? { Name: 'tag:Name', Values: [s.vpcName] } : { Name: 'isDefault', Values: ['true'] }
    const out = await ec2(region, 'DescribeVpcs', { Filters: [filter] }, { signal })
    const vpc = out.Vpcs?.[0]?.VpcId
    if (!vpc) {
      const what = s.vpcName ? `No VPC named '${s.vpcName}' (aws.vpc_name) in ${region}` : `${region} has no default VPC`
      throw new InfraConfigError(`${what}.`, { infra: 'aws', region, scope: 'region', hint: s.vpcName ? 'Create it there, or set aws.vpc_name to a VPC that exists.' : 'Create a default VPC (aws ec2 create-default-vpc) or set aws.vpc_name.' })
    }
    return vpc
  })
}

/** A subnet of the VPC in `zone`: public (maps public IPs) unless internal IPs are used, then private first. */
export async function subnetOf(region: string, vpcId: string, zone: string, s: AwsSettings, signal?: AbortSignal): Promise<string> {
  const all = await cached(subnets as never, `${endpointKey()}|${region}/${vpcId}`, 'list', async () => (await ec2All(region, 'DescribeSubnets', { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }, { signal })).flatMap((p) => p.Subnets ?? []))
  const inZone = all.filter((x) => x.AvailabilityZone === zone && x.State !== 'pending')
  const pub = (x: EC2.Subnet) => x.MapPublicIpOnLaunch === true || x.DefaultForAz === true
  const pick = s.useInternalIps ? (inZone.find((x) => !pub(x)) ?? inZone[0]) : inZone.find(pub)
  if (!pick?.SubnetId) {
    const kind = s.useInternalIps ? 'a subnet' : 'a public subnet (one that maps public IPs; or set aws.use_internal_ips)'
    throw new CapacityError(`VPC ${vpcId} has no ${kind} in ${zone}.`, { infra: 'aws', region, zone })
  }
  return pick.SubnetId
}

const sgName = (nameOnCloud: string, s: AwsSettings) => s.securityGroupName ?? `sky-sg-${nameOnCloud}`

/** Security group ids this process made or found (region/name → id): failover over zones reuses them. */
const groupIds = new Map<string, string>()

async function findGroup(region: string, vpcId: string | null, name: string, signal?: AbortSignal): Promise<EC2.SecurityGroup | undefined> {
  const filters = [{ Name: 'group-name', Values: [name] }, ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [])]
  const pages = await ec2All(region, 'DescribeSecurityGroups', { Filters: filters }, { signal })
  return pages.flatMap((p) => p.SecurityGroups ?? [])[0]
}

/** `8080`, `9000-9010` → EC2 permissions open to the world (TCP). */
export function permissions(ports: string[]): EC2.IpPermission[] {
  return ports.map((p) => {
    const [a, b] = p.split('-').map(Number)
    return { IpProtocol: 'tcp', FromPort: a, ToPort: Number.isInteger(b) ? b : a, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'sky' }] }
  })
}

export async function authorize(region: string, groupId: string, ports: string[], signal?: AbortSignal): Promise<void> {
  if (!ports.length) return
  // One call per range: a rule that exists already must not keep the others from being added.
  await Promise.all(permissions(ports).map((perm) => ec2(region, 'AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: [perm] }, { signal, tolerate: ['InvalidPermission.Duplicate'] })))
}

/** The cluster's security group (created with SSH open when missing). */
export async function securityGroupOf(region: string, vpcId: string, nameOnCloud: string, s: AwsSettings, signal?: AbortSignal): Promise<string> {
  const name = sgName(nameOnCloud, s)
  const key = `${endpointKey()}|${region}/${vpcId}/${name}`
  const known = groupIds.get(key)
  if (known) return known
  // Create first (the common case: a new cluster); an existing one answers Duplicate.
  const tags = s.securityGroupName ? [] : [{ ResourceType: 'security-group' as const, Tags: [{ Key: TAG_CLUSTER, Value: nameOnCloud }] }]
  const made = await ec2(region, 'CreateSecurityGroup', { GroupName: name, Description: `sky cluster ${s.securityGroupName ? '(shared)' : nameOnCloud}`, VpcId: vpcId, TagSpecifications: tags }, { signal, tolerate: ['InvalidGroup.Duplicate'] })
  const g = tolerated(made) ? await findGroup(region, vpcId, name, signal) : { GroupId: made.GroupId, IpPermissions: [] }
  if (!g?.GroupId) throw new InfraConfigError(`Could not create or find security group ${name} in ${region}.`, { infra: 'aws', region, scope: 'region' })
  const ssh = (g.IpPermissions ?? []).some((p) => p.IpProtocol === 'tcp' && p.FromPort === 22 && (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0'))
  if (!ssh) await authorize(region, g.GroupId, ['22'], signal)
  groupIds.set(key, g.GroupId)
  return g.GroupId
}

/** The cluster's own group, if any (never the shared aws.security_group_name). */
export async function ownGroup(region: string, nameOnCloud: string, s: AwsSettings, signal?: AbortSignal): Promise<{ id: string; shared: boolean } | null> {
  const name = sgName(nameOnCloud, s)
  const known = [...groupIds].find(([k]) => k.startsWith(`${endpointKey()}|${region}/`) && k.endsWith(`/${name}`))?.[1]
  if (known) return { id: known, shared: !!s.securityGroupName }
  const g = await findGroup(region, null, name, signal)
  return g?.GroupId ? { id: g.GroupId, shared: !!s.securityGroupName } : null
}

/** Forget a deleted group. */
export function forgetGroup(groupId: string): void {
  for (const [k, v] of groupIds) if (v === groupId) groupIds.delete(k)
}

/** Forget everything remembered about a region (something it named is gone). */
export function forgetRegion(region: string): void {
  const prefix = `${endpointKey()}|${region}/`
  for (const m of [vpcs, subnets, groupIds, keys] as Map<string, unknown>[]) for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k)
}

/** The user's key imported as `sky-key-<user>-<fingerprint>` (a new local key gets a new name). */
export async function keyPairOf(region: string, userHash: string, publicKey: string, fingerprint: string, signal?: AbortSignal): Promise<string> {
  const name = `sky-key-${userHash}-${fingerprint.slice(0, 8)}`
  const k = `${endpointKey()}|${region}/${name}`
  let p = keys.get(k)
  if (!p) {
    p = (async () => {
      const have = await ec2(region, 'DescribeKeyPairs', { KeyNames: [name] }, { signal, tolerate: ['InvalidKeyPair.NotFound'] })
      if (!tolerated(have) && have.KeyPairs?.length) return
      await ec2(region, 'ImportKeyPair', { KeyName: name, PublicKeyMaterial: new TextEncoder().encode(publicKey) }, { signal, tolerate: ['InvalidKeyPair.Duplicate'] })
    })()
    keys.set(k, p)
    p.catch(() => keys.delete(k))
  }
  await p
  return name
}
