// `sky check`: for each infra, whether it can be used and why (or why not, and what to do).
// Reads only local files and the environment; the caller persists the enabled list.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { ValidationError, formatIssue } from '../errors'
import { paths } from '../paths'
import { awsCredentials, gcpCredentials, type Env } from './cloud-credentials'
import { readKubeconfig } from './kubeconfig'
import { loadSshPools } from '../provision/ssh/pools'
import { INFRA_NAMES, canonicalInfraName, type EnabledInfra, type InfraName } from './types'

export type Capability = 'compute' | 'storage'

export interface InfraCheck {
  infra: InfraName
  enabled: boolean
  /** Enabled: where access comes from. Disabled: why, and how to fix it. */
  reason: string
  /** SSH pools or Kubernetes contexts that can be used; `['local']` for the local infra. */
  regions?: string[]
  capabilities: Capability[]
  /** `sky check -v`: what was looked at (contexts, pools, config filters) beyond the reason. */
  details?: string[]
}

export interface CheckOptions {
  /** Environment to read (default process.env). */
  env?: Env
  /** Home directory (default $HOME from env, else the OS home). */
  home?: string
  /** Check only these infra (`sky check aws k8s`); names are validated. */
  only?: string[]
  /**
   * Merged config: `allowed_clouds` disables the infra it does not list; `kubernetes.allowed_contexts`
   * and `ssh.allowed_node_pools` narrow the contexts and pools.
   */
  config?: Record<string, unknown>
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
  return list ? new Set(list.map((n) => canonicalInfraName(n) ?? n.toLowerCase())) : undefined
}

/**
 * Apply the config's allow-lists to check results (fresh ones, and ones remembered from an older
 * `sky check`, so a config change takes effect at once): infra missing from `allowed_clouds` is
 * disabled, and contexts / pools missing from `kubernetes.allowed_contexts` / `ssh.allowed_node_pools`
 * are dropped.
 */
export function applyAllowLists(checks: InfraCheck[], config: Record<string, unknown> | undefined): InfraCheck[] {
  const clouds = allowedInfra(config)
  return checks.map((c) => {
    if (clouds && !clouds.has(c.infra)) {
      return { ...c, enabled: false, reason: `not in allowed_clouds (${[...clouds].join(', ')}) in the config`, capabilities: [], regions: undefined }
    }
    const key = c.infra === 'kubernetes' ? 'allowed_contexts' : c.infra === 'ssh' ? 'allowed_node_pools' : undefined
    const allowed = key ? cfgList(config, c.infra, key) : undefined
    if (!allowed || !c.enabled || !c.regions) return c
    // Kubernetes contexts are tried in allowed_contexts order, as SkyPilot does.
    const kept = c.infra === 'kubernetes' ? allowed.filter((r) => c.regions!.includes(r)) : c.regions.filter((r) => allowed.includes(r))
    const dropped = c.regions.filter((r) => !allowed.includes(r))
    const details = [...(c.details ?? []), ...dropped.map((r) => `${r}: skipped, not in ${c.infra}.${key}`)]
    if (!dropped.length && kept.join() === c.regions.join()) return c
    if (!kept.length) return { ...c, enabled: false, reason: `none of ${c.regions.join(', ')} is in ${c.infra}.${key}`, capabilities: [], regions: undefined, details }
    return { ...c, regions: kept, details }
  })
}

function checkLocal(): InfraCheck {
  return { infra: 'local', enabled: true, reason: 'this machine is always available', regions: ['local'], capabilities: ['compute'] }
}

function checkSsh(file: string): InfraCheck {
  if (!existsSync(file)) {
    return { infra: 'ssh', enabled: false, reason: `no SSH node pools: describe your machines in ${file} (pool name → hosts)`, capabilities: [] }
  }
  const errors: string[] = []
  let pools: string[] = []
  try {
    pools = Object.entries(loadSshPools(file, { checkFiles: false }))
      .filter(([, p]) => p.hosts.length > 0)
      .map(([name]) => name)
  } catch (e) {
    errors.push(e instanceof ValidationError ? e.issues.map(formatIssue).join('; ') : (e as Error).message)
  }
  if (pools.length === 0) {
    const why = errors.length ? errors.join('; ') : 'the file lists no pools'
    return { infra: 'ssh', enabled: false, reason: `${file}: ${why}`, capabilities: [] }
  }
  return {
    infra: 'ssh',
    enabled: true,
    reason: `${pools.length} node pool${pools.length === 1 ? '' : 's'} in ${file}`,
    regions: pools,
    capabilities: ['compute'],
  }
}

