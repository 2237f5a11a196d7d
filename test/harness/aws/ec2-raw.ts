// A bare EC2 Query client for the harness's own look-ups against moto (a subnet's zone, an
// instance's addresses, state and SSH keys). It talks to moto directly, so the fault rules and
// the call log never see these calls. moto reads the region from the credential scope and checks
// no signature.
import { childText, find, items, parseXml, type XmlNode } from './xml.ts'

export class Ec2QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`)
  }
}

export async function ec2Query(endpoint: string, region: string, params: Record<string, string>): Promise<XmlNode> {
  const body = new URLSearchParams({ Version: '2016-11-15', ...params }).toString()
  const r = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=sky-test/20240101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  })
  const doc = parseXml(await r.text())
  if (r.status >= 300) {
    const err = find(doc, 'Error')
    throw new Ec2QueryError(childText(err, 'Code') ?? `HTTP ${r.status}`, childText(err, 'Message') ?? '', r.status)
  }
  return doc
}

export interface Ec2InstanceView {
  id: string
  region: string
  zone?: string
  /** pending | running | stopping | stopped | shutting-down | terminated */
  state: string
  instanceType?: string
  market: 'spot' | 'on-demand'
  publicIp?: string
  privateIp?: string
  keyName?: string
  tags: Record<string, string>
}

/** Instances of one region (all, or the given ids; unknown ids give an empty list). */
export async function describeInstances(endpoint: string, region: string, ids: string[] = []): Promise<Ec2InstanceView[]> {
  const params: Record<string, string> = { Action: 'DescribeInstances' }
  ids.forEach((id, i) => (params[`InstanceId.${i + 1}`] = id))
  let doc: XmlNode
  try {
    doc = await ec2Query(endpoint, region, params)
  } catch (err) {
    if (err instanceof Ec2QueryError && err.code === 'InvalidInstanceID.NotFound') return []
    throw err
  }
  const out: Ec2InstanceView[] = []
  for (const reservation of items(find(doc, 'DescribeInstancesResponse'), 'reservationSet')) {
    for (const inst of items(reservation, 'instancesSet')) {
      const tags: Record<string, string> = {}
      for (const t of items(inst, 'tagSet')) tags[childText(t, 'key') ?? ''] = childText(t, 'value') ?? ''
      const placement = inst.children.find((c) => c.name === 'placement')
      const state = inst.children.find((c) => c.name === 'instanceState')
      out.push({
        id: childText(inst, 'instanceId') ?? '',
        region,
        zone: childText(placement, 'availabilityZone') || undefined,
        state: childText(state, 'name') ?? 'unknown',
        instanceType: childText(inst, 'instanceType'),
        market: childText(inst, 'instanceLifecycle') === 'spot' ? 'spot' : 'on-demand',
        publicIp: childText(inst, 'ipAddress') || undefined,
        privateIp: childText(inst, 'privateIpAddress') || undefined,
        keyName: childText(inst, 'keyName') || undefined,
        tags,
      })
    }
  }
  return out
}

export async function describeRegions(endpoint: string): Promise<string[]> {
  const doc = await ec2Query(endpoint, 'us-east-1', { Action: 'DescribeRegions' })
  return items(find(doc, 'DescribeRegionsResponse'), 'regionInfo').map((r) => childText(r, 'regionName') ?? '')
}

/** The availability zone of a subnet, or undefined when moto does not know it. */
export async function subnetZone(endpoint: string, region: string, subnetId: string): Promise<string | undefined> {
  try {
    const doc = await ec2Query(endpoint, region, { Action: 'DescribeSubnets', 'SubnetId.1': subnetId })
    return childText(items(find(doc, 'DescribeSubnetsResponse'), 'subnetSet')[0], 'availabilityZone')
  } catch (err) {
    if (err instanceof Ec2QueryError) return undefined
    throw err
  }
}

/**
 * The public keys a booting instance would authorize, as cloud-init does: its key pair's public
 * key and the `ssh_authorized_keys` entries of a cloud-config in its user data.
 */
export async function instanceSshKeys(endpoint: string, inst: Ec2InstanceView): Promise<string[]> {
  const keys: string[] = []
  if (inst.keyName) {
    try {
      const doc = await ec2Query(endpoint, inst.region, { Action: 'DescribeKeyPairs', 'KeyName.1': inst.keyName, IncludePublicKey: 'true' })
      const key = childText(items(find(doc, 'DescribeKeyPairsResponse'), 'keySet')[0], 'publicKey')
      if (key) keys.push(key)
    } catch (err) {
      if (!(err instanceof Ec2QueryError)) throw err
    }
  }
  const doc = await ec2Query(endpoint, inst.region, { Action: 'DescribeInstanceAttribute', InstanceId: inst.id, Attribute: 'userData' })
  const b64 = childText(find(doc, 'userData'), 'value')
  if (b64) keys.push(...cloudConfigKeys(Buffer.from(b64, 'base64').toString('utf8')))
  return keys
}

/** `ssh_authorized_keys:` list entries of a `#cloud-config` document (also inside users: entries). */
export function cloudConfigKeys(userData: string): string[] {
  if (!userData.startsWith('#cloud-config')) return []
  const keys: string[] = []
  let inList = false
  let indent = 0
  for (const line of userData.split('\n')) {
    const m = /^(\s*)(?:-\s*)?ssh_authorized_keys:\s*(\[.*\])?\s*$/.exec(line)
    if (m) {
      if (m[2]) keys.push(...m[2].slice(1, -1).split(',').map((k) => k.trim().replace(/^["']|["']$/g, '')))
      inList = !m[2]
      indent = m[1]!.length
      continue
    }
    const item = /^(\s*)-\s+["']?(ssh-[^"']+|ecdsa-[^"']+)["']?\s*$/.exec(line)
    if (inList && item && item[1]!.length >= indent) keys.push(item[2]!.trim())
    else if (line.trim()) inList = false
  }
  return keys.filter(Boolean)
}
