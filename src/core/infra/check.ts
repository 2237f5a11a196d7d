// `sky check`: each infra's descriptor says whether this build can provision there with the
// credentials it finds (validated by a cheap call when the infra has a provisioner), or why not.
// The caller persists the result (the optimizer's enabled list).
import { homedir } from 'node:os'
import { ValidationError } from '../errors'
import { INFRA, descriptor } from '../provision/registry'
import type { CheckCapability, InfraCheck } from '../provision/types'
import type { EnabledInfra } from './types'

export type { InfraCheck }
export type Capability = CheckCapability

export interface CheckOptions {
  /** Environment to read (default process.env). */
  env?: Record<string, string | undefined>
  /** Home directory (default $HOME from env, else the OS home). */
  home?: string
  /** Check only these infra (`sky check aws k8s`); names are validated. */
  only?: string[]
  /**
   * Merged config: `allowed_clouds` disables the infra it does not list; `kubernetes.allowed_contexts`
   * and `ssh.allowed_node_pools` narrow the contexts and pools.
   */
  config?: Record<string, unknown>
  /** Validate credentials with a cheap call (log into SSH hosts, ...). Default true. */
  validate?: boolean
}

/** Check the given (or all) infra. Nothing is persisted. */
export async function checkInfra(opts: CheckOptions = {}): Promise<InfraCheck[]> {
  const env = opts.env ?? process.env
  const home = opts.home ?? (env.HOME || homedir())
  let list = [...INFRA]
  if (opts.only && opts.only.length > 0) {
    const bad = opts.only.filter((n) => !descriptor(n))
    if (bad.length) {
      const names = INFRA.map((d) => d.name).join(', ')
      throw new ValidationError(bad.map((b) => ({ path: 'infra', message: `'${b}' is not a supported infra (supported: ${names})`, value: b })))
    }
    const wanted = new Set(opts.only.map((n) => descriptor(n)!.name))
    list = list.filter((d) => wanted.has(d.name))
  }
  const ctx = { env, home, config: opts.config, validate: opts.validate ?? true }
  const checks = await Promise.all(
    list.map(async (d): Promise<InfraCheck> => {
      try {
        return await d.check(ctx)
      } catch (e) {
        return { infra: d.name, enabled: false, reason: `check failed: ${(e as Error).message}`, capabilities: [] }
      }
    }),
  )
  return applyAllowLists(checks, opts.config)
}

/** A config list setting; undefined when unset (or `all`, which allowed_contexts may be). */
function cfgList(config: Record<string, unknown> | undefined, section: string, key?: string): string[] | undefined {
  const s = config?.[section]
  const v = key === undefined ? s : s && typeof s === 'object' ? (s as Record<string, unknown>)[key] : undefined
  return Array.isArray(v) ? v.map(String) : undefined
}

/** `allowed_clouds` spells Kubernetes `kubernetes` or `k8s`; names compare case-insensitively. */
function allowedInfra(config: Record<string, unknown> | undefined): Set<string> | undefined {
  const list = cfgList(config, 'allowed_clouds')
  return list ? new Set(list.map((n) => descriptor(n)?.name ?? n.toLowerCase())) : undefined
}

/**
 * Apply the config's allow-lists to check results (fresh ones, and ones remembered from an older
 * `sky check`, so a config change takes effect at once): infra missing from `allowed_clouds` is
 * disabled, and regions missing from the infra's own list (`kubernetes.allowed_contexts`,
 * `ssh.allowed_node_pools`: the descriptor's regionsAllowList) are dropped.
 */
export function applyAllowLists(checks: InfraCheck[], config: Record<string, unknown> | undefined): InfraCheck[] {
  const clouds = allowedInfra(config)
  return checks.map((c) => {
    if (clouds && !clouds.has(c.infra)) {
      return { ...c, enabled: false, reason: `not in allowed_clouds (${[...clouds].join(', ')}) in the config`, capabilities: [], regions: undefined }
    }
    const list = descriptor(c.infra)?.regionsAllowList
    const allowed = list ? cfgList(config, c.infra, list.key) : undefined
    if (!list || !allowed || !c.regions) return c
    // Kubernetes contexts are tried in allowed_contexts order, as SkyPilot does.
    const kept = list.ordered ? allowed.filter((r) => c.regions!.includes(r)) : c.regions.filter((r) => allowed.includes(r))
    const dropped = c.regions.filter((r) => !allowed.includes(r))
    const details = [...(c.details ?? []), ...dropped.map((r) => `${r}: skipped, not in ${c.infra}.${list.key}`)]
    if (!dropped.length && kept.join() === c.regions.join()) return c
    // A disabled infra keeps its reason; its regions are shown (sky check -v) as the config narrows them.
    if (!c.enabled) return { ...c, regions: kept, details }
    if (!kept.length) return { ...c, enabled: false, reason: `none of ${c.regions.join(', ')} is in ${c.infra}.${list.key}`, capabilities: [], regions: undefined, details }
    return { ...c, regions: kept, details }
  })
}

/** The optimizer's view of a check result: enabled infra plus their contexts / pools. */
export function enabledInfraFromChecks(checks: InfraCheck[]): EnabledInfra {
  const enabled = checks.filter((c) => c.enabled && c.capabilities.includes('compute'))
  const regions: Record<string, string[]> = {}
  for (const c of enabled) if (c.regions && !(c.regions.length === 1 && c.regions[0] === c.infra)) regions[c.infra] = c.regions
  const disabled: Record<string, string> = {}
  // Reasons worth repeating where a task asks for the infra: the config's (and the server's own
  // policy for its machine, local.allow_on_deploy).
  for (const c of checks) if (!c.enabled && (c.reason.startsWith('not in allowed_clouds') || c.infra === 'local')) disabled[c.infra] = c.reason
  return { infra: enabled.map((c) => c.infra), regions, ...(Object.keys(disabled).length ? { disabled } : {}) }
}

/** `aws, gcp, k8s/ctx, ssh/pool, local` — the `Enabled Infra:` line of `sky status`. */
export function formatEnabledInfra(checks: InfraCheck[]): string {
  const parts: string[] = []
  for (const c of checks) {
    if (!c.enabled) continue
    const d = descriptor(c.infra)
    const prefix = d?.aliases?.[0] ?? c.infra
    if (d?.kind === 'live' && c.regions && !(c.regions.length === 1 && c.regions[0] === c.infra)) parts.push(...c.regions.map((r) => `${prefix}/${r}`))
    else parts.push(c.infra)
  }
  return parts.join(', ')
}
