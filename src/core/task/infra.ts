// The `infra` string (`aws`, `aws/us-east-1/us-east-1a`, `k8s/<context>`, `ssh/<pool>`, `*/region`)
// and the legacy `cloud`/`region`/`zone` fields, both normalized to Infra.
import type { Parsed } from './scalars'
import type { Infra } from './types'

/** Every infra name of the SkyPilot format. We run only some; the optimizer decides feasibility. */
export const KNOWN_CLOUDS = [
  'aws',
  'azure',
  'gcp',
  'ibm',
  'lambda',
  'scp',
  'oci',
  'kubernetes',
  'runpod',
  'vast',
  'vsphere',
  'cudo',
  'fluidstack',
  'paperspace',
  'primeintellect',
  'do',
  'nebius',
  'ssh',
  'slurm',
  'hyperbolic',
  'seeweb',
  'shadeform',
  'yotta',
  'mithril',
  'verda',
  'coreweave',
  'local',
] as const

const ALIASES: Record<string, string> = { k8s: 'kubernetes' }

/** Canonical lower-case cloud name, or undefined when it is not an infra we know. */
export function canonicalCloud(name: string): string | undefined {
  const lower = name.trim().toLowerCase()
  const c = ALIASES[lower] ?? lower
  return (KNOWN_CLOUDS as readonly string[]).includes(c) ? c : undefined
}

/** Infra names users may type, for did-you-mean suggestions. */
export const CLOUD_NAMES: readonly string[] = [...KNOWN_CLOUDS, 'k8s']

const ALLOWED =
  "must be 'cloud', 'cloud/region' or 'cloud/region/zone' (use * for any), 'k8s/<context>' or 'ssh/<pool>', e.g. aws/us-east-1"

/** Parse an infra string. `*` parts mean "any" and become undefined. */
export function parseInfra(raw: string): Parsed<Infra | undefined> {
  const s = raw.trim().replace(/^\/+|\/+$/g, '')
  if (s === '' || s === '*') return { ok: true, value: undefined }
  const parts = s.split('/').map((p) => p.trim())
  if (parts.some((p) => p === '')) return { ok: false, error: `${ALLOWED}; empty parts ('//') are not allowed` }
  const head = parts[0]!
  let cloud: string | undefined
  if (head !== '*') {
    cloud = canonicalCloud(head)
    if (!cloud) return { ok: false, error: `unknown infra '${head}'; known: ${KNOWN_CLOUDS.join(', ')}` }
  }
  const rest = parts.slice(1)
  const infra: Infra = {}
  if (cloud) infra.cloud = cloud
  if (cloud === 'kubernetes' || cloud === 'ssh') {
    // A kubernetes context (or ssh pool) may itself contain '/' (e.g. EKS ARNs).
    const context = rest.join('/')
    if (context !== '' && context !== '*') infra.region = context
  } else {
    if (rest.length > 2) return { ok: false, error: `${ALLOWED}; got ${parts.length} parts` }
    if (rest[0] !== undefined && rest[0] !== '*') infra.region = rest[0]
    if (rest[1] !== undefined && rest[1] !== '*') infra.zone = rest[1]
  }
  return { ok: true, value: isEmptyInfra(infra) ? undefined : infra }
}

export function isEmptyInfra(i: Infra | undefined): boolean {
  return !i || (i.cloud === undefined && i.region === undefined && i.zone === undefined)
}

/** Infra back to its string form; trailing wildcards dropped. undefined when it is "anything". */
export function infraToString(i: Infra | undefined): string | undefined {
  if (isEmptyInfra(i)) return undefined
  const parts = [i!.cloud ?? '*', i!.region ?? '*', i!.zone ?? '*']
  while (parts.length > 0 && parts[parts.length - 1] === '*') parts.pop()
  return parts.join('/')
}
