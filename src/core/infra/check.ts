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
}

export interface CheckOptions {
  /** Environment to read (default process.env). */
  env?: Env
  /** Home directory (default $HOME from env, else the OS home). */
  home?: string
  /** Check only these infra (`sky check aws k8s`); names are validated. */
  only?: string[]
  /** Merged config: `kubernetes.allowed_contexts` and `ssh.allowed_node_pools` narrow the lists. */
  config?: Record<string, unknown>
}

function cfgList(config: Record<string, unknown> | undefined, section: string, key: string): string[] | undefined {
  const s = config?.[section]
  const v = s && typeof s === 'object' ? (s as Record<string, unknown>)[key] : undefined
  return Array.isArray(v) ? v.map(String) : undefined
}

function checkLocal(): InfraCheck {
  return { infra: 'local', enabled: true, reason: 'this machine is always available', regions: ['local'], capabilities: ['compute'] }
}

function checkSsh(file: string, config?: Record<string, unknown>): InfraCheck {
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
  const allowed = cfgList(config, 'ssh', 'allowed_node_pools')
  if (allowed) pools = pools.filter((p) => allowed.includes(p))
  if (pools.length === 0) {
    const why = errors.length ? errors.join('; ') : allowed ? 'no pool is in ssh.allowed_node_pools' : 'the file lists no pools'
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

function checkKubernetes(env: Env, home: string, config?: Record<string, unknown>): InfraCheck {
  const info = readKubeconfig(env, home)
  // Contexts named ssh-<pool> belong to SSH node pools, not to the kubernetes infra.
  let contexts = info.contexts.map((c) => c.name).filter((n) => !n.startsWith('ssh-'))
  const allowed = cfgList(config, 'kubernetes', 'allowed_contexts')
  if (allowed) contexts = contexts.filter((c) => allowed.includes(c))
  else if (info.currentContext && contexts.includes(info.currentContext)) {
    // Current context first, the way kubectl users expect it.
    contexts = [info.currentContext, ...contexts.filter((c) => c !== info.currentContext)]
  }
  if (contexts.length === 0) {
    const where = info.files.join(', ')
    const why = info.errors.length
      ? info.errors.join('; ')
      : allowed
        ? `none of the contexts in ${where} is in kubernetes.allowed_contexts`
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
  return names.map((n) => {
    switch (n) {
      case 'local':
        return checkLocal()
      case 'ssh':
        // With an explicit env, $SKY_HOME comes from it; otherwise from the process (paths.ts).
        return checkSsh(
          opts.env ? join(env.SKY_HOME || join(home, '.sky'), 'ssh_node_pools.yaml') : paths.sshNodePools(),
          opts.config,
        )
      case 'kubernetes':
        return checkKubernetes(env, home, opts.config)
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
}

/** The optimizer's view of a check result: enabled infra plus their contexts / pools. */
export function enabledInfraFromChecks(checks: InfraCheck[]): EnabledInfra {
  const enabled = checks.filter((c) => c.enabled && c.capabilities.includes('compute'))
  const regions: Record<string, string[]> = {}
  for (const c of enabled) if (c.regions && c.infra !== 'local') regions[c.infra] = c.regions
  return { infra: enabled.map((c) => c.infra), regions }
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
