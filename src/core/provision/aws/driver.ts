// The AWS EC2 driver of the shared cloud-VM provisioner: instances made with RunInstances (one
// call for every missing rank, so a multi-node cluster lands in one zone or not at all), found by
// the `skypilot-cluster-name` tag, stopped, started and terminated by id. Networking, images and
// config live in ./network.ts, ./images.ts and ./config.ts; errors are typed by ./errors.ts.
import { loadCatalog } from '../../catalog/load'
import { TAG_CLUSTER, TAG_HEAD, TAG_RANK, TAG_SERVER, TAG_USER, type CloudVmDriver, type CreateRequest, type NodeRelease, type VmInstance, type VmOpOptions } from '../cloud-vm/driver'
import { stateMapper } from '../cloud-vm/states'
import { loadCloudSdk } from '../cloud-sdk/load'
import { InfraConfigError } from '../errors'
import type { LaunchedResources } from '../types'
import { aws } from './descriptor'
import { awsSettings, proxyCommandFor } from './config'
import { ec2, ec2All, tolerated, type EC2 } from './ec2'
import { resolveImage } from './images'
import { authorize, forgetGroup, forgetRegion, keyPairOf, ownGroup, permissions, securityGroupOf, subnetOf, vpcOf, type AwsNetwork } from './network'

const toState = stateMapper({ pending: 'pending', running: 'running', stopping: 'stopping', stopped: 'stopped', 'shutting-down': 'terminated', terminated: 'terminated' })

/** Why an instance is not running, in words a user understands. */
function reasonOf(i: EC2.Instance): string | undefined {
  const code = i.StateReason?.Code ?? ''
  if (/SpotInstanceTermination/i.test(code)) return 'spot instance preempted by AWS'
  if (/UserInitiatedShutdown/i.test(code) || /User initiated/i.test(i.StateTransitionReason ?? '')) return `${i.State?.Name ?? 'stopped'} by a user or API call outside sky`
  if (/InsufficientInstanceCapacity/i.test(code)) return 'no capacity (InsufficientInstanceCapacity)'
  return i.StateReason?.Message || i.StateTransitionReason || undefined
}

export function toVm(i: EC2.Instance): VmInstance {
  const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
  const rank = tags[TAG_RANK] !== undefined && /^\d+$/.test(tags[TAG_RANK]!) ? Number(tags[TAG_RANK]) : null
  const reason = reasonOf(i)
  return {
    id: i.InstanceId ?? '',
    cluster: tags[TAG_CLUSTER] ?? '',
    rank,
    state: toState(i.State?.Name),
    ...(reason ? { reason } : {}),
    zone: i.Placement?.AvailabilityZone ?? null,
    privateIp: i.PrivateIpAddress ?? null,
    publicIp: i.PublicIpAddress ?? null,
    spot: i.InstanceLifecycle === 'spot',
    ...(tags[TAG_SERVER] ? { server: tags[TAG_SERVER] } : {}),
    ...(tags[TAG_USER] ? { userHash: tags[TAG_USER] } : {}),
    ...(i.LaunchTime ? { launchedAt: new Date(i.LaunchTime).getTime() } : {}),
  }
}

const DISK_TIERS: Record<string, { type: string; iops?: number; throughput?: number }> = {
  low: { type: 'standard' },
  medium: { type: 'gp3', iops: 3500, throughput: 560 },
  high: { type: 'gp3', iops: 6000, throughput: 960 },
  ultra: { type: 'io2', iops: 20000 },
  best: { type: 'io2', iops: 20000 },
}

function rootVolume(r: LaunchedResources, device: string, encrypted: boolean): EC2.BlockDeviceMapping {
  const tier = DISK_TIERS[(r.diskTier ?? 'medium').toLowerCase()]
  if (!tier) throw new InfraConfigError(`disk_tier '${r.diskTier}' is not one AWS offers (low, medium, high, ultra, best).`, { infra: 'aws', scope: 'infra' })
  return {
    DeviceName: device,
    Ebs: {
      VolumeSize: r.diskSizeGb ?? 256,
      VolumeType: tier.type as EC2.VolumeType,
      ...(tier.iops ? { Iops: tier.iops } : {}),
      ...(tier.throughput ? { Throughput: tier.throughput } : {}),
      DeleteOnTermination: true,
      ...(encrypted ? { Encrypted: true } : {}),
    },
  }
}

/** The instance profile `aws.remote_identity` asks for, if any. */
function instanceProfile(identity: string): string | null {
  if (identity === 'LOCAL_CREDENTIALS' || identity === 'NO_UPLOAD') return null
  return identity === 'SERVICE_ACCOUNT' ? 'skypilot-v1' : identity
}

