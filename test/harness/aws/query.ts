// What an EC2 Query call asks for, read from the request the way EC2 would see it: the action,
// the region (from the SigV4 credential scope), and for launches and starts the zone (from
// Placement.AvailabilityZone, or the subnet's zone), the instance type and the market.
import { describeInstances, subnetZone } from './ec2-raw.ts'

export type Market = 'spot' | 'on-demand'

export interface Ec2CallFields {
  action: string
  region: string
  zone?: string
  subnetId?: string
  instanceType?: string
  market?: Market
  instanceIds?: string[]
  /** The SDK's attempt number for this call (`amz-sdk-request: attempt=N`), when it says. */
  attempt?: number
}

const SCOPE_RE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/ec2\/aws4_request/

export function regionOf(headers: Headers): string {
  return SCOPE_RE.exec(headers.get('authorization') ?? '')?.[1] ?? 'us-east-1'
}

/** Parameters of a Query call: the URL's query string and a form body together. */
export function queryParams(url: URL, body: string): URLSearchParams {
  const params = new URLSearchParams(url.search)
  for (const [k, v] of new URLSearchParams(body)) params.append(k, v)
  return params
}

function listed(params: URLSearchParams, prefix: string): string[] {
  const out: string[] = []
  for (let i = 1; params.has(`${prefix}.${i}`); i++) out.push(params.get(`${prefix}.${i}`)!)
  return out
}

/** The first `<prefix>NetworkInterface.N.SubnetId` of a launch specification. */
function nicSubnet(params: URLSearchParams, prefix: string): string | undefined {
  for (let i = 1; i <= 8; i++) {
    const v = params.get(`${prefix}NetworkInterface.${i}.SubnetId`)
    if (v) return v
  }
  return undefined
}

/** Caches of facts that do not change while moto runs (a subnet's zone, an instance's zone). */
export interface LookupCache {
  subnets: Map<string, string | undefined>
  instances: Map<string, { zone?: string; instanceType?: string; market: Market }>
}

export function newLookupCache(): LookupCache {
  return { subnets: new Map(), instances: new Map() }
}

/** Read a call; `moto` is used to resolve a subnet's or an instance's zone. */
export async function describeCall(headers: Headers, params: URLSearchParams, moto: string, cache: LookupCache): Promise<Ec2CallFields> {
  const action = params.get('Action') ?? ''
  const region = regionOf(headers)
  const attempt = Number(/attempt=(\d+)/.exec(headers.get('amz-sdk-request') ?? '')?.[1]) || undefined
  const call: Ec2CallFields = { action, region, ...(attempt ? { attempt } : {}) }
  const ids = listed(params, 'InstanceId')
  if (ids.length) call.instanceIds = ids

  const launch = action === 'RunInstances' ? '' : action === 'RequestSpotInstances' ? 'LaunchSpecification.' : null
  if (launch !== null) {
    call.instanceType = params.get(`${launch}InstanceType`) ?? undefined
    call.market = action === 'RequestSpotInstances' || params.get('InstanceMarketOptions.MarketType') === 'spot' ? 'spot' : 'on-demand'
    call.subnetId = params.get(`${launch}SubnetId`) ?? nicSubnet(params, launch)
    call.zone = params.get(`${launch}Placement.AvailabilityZone`) ?? undefined
    if (!call.zone && call.subnetId) {
      const key = `${region}/${call.subnetId}`
      if (!cache.subnets.has(key)) cache.subnets.set(key, await subnetZone(moto, region, call.subnetId))
      call.zone = cache.subnets.get(key)
    }
  } else if (action === 'StartInstances' && ids[0]) {
    const key = `${region}/${ids[0]}`
    if (!cache.instances.has(key)) {
      const [inst] = await describeInstances(moto, region, [ids[0]])
      if (inst) cache.instances.set(key, { zone: inst.zone, instanceType: inst.instanceType, market: inst.market })
    }
    const known = cache.instances.get(key)
    if (known) Object.assign(call, { zone: known.zone, instanceType: known.instanceType, market: known.market })
  }
  for (const k of Object.keys(call) as (keyof Ec2CallFields)[]) if (call[k] === undefined) delete call[k]
  return call
}
