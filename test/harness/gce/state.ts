// In-memory state of the Compute test server: one project's instances and firewall rules, the
// default network, and the addresses handed out. Addresses are documentation ranges that are
// never dialled: external (natIP) from 203.0.113.0/24 then 198.51.100.0/24, internal (networkIP)
// from each region's default subnet in 10.128.0.0/9. The SSH test mapping turns them into local
// sshd hosts.
import { buildRegions, type RegionDef, type ZoneOffering } from './catalog.ts'
import { API_BASE, fingerprint, newId, timestamp } from './ids.ts'

export type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface GceStateOptions {
  project: string
  zones?: string[]
  offerings?: Record<string, ZoneOffering>
}

const NAT_POOL = [
  ...Array.from({ length: 254 }, (_, i) => `203.0.113.${i + 1}`),
  ...Array.from({ length: 254 }, (_, i) => `198.51.100.${i + 1}`),
]

export class GceState {
  readonly project: string
  readonly regions: RegionDef[]
  readonly offerings: Record<string, ZoneOffering>
  readonly projectId = newId()
  readonly networkId = newId()
  readonly subnetIds = new Map<string, string>()
  instances = new Map<string, Json>()
  firewalls = new Map<string, Json>()
  private natUsed = new Set<string>()
  private natNext = 0
  private internalNext = new Map<string, number>()

  constructor(opts: GceStateOptions) {
    this.project = opts.project
    this.regions = buildRegions(opts.zones)
    this.offerings = opts.offerings ?? {}
    for (const r of this.regions) this.subnetIds.set(r.name, newId())
  }

  reset(): void {
    this.instances.clear()
    this.firewalls.clear()
    this.natUsed.clear()
    this.natNext = 0
    this.internalNext.clear()
  }

  get zones(): string[] {
    return this.regions.flatMap((r) => r.zones)
  }

  regionOf(zone: string): RegionDef | undefined {
    return this.regions.find((r) => r.zones.includes(zone))
  }

  url(path: string): string {
    return `${API_BASE}/projects/${this.project}/${path}`
  }

  instanceKey(zone: string, name: string): string {
    return `${zone}/${name}`
  }

  allocNatIp(): string {
    for (let n = 0; n < NAT_POOL.length; n++) {
      const ip = NAT_POOL[(this.natNext + n) % NAT_POOL.length]!
      if (this.natUsed.has(ip)) continue
      this.natUsed.add(ip)
      this.natNext = (this.natNext + n + 1) % NAT_POOL.length
      return ip
    }
    throw new Error('the GCE test server ran out of external addresses (508 in use)')
  }

  releaseNatIp(ip: string | undefined): void {
    if (ip) this.natUsed.delete(ip)
  }

  allocInternalIp(region: RegionDef): string {
    const [a, b] = region.cidr.split('.').map(Number) as [number, number]
    const n = (this.internalNext.get(region.name) ?? 1) + 1 // .0.1 is the gateway
    if (n > 4093) throw new Error(`the GCE test server ran out of internal addresses in ${region.name}`)
    this.internalNext.set(region.name, n)
    return `${a}.${b}.${n >> 8}.${n & 255}`
  }

  network(): Json {
    return {
      kind: 'compute#network',
      id: this.networkId,
      creationTimestamp: timestamp(0),
      name: 'default',
      description: 'Default network for the project',
      selfLink: this.url('global/networks/default'),
      selfLinkWithId: this.url(`global/networks/${this.networkId}`),
      autoCreateSubnetworks: true,
      subnetworks: this.regions.map((r) => this.url(`regions/${r.name}/subnetworks/default`)),
      routingConfig: { routingMode: 'REGIONAL' },
      networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
      mtu: 1460,
    }
  }

  subnetwork(region: RegionDef): Json {
    const [a, b] = region.cidr.split('.')
    return {
      kind: 'compute#subnetwork',
      id: this.subnetIds.get(region.name),
      creationTimestamp: timestamp(0),
      name: 'default',
      network: this.url('global/networks/default'),
      ipCidrRange: region.cidr,
      gatewayAddress: `${a}.${b}.0.1`,
      region: this.url(`regions/${region.name}`),
      selfLink: this.url(`regions/${region.name}/subnetworks/default`),
      privateIpGoogleAccess: false,
      fingerprint: fingerprint(region.cidr),
      purpose: 'PRIVATE',
      stackType: 'IPV4_ONLY',
    }
  }

  /** The default network named by a request ("default", "global/networks/default" or its URL). */
  isDefaultNetwork(ref: string | undefined): boolean {
    return !ref || ref === 'default' || ref.endsWith('global/networks/default')
  }
}