/** Errors of a launch that name something remembered that no longer exists. */
const GONE = ['InvalidGroup.NotFound', 'InvalidSubnetID.NotFound', 'InvalidKeyPair.NotFound', 'InvalidVpcID.NotFound']

const tagList = (t: Record<string, string>): EC2.Tag[] => Object.entries(t).map(([Key, Value]) => ({ Key, Value }))

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

async function rankTags(region: string, id: string, rank: number, nameOnCloud: string, signal?: AbortSignal): Promise<void> {
  const Tags = tagList({ [TAG_RANK]: String(rank), [TAG_HEAD]: rank === 0 ? '1' : '0', Name: `sky-${nameOnCloud}-${rank === 0 ? 'head' : `worker${rank}`}` })
  await ec2(region, 'CreateTags', { Resources: [id], Tags }, { signal })
}

export const awsDriver: CloudVmDriver = {
  infra: 'aws',
  displayName: 'AWS',
  capabilities: aws.capabilities,
  bootTimeoutMs: 90_000,

  access(region) {
    const s = awsSettings()
    return { user: s.sshUser, useInternalIps: s.useInternalIps, proxyCommand: proxyCommandFor(s, region) }
  },

  async bootstrap(req): Promise<Record<string, unknown>> {
    const s = awsSettings()
    const { region, signal } = req
    if (!req.zone) throw new InfraConfigError('AWS launches need a zone.', { infra: 'aws', region, scope: 'region' })
    const vpcId = await vpcOf(region, s, signal)
    const [subnetId, securityGroupId, keyName] = await Promise.all([
      subnetOf(region, vpcId, req.zone, s, signal),
      securityGroupOf(region, vpcId, req.nameOnCloud, s, signal),
      keyPairOf(region, req.userHash, req.publicKey, req.keyFingerprint, signal),
    ])
    const net: AwsNetwork = { vpcId, subnetId, securityGroupId, keyName }
    return net as unknown as Record<string, unknown>
  },

  async create(req: CreateRequest): Promise<string[]> {
    const s = awsSettings()
    const r = req.resources
    const net = req.network as unknown as AwsNetwork
    if (!r.instanceType) throw new InfraConfigError('AWS launches need an instance type.', { infra: 'aws', scope: 'stop' })
    const image = await resolveImage(req.region, r, req.signal)
    const profile = instanceProfile(s.remoteIdentity)
    const tags = tagList({ ...s.labels, ...req.tags })
    const n = req.ranks.length
    const input: EC2.RunInstancesCommandInput = {
      ImageId: image.id,
      InstanceType: r.instanceType as EC2._InstanceType,
      MinCount: n,
      MaxCount: n,
      KeyName: net.keyName,
      Placement: { AvailabilityZone: req.zone! },
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: net.subnetId, Groups: [net.securityGroupId], AssociatePublicIpAddress: !s.useInternalIps, DeleteOnTermination: true }],
      BlockDeviceMappings: [rootVolume(r, image.rootDevice, s.diskEncrypted)],
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
      ...(r.useSpot ? { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } } } : {}),
      ...(profile ? { IamInstanceProfile: { Name: profile } } : {}),
    }
    // One attempt: a capacity error moves on to the next zone now rather than after SDK retries.
    let out = await ec2(req.region, 'RunInstances', input, { signal: req.signal, zone: req.zone, once: true, tolerate: GONE })
    if (tolerated(out)) {
      // Something this process remembered is gone (a security group deleted when the cluster was
      // taken down, a subnet or key pair removed by hand): look everything up again, once.
      forgetGroup(net.securityGroupId)
      forgetRegion(req.region)
      const again = (await awsDriver.bootstrap(req)) as unknown as AwsNetwork
      input.KeyName = again.keyName
      input.NetworkInterfaces = [{ ...input.NetworkInterfaces![0]!, SubnetId: again.subnetId, Groups: [again.securityGroupId] }]
      out = await ec2(req.region, 'RunInstances', input, { signal: req.signal, zone: req.zone, once: true })
    }
    const made = [...(out.Instances ?? [])].sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0))
    const ids = made.map((i) => i.InstanceId!).filter(Boolean)
    // Ranks (and head) per instance; a crash before this is repaired by the next provision.
    await Promise.all(ids.map((id, k) => rankTags(req.region, id, req.ranks[k]!, req.nameOnCloud, req.signal)))
    return ids
  },

  async setRank(region, nameOnCloud, id, rank, o: VmOpOptions = {}) {
    await rankTags(region, id, rank, nameOnCloud, o.signal)
  },

  async list(region, clusters, o: VmOpOptions = {}): Promise<VmInstance[]> {
    if (clusters && clusters.length === 0) return []
    const filters = clusters ? chunks(clusters, 200).map((c) => [{ Name: `tag:${TAG_CLUSTER}`, Values: c }]) : [[{ Name: 'tag-key', Values: [TAG_CLUSTER] }]]
    const pages = (await Promise.all(filters.map((Filters) => ec2All(region, 'DescribeInstances', { Filters, MaxResults: 1000 }, { signal: o.signal })))).flat()
    return pages.flatMap((p) => (p.Reservations ?? []).flatMap((res) => (res.Instances ?? []).map(toVm)))
  },

  async start(region, ids, o: VmOpOptions = {}) {
    for (const c of chunks(ids, 500)) await ec2(region, 'StartInstances', { InstanceIds: c }, { signal: o.signal, once: true })
  },

  async stop(region, ids, o: VmOpOptions = {}) {
    for (const c of chunks(ids, 500)) await ec2(region, 'StopInstances', { InstanceIds: c }, { signal: o.signal, tolerate: ['IncorrectInstanceState'] })
  },

  async terminate(region, ids, o: VmOpOptions = {}) {
    for (const c of chunks(ids, 500)) await ec2(region, 'TerminateInstances', { InstanceIds: c }, { signal: o.signal, tolerate: ['InvalidInstanceID.NotFound'] })
  },

  async openPorts(region, nameOnCloud, ports, o: VmOpOptions = {}) {
    const s = awsSettings()
    const g = await ownGroup(region, nameOnCloud, s, o.signal)
    if (!g) throw new InfraConfigError(`Security group of ${nameOnCloud} not found in ${region}.`, { infra: 'aws', region })
    await authorize(region, g.id, ports, o.signal)
  },

  async closePorts(region, nameOnCloud, ports, o: VmOpOptions = {}) {
    const s = awsSettings()
    const g = await ownGroup(region, nameOnCloud, s, o.signal)
    // A shared group (aws.security_group_name) may serve other clusters: its rules stay.
    if (!g || g.shared || !ports.length) return
    await Promise.all(permissions(ports).map((perm) => ec2(region, 'RevokeSecurityGroupIngress', { GroupId: g.id, IpPermissions: [perm] }, { signal: o.signal, tolerate: ['InvalidPermission.NotFound'] })))
  },

  async cleanup(region, nameOnCloud, o: VmOpOptions = {}) {
    const s = awsSettings()
    const g = await ownGroup(region, nameOnCloud, s, o.signal)
    if (!g || g.shared) return
    // Network interfaces of just-terminated instances hold the group for a while.
    const until = Date.now() + 120_000
    for (let wait = 1000; ; wait = Math.min(wait * 2, 10_000)) {
      const r = await ec2(region, 'DeleteSecurityGroup', { GroupId: g.id }, { signal: o.signal, tolerate: ['DependencyViolation', 'InvalidGroup.NotFound'] })
      const code = (r as { tolerated?: string }).tolerated
      if (code !== 'DependencyViolation') {
        forgetGroup(g.id)
        return
      }
      if (Date.now() > until) {
        o.log?.(`Security group ${g.id} of ${nameOnCloud} is still in use; it is left in ${region} (delete it later: aws ec2 delete-security-group --group-id ${g.id}).`)
        return
      }
      await Bun.sleep(wait)
    }
  },

  regions() {
    const cat = loadCatalog().clouds.get('aws')
    return cat ? [...new Set(cat.regions.map((r) => r.name))] : []
  },

  async nodeRelease(region): Promise<NodeRelease | null> {
    const s = awsSettings()
    const env: Record<string, string> = { AWS_REGION: region }
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_EC2'] as const) if (process.env[k]) env[k] = process.env[k]!
    if (s.remoteIdentity === 'NO_UPLOAD') return null
    if (s.remoteIdentity !== 'LOCAL_CREDENTIALS') return { env, files: [] } // the instance profile, through the metadata service
    // The credentials this server uses, as resolved now (temporary ones expire: then the server
    // releases the cluster itself).
    const creds = await (await loadCloudSdk()).aws.ec2Credentials(region).catch(() => null)
    if (!creds) return null
    const lines = ['[default]', `aws_access_key_id = ${creds.accessKeyId}`, `aws_secret_access_key = ${creds.secretAccessKey}`]
    if (creds.sessionToken) lines.push(`aws_session_token = ${creds.sessionToken}`)
    return {
      env: { ...env, AWS_SHARED_CREDENTIALS_FILE: '$RELEASE_DIR/credentials', AWS_CONFIG_FILE: '$RELEASE_DIR/config', AWS_PROFILE: 'default', AWS_EC2_METADATA_DISABLED: 'true' },
      files: [
        { name: 'credentials', content: lines.join('\n') + '\n' },
        { name: 'config', content: `[default]\nregion = ${region}\n` },
      ],
    }
  },
}
