// Failover bookkeeping: which candidates (or which of their zones) are blocked, and helpers to
// build block entries at zone, region or infra level after a provisioning failure.
import type { BlockedResource, Candidate } from './types'

function sameInfra(a: string, b: string): boolean {
  const n = (s: string) => (s.toLowerCase() === 'k8s' ? 'kubernetes' : s.toLowerCase())
  return n(a) === n(b)
}

/** Does the entry cover this candidate (ignoring zones)? */
function covers(b: BlockedResource, c: Candidate): boolean {
  // A blocked node is planned around when live candidates are made, not blocked here.
  if (b.node !== undefined) return false
  if (!sameInfra(b.infra, c.infra)) return false
  if (b.region !== undefined && b.region !== c.region) return false
  if (b.instanceType !== undefined && b.instanceType !== c.instanceType) return false
  if (b.useSpot !== undefined && b.useSpot !== c.useSpot) return false
  return true
}

/**
 * The candidate with its blocked zones removed, or undefined when it is blocked entirely
 * (an entry without zone covers it, or every zone it had is blocked).
 */
export function applyBlocked(c: Candidate, blocked: readonly BlockedResource[]): Candidate | undefined {
  if (blocked.length === 0) return c
  let zones = c.zones
  for (const b of blocked) {
    if (!covers(b, c)) continue
    if (b.zone === undefined) return undefined
    zones = zones.filter((z) => z !== b.zone)
  }
  if (c.zones.length > 0 && zones.length === 0) return undefined
  return zones === c.zones ? c : { ...c, zones }
}

export type BlockLevel = 'zone' | 'region' | 'infra'

/**
 * A block entry for a failed attempt. `zone` level needs the zone that failed; `region` and
 * `zone` entries are specific to the instance type and market of the candidate, `infra` blocks
 * the whole infra (expired credentials, quota for all regions).
 */
export function blockFor(c: Candidate, level: BlockLevel, zone?: string): BlockedResource {
  if (level === 'infra') return { infra: c.infra }
  const base: BlockedResource = { infra: c.infra, region: c.region, instanceType: c.instanceType, useSpot: c.useSpot }
  if (level === 'zone') {
    const z = zone ?? c.zones[0]
    return z === undefined ? base : { ...base, zone: z }
  }
  return base
}

/** `aws/us-east-1/us-east-1a (p5.48xlarge, spot)`: how failover history names an entry. */
export function describeBlocked(b: BlockedResource): string {
  const where = [b.infra, b.region, b.zone ?? b.node].filter(Boolean).join('/')
  const what = [b.instanceType, b.useSpot === undefined ? undefined : b.useSpot ? 'spot' : 'on-demand'].filter(Boolean)
  return what.length ? `${where} (${what.join(', ')})` : where
}
