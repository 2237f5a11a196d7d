// Fault rules of the Compute test server. Two kinds, as Compute reports them:
// - inside the operation: the call is accepted (200 + an operation) and the DONE operation carries
//   error.errors[{code}] — ZONE_RESOURCE_POOL_EXHAUSTED and the other stockout codes;
// - immediate: an HTTP error in Google's shape — QUOTA_EXCEEDED (403, quota metric and region in
//   the message and in an ErrorInfo detail), UNAUTHENTICATED (401), PERMISSION_DENIED (403).
import type { FaultRuleBase } from '../cloud/faults.ts'
import { gpuQuotaMetric } from './catalog.ts'
import { GceHttpError, quotaExceeded } from './errors.ts'
import type { OpError } from './operations.ts'

export type GceOperationFaultCode = 'ZONE_RESOURCE_POOL_EXHAUSTED' | 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS' | 'UNSUPPORTED_OPERATION' | 'RESOURCE_NOT_READY'
export type GceHttpFaultCode = 'QUOTA_EXCEEDED' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED'

export type GceFault =
  | GceOperationFaultCode
  | GceHttpFaultCode
  /** Any code inside the DONE operation (e.g. QUOTA_EXCEEDED reported there, as Compute sometimes does). */
  | { operationError: string; message?: string; httpStatus?: number }
  /** Any immediate HTTP error. */
  | { status: number; reason: string; message?: string }

type OneOrMany<T> = T | T[]

/** What a call is matched on. */
export interface GceCallFields {
  /** Discovery-style method name: instances.insert, instances.start, firewalls.insert, zones.list, ... */
  method: string
  project: string
  zone?: string
  region?: string
  /** Machine type name (n1-standard-8), from the request or the existing instance. */
  machineType?: string
  /** provisioningModel SPOT (or preemptible). */
  spot?: boolean
  /** First GPU type: guestAccelerators, or the machine type's built-in GPUs (a2, g2, a3). */
  accelerator?: string
}

export interface GceFaultRule extends FaultRuleBase {
  fault: GceFault
  /** Default: instances.insert for operation and quota faults; every method for the others. */
  method?: OneOrMany<string>
  project?: string
  zone?: OneOrMany<string>
  region?: OneOrMany<string>
  machineType?: OneOrMany<string>
  spot?: boolean
  accelerator?: OneOrMany<string>
  /** QUOTA_EXCEEDED: the metric named (default: the GPU's or CPUS, PREEMPTIBLE_ for spot; GPUS_ALL_REGIONS is global). */
  quotaMetric?: string
}

const OP_CODES = new Set(['ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', 'UNSUPPORTED_OPERATION', 'RESOURCE_NOT_READY'])

/** Methods whose calls return an operation a fault can fail. */
export const OPERATION_METHODS = ['instances.insert', 'instances.start', 'instances.stop', 'instances.delete', 'instances.setLabels', 'instances.setMetadata', 'firewalls.insert', 'firewalls.delete']

export function isOperationFault(f: GceFault): boolean {
  return typeof f === 'string' ? OP_CODES.has(f) : 'operationError' in f
}

export function normalizeGceRule(rule: GceFaultRule): GceFaultRule {
  const methods = rule.method === undefined ? undefined : [rule.method].flat()
  if (isOperationFault(rule.fault)) {
    const bad = methods?.filter((m) => !OPERATION_METHODS.includes(m)) ?? []
    if (bad.length) throw new Error(`fault rule: ${bad.join(', ')} return no operation; operation faults apply to ${OPERATION_METHODS.join(', ')}`)
    return methods ? rule : { ...rule, method: 'instances.insert' }
  }
  if (rule.fault === 'QUOTA_EXCEEDED' && !methods) return { ...rule, method: 'instances.insert' }
  return rule
}

export function operationError(fault: GceFault, call: GceCallFields): OpError {
  if (typeof fault === 'object' && 'operationError' in fault) {
    return { code: fault.operationError, message: fault.message ?? `${fault.operationError} (injected by the sky test server)`, httpStatus: fault.httpStatus ?? 400 }
  }
  const zone = `projects/${call.project}/zones/${call.zone}`
  switch (fault) {
    case 'ZONE_RESOURCE_POOL_EXHAUSTED':
      return { code: fault, httpStatus: 503, message: `The zone '${zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.` }
    case 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS':
      return {
        code: fault,
        httpStatus: 503,
        message: `The zone '${zone}' does not have enough resources available to fulfill the request.  '(resource type:compute)'.`,
        errorDetails: [{ errorInfo: { reason: 'STOCKOUT', domain: 'compute.googleapis.com', metadatas: { zone: call.zone ?? '', vmType: call.machineType ?? '' } } }],
      }
    case 'UNSUPPORTED_OPERATION':
      return { code: fault, httpStatus: 400, message: `The machine type ${call.machineType ?? ''} with the requested accelerators is not supported in zone ${call.zone}.` }
    default:
      return { code: 'RESOURCE_NOT_READY', httpStatus: 400, message: `The resource 'projects/${call.project}/zones/${call.zone}' is not ready` }
  }
}

export function httpError(fault: GceFault, call: GceCallFields, quotaMetric?: string): GceHttpError {
  if (typeof fault === 'object' && 'status' in fault) return new GceHttpError(fault.status, fault.reason, fault.message ?? `${fault.reason} (injected by the sky test server)`)
  switch (fault) {
    case 'QUOTA_EXCEEDED': {
      const metric = quotaMetric ?? (call.accelerator ? gpuQuotaMetric(call.accelerator, !!call.spot) : call.spot ? 'PREEMPTIBLE_CPUS' : 'CPUS')
      return quotaExceeded(metric, metric === 'GPUS_ALL_REGIONS' ? undefined : call.region)
    }
    case 'UNAUTHENTICATED':
      return new GceHttpError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')
    default:
      return new GceHttpError(403, 'forbidden', `Required 'compute.${call.method}' permission for 'projects/${call.project}'`)
  }
}