function checkKubernetes(env: Env, home: string): InfraCheck {
  const info = readKubeconfig(env, home)
  // Contexts named ssh-<pool> belong to SSH node pools, not to the kubernetes infra.
  let contexts = info.contexts.map((c) => c.name).filter((n) => !n.startsWith('ssh-'))
  if (info.currentContext && contexts.includes(info.currentContext)) {
    // Current context first, the way kubectl users expect it.
    contexts = [info.currentContext, ...contexts.filter((c) => c !== info.currentContext)]
  }
  if (contexts.length === 0) {
    const where = info.files.join(', ')
    const why = info.errors.length
      ? info.errors.join('; ')
      : `no kubeconfig contexts found in ${where}; point KUBECONFIG at a kubeconfig or create ~/.kube/config`
    return { infra: 'kubernetes', enabled: false, reason: why, capabilities: [] }
  }
  return {
    infra: 'kubernetes',
    enabled: true,
    reason: `kubeconfig ${info.files.filter(Boolean).join(', ')}`,
    regions: contexts,
    capabilities: ['compute'],
  }
}

/** Check the given (or all) infra. Pure apart from reading files: nothing is persisted. */
export function checkInfra(opts: CheckOptions = {}): InfraCheck[] {
  const env = opts.env ?? process.env
  const home = opts.home ?? (env.HOME || homedir())
  let names: InfraName[] = [...INFRA_NAMES]
  if (opts.only && opts.only.length > 0) {
    const bad = opts.only.filter((n) => !canonicalInfraName(n))
    if (bad.length) {
      throw new ValidationError(
        bad.map((b) => ({ path: 'infra', message: `'${b}' is not a supported infra (supported: ${INFRA_NAMES.join(', ')})`, value: b })),
      )
    }
    const wanted = new Set(opts.only.map((n) => canonicalInfraName(n)!))
    names = names.filter((n) => wanted.has(n))
  }
  const checks = names.map((n): InfraCheck => {
    switch (n) {
      case 'local':
        return checkLocal()
      case 'ssh':
        // With an explicit env, $SKY_HOME comes from it; otherwise from the process (paths.ts).
        return checkSsh(opts.env ? join(env.SKY_HOME || join(home, '.sky'), 'ssh_node_pools.yaml') : paths.sshNodePools())
      case 'kubernetes':
        return checkKubernetes(env, home)
      case 'aws': {
        const r = awsCredentials(env, home)
        return { infra: n, enabled: r.found, reason: r.detail, capabilities: r.found ? ['compute', 'storage'] : [] }
      }
      case 'gcp': {
        const r = gcpCredentials(env, home)
        return { infra: n, enabled: r.found, reason: r.detail, capabilities: r.found ? ['compute', 'storage'] : [] }
      }
    }
  })
  return applyAllowLists(checks, opts.config)
}

/** The optimizer's view of a check result: enabled infra plus their contexts / pools. */
export function enabledInfraFromChecks(checks: InfraCheck[]): EnabledInfra {
  const enabled = checks.filter((c) => c.enabled && c.capabilities.includes('compute'))
  const regions: Record<string, string[]> = {}
  for (const c of enabled) if (c.regions && c.infra !== 'local') regions[c.infra] = c.regions
  const disabled: Record<string, string> = {}
  for (const c of checks) if (!c.enabled && c.reason.startsWith('not in allowed_clouds')) disabled[c.infra] = c.reason
  return { infra: enabled.map((c) => c.infra), regions, ...(Object.keys(disabled).length ? { disabled } : {}) }
}

/** `aws, gcp, k8s/ctx, ssh/pool, local` — the `Enabled Infra:` line of `sky status`. */
export function formatEnabledInfra(checks: InfraCheck[]): string {
  const parts: string[] = []
  for (const c of checks) {
    if (!c.enabled) continue
    if (c.infra === 'kubernetes') parts.push(...(c.regions ?? []).map((r) => `k8s/${r}`))
    else if (c.infra === 'ssh') parts.push(...(c.regions ?? []).map((r) => `ssh/${r}`))
    else parts.push(c.infra)
  }
  return parts.join(', ')
}
