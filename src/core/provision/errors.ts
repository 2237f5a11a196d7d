// Provisioning errors typed by cause, each with the failover scope it blocks:
//   capacity → zone (try the next zone of the region), quota → region, auth / config /
//   unsupported → the whole infra, fatal → stop failing over (the request is wrong, or a bug).
// A provisioner may widen or narrow the scope (GCP's all-regions GPU quota → infra). The cause and
// scope travel in `details` ({kind, scope, infra, region, zone}), so they survive the wire and a
// worker-thread hop; `failureOf` reads them back from any error.
import { ProvisionError, ResourcesUnavailableError, SkyError, toSkyError, type SkyErrorOptions } from '../errors'

export type ProvisionCause = 'capacity' | 'quota' | 'auth' | 'config' | 'unsupported' | 'fatal'
export type FailoverScope = 'zone' | 'region' | 'infra' | 'stop'

export const DEFAULT_SCOPE: Record<ProvisionCause, FailoverScope> = {
  capacity: 'zone',
  quota: 'region',
  auth: 'infra',
  config: 'infra',
  unsupported: 'infra',
  fatal: 'stop',
}

export interface FailureOptions extends SkyErrorOptions {
  /** Override the cause's default scope. */
  scope?: FailoverScope
  infra?: string
  region?: string | null
  zone?: string | null
  /** Live infra: the one node (SSH host, Kubernetes node) that failed; only it is blocked. */
  node?: string
}

export interface ProvisionFailureInfo {
  kind: ProvisionCause
  scope: FailoverScope
  infra?: string
  region?: string | null
  zone?: string | null
  node?: string
}

function details(kind: ProvisionCause, o: FailureOptions): Record<string, unknown> {
  return {
    ...o.details,
    kind,
    scope: o.scope ?? DEFAULT_SCOPE[kind],
    ...(o.infra ? { infra: o.infra } : {}),
    ...(o.region !== undefined ? { region: o.region } : {}),
    ...(o.zone !== undefined ? { zone: o.zone } : {}),
    ...(o.node ? { node: o.node } : {}),
  }
}

/** No capacity for the request where it was tried (stock-out, no host free, machine full). Exit 3. */
export class CapacityError extends ResourcesUnavailableError {
  readonly kind: ProvisionCause = 'capacity'
  constructor(message: string, o: FailureOptions = {}) {
    super(message, { ...o, details: details('capacity', o) })
  }
}

/** A quota or limit of the account in a region. Exit 3. */
export class QuotaError extends ResourcesUnavailableError {
  readonly kind: ProvisionCause = 'quota'
  constructor(message: string, o: FailureOptions = {}) {
    super(message, { ...o, details: details('quota', o) })
  }
}

/** Credentials missing, expired or refused; permissions lacking. */
export class InfraAuthError extends ProvisionError {
  readonly kind: ProvisionCause = 'auth'
  constructor(message: string, o: FailureOptions = {}) {
    super(message, { ...o, details: details('auth', o) })
  }
}

/** The infra is set up wrongly (no VPC, missing namespace, bad pool file). */
export class InfraConfigError extends ProvisionError {
  readonly kind: ProvisionCause = 'config'
  constructor(message: string, o: FailureOptions = {}) {
    super(message, { ...o, details: details('config', o) })
  }
}

/** The infra cannot do what was asked (stop, spot, ports...), or this build cannot launch there. */
export class UnsupportedError extends ProvisionError {
  readonly kind: ProvisionCause = 'unsupported'
  constructor(message: string, o: FailureOptions = {}) {
    super(message, { ...o, details: details('unsupported', o) })
  }
}

/** Trying elsewhere would not help (invalid request, disk smaller than the image...). */
export class FatalProvisionError extends ProvisionError {
  readonly kind: ProvisionCause = 'fatal'
  constructor(message: string, o: FailureOptions = {}) {
    super(message, { ...o, details: details('fatal', o) })
  }
}

const CAUSES = new Set<string>(['capacity', 'quota', 'auth', 'config', 'unsupported', 'fatal'])
const SCOPES = new Set<string>(['zone', 'region', 'infra', 'stop'])

/**
 * Cause and scope of any error thrown while provisioning. Typed failures (also after a wire hop)
 * keep theirs; cancellation is null (not a failure); anything else is fatal, so a bug stops the
 * failover loop instead of spreading over every region.
 */
export function failureOf(e: unknown): ProvisionFailureInfo | null {
  const err: SkyError = toSkyError(e)
  if (err.code === 'CANCELLED' || err.code === 'INTERRUPTED') return null
  const d = err.details ?? {}
  if (typeof d.kind === 'string' && CAUSES.has(d.kind)) {
    const kind = d.kind as ProvisionCause
    const scope = typeof d.scope === 'string' && SCOPES.has(d.scope) ? (d.scope as FailoverScope) : DEFAULT_SCOPE[kind]
    return {
      kind,
      scope,
      ...(typeof d.infra === 'string' ? { infra: d.infra } : {}),
      ...(d.region !== undefined ? { region: d.region as string | null } : {}),
      ...(d.zone !== undefined ? { zone: d.zone as string | null } : {}),
      ...(typeof d.node === 'string' ? { node: d.node } : {}),
    }
  }
  return { kind: 'fatal', scope: 'stop' }
}
