// Cloud errors → the typed failures failover acts on. Each cloud lists its error codes once, with
// the cause and (when not the cause's default) the scope:
//   capacity → the next zone of the region, quota → the next region, auth / config / unsupported →
//   skip the infra, fatal → stop.
// The zone → region → infra iteration itself is the cluster layer's (clusters/ensure.ts: every zone
// of a region in order, then the optimizer's next candidate); this is what tells it how far to go.
import { CapacityError, FatalProvisionError, InfraAuthError, InfraConfigError, QuotaError, UnsupportedError, type FailoverScope, type ProvisionCause } from '../errors'

export interface ErrorRule {
  /** Error codes (exact) or a pattern tested against `code: message`. */
  match: string[] | RegExp
  cause: ProvisionCause
  scope?: FailoverScope
  /** Shown after the cloud's message. */
  hint?: string
}

export interface Place {
  infra: string
  region: string | null
  zone: string | null
}

const CLASSES = {
  capacity: CapacityError,
  quota: QuotaError,
  auth: InfraAuthError,
  config: InfraConfigError,
  unsupported: UnsupportedError,
  fatal: FatalProvisionError,
} as const

/** The typed failure for a cloud error, or null when no rule matches. */
export function classify(rules: readonly ErrorRule[], code: string, message: string, where: Place, prefix: string): Error | null {
  const text = `${code}: ${message}`
  for (const r of rules) {
    const hit = Array.isArray(r.match) ? r.match.includes(code) : r.match.test(text)
    if (!hit) continue
    const Cls = CLASSES[r.cause]
    return new Cls(`${prefix}${text}`, {
      infra: where.infra,
      region: where.region,
      zone: where.zone,
      ...(r.scope ? { scope: r.scope } : {}),
      ...(r.hint ? { hint: r.hint } : {}),
    })
  }
  return null
}
