// Compute Engine errors → typed provisioning failures, so failover moves on by cause (SkyPilot's
// GCP failover handler, §5 of the behaviour reference):
//   no capacity / type not offered in the zone / rate limits     → next zone
//   quota of the region                                          → next region
//   GPUS_ALL_REGIONS quota                                       → skip GCP (no region has any)
//   credentials refused, permissions missing, API disabled,
//   project or VPC not found, image not found                    → skip GCP with the reason
//   subnet of the VPC missing in the region                      → next region
// Errors come two ways: at once as an HTTP error (GoogleError: gRPC code, message, ErrorInfo
// reason/metadata) — quota, auth, bad requests — or inside the finished operation
// (error.errors[].code) — stockouts, which often show only there.
import { ProvisionError, toSkyError } from '../../errors'
import { classify, type ErrorRule } from '../cloud-vm/failover'
import { FatalProvisionError, InfraAuthError, InfraConfigError, QuotaError } from '../errors'

export interface Where {
  region: string | null
  zone: string | null
  /** `instances.insert`, `firewalls.insert`... */
  op: string
}

const NETWORK = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|Unable to connect|fetch failed|getaddrinfo|socket hang up/i

const CREDENTIALS = /Could not load the default credentials|invalid_grant|invalid_client|unauthorized_client|invalid_rapt|Could not refresh access token|PEM routines|DECODER routines|private key|No key or keyFile set|metadata server detection/i

const AUTH_HINT = 'Check the credentials and project sky uses: sky check gcp'

/** Codes of errors inside a finished operation (and the few that come as HTTP errors with a code). */
export const GCP_OPERATION_RULES: readonly ErrorRule[] = [
  {
    match: ['ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', 'UNSUPPORTED_OPERATION', 'RESOURCE_NOT_READY', 'RESOURCE_OPERATION_RATE_EXCEEDED', 'RESOURCE_NOT_FOUND', 'STOCKOUT', 'insufficientCapacity', 'RESOURCE_AVAILABILITY_EXHAUSTED'],
    cause: 'capacity',
  },
  { match: /^(QUOTA_EXCEEDED|quotaExceeded): .*GPUS_ALL_REGIONS/, cause: 'quota', scope: 'infra', hint: 'The project may use no more GPUs anywhere: request a GPUS_ALL_REGIONS quota increase.' },
  { match: ['QUOTA_EXCEEDED', 'quotaExceeded', 'QUOTA_LIMIT_EXCEEDED'], cause: 'quota' },
  { match: ['SUBNET_NOT_FOUND_FOR_VPC'], cause: 'config', scope: 'region' },
  { match: ['VPC_NOT_FOUND', 'NETWORK_NOT_FOUND'], cause: 'config', hint: 'Create the VPC network, or set gcp.vpc_name to one that exists.' },
  { match: ['PERMISSION_DENIED', 'IAM_PERMISSION_DENIED', 'FORBIDDEN'], cause: 'auth', hint: AUTH_HINT },
]

/** gRPC status codes the client library reports for HTTP errors. */
const GRPC = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const

export interface GoogleErrorLike {
  code?: number | string
  message?: string
  reason?: string
  errorInfoMetadata?: Record<string, string>
  name?: string
}

/** A GoogleError from the client library (HTTP error with a numeric gRPC code). */
export function isGoogleError(e: unknown): e is GoogleErrorLike & { code: number } {
  return !!e && typeof e === 'object' && typeof (e as GoogleErrorLike).code === 'number' && typeof (e as GoogleErrorLike).message === 'string'
}

/** The gRPC code of a library error, or undefined. */
export function grpcCode(e: unknown): number | undefined {
  return isGoogleError(e) ? e.code : undefined
}

export const GRPC_CODES = GRPC

const quotaMetric = (msg: string, meta?: Record<string, string>) => meta?.quota_metric ?? /Quota '([A-Z0-9_]+)' exceeded/.exec(msg)?.[1]

/** The typed failure for one error of a finished operation. */
export function operationFailure(code: string, message: string, w: Where): Error {
  const place = { infra: 'gcp', region: w.region, zone: w.zone }
  const prefix = `Compute ${w.op}${w.zone ? ` in ${w.zone}` : w.region ? ` in ${w.region}` : ''}: `
  const typed = classify(GCP_OPERATION_RULES, code, message, place, prefix)
  return typed ?? new FatalProvisionError(`${prefix}${code}: ${message}`, place)
}

/** The failure to throw for a rejected Compute call. */
export function gcpFailure(e: unknown, w: Where): Error {
  if (e instanceof ProvisionError) return e
  const place = { infra: 'gcp', region: w.region, zone: w.zone }
  const prefix = `Compute ${w.op}${w.zone ? ` in ${w.zone}` : w.region ? ` in ${w.region}` : ''}: `
  const text = toSkyError(e).message
  // The endpoint cannot be reached at all (network, DNS, a wrong GOOGLE_COMPUTE_CUSTOM_ENDPOINT): GCP is unusable here.
  if (NETWORK.test(text)) {
    return new InfraConfigError(`Cannot reach Compute Engine (${w.op}): ${text}`, { ...place, hint: 'Check the network and GOOGLE_COMPUTE_CUSTOM_ENDPOINT / gcp.compute_endpoint.' })
  }
  // The credentials themselves are unusable (a broken key, a revoked refresh token): GCP is unusable here.
  if (CREDENTIALS.test(text)) {
    return new InfraAuthError(`GCP credentials: ${text.replace(/^Exceeded maximum number of retries retrying error (Error: )?/, '').replace(/ before any response was received.*$/s, '')}`, { ...place, hint: 'Run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS to a valid key file), then: sky check gcp' })
  }
  if (isGoogleError(e)) {
    const msg = (e.message ?? '').replace(/^\d+ [A-Z_]+: /, '')
    const metric = quotaMetric(msg, e.errorInfoMetadata)
    if (e.reason === 'QUOTA_EXCEEDED' || /quota .*exceeded|Quota '.*' exceeded/i.test(msg)) {
      const global = metric === 'GPUS_ALL_REGIONS' || /globally/.test(msg)
      return new QuotaError(`${prefix}QUOTA_EXCEEDED: ${msg}`, {
        ...place,
        ...(global ? { scope: 'infra', hint: 'The project may use no more GPUs anywhere: request a GPUS_ALL_REGIONS quota increase.' } : { hint: `Request more ${metric ? `${metric} ` : ''}quota in ${w.region ?? 'the region'}, or try another region.` }),
      })
    }
    switch (e.code) {
      case GRPC.UNAUTHENTICATED:
        return new InfraAuthError(`${prefix}credentials refused: ${msg}`, { ...place, hint: AUTH_HINT })
      case GRPC.PERMISSION_DENIED:
        if (/has not been used|is disabled|SERVICE_DISABLED|accessNotConfigured/i.test(`${msg} ${e.reason ?? ''}`)) {
          return new InfraConfigError(`${prefix}the Compute Engine API is not enabled for the project: ${msg}`, { ...place, hint: 'Enable it: gcloud services enable compute.googleapis.com' })
        }
        return new InfraAuthError(`${prefix}permission denied: ${msg}`, { ...place, hint: AUTH_HINT })
      case GRPC.NOT_FOUND:
        if (/resource 'projects\/[^/']+' was not found/.test(msg)) return new InfraConfigError(`${prefix}project not found: ${msg}`, { ...place, hint: 'Set GOOGLE_CLOUD_PROJECT (or gcloud config set project) to a project you can use, then: sky check gcp' })
        if (/\/global\/networks\//.test(msg)) return new InfraConfigError(`${prefix}VPC network not found: ${msg}`, { ...place, hint: 'Create it, or set gcp.vpc_name to a network that exists.' })
        if (/\/images\//.test(msg)) return new InfraConfigError(`${prefix}image not found: ${msg}`, { ...place, hint: 'Set image_id to an image or image family this project can read (projects/<p>/global/images/family/<f>).' })
        if (/\/zones\/[^/']+'/.test(msg) || /zones\/[^/]+\/(machineTypes|acceleratorTypes)/.test(msg)) return operationFailure('RESOURCE_NOT_FOUND', msg, w)
        return new FatalProvisionError(`${prefix}${msg}`, place)
      case GRPC.INVALID_ARGUMENT:
        // A machine or GPU type that this zone does not offer: another zone may.
        if (/does not exist in zone|not (supported|available) in zone|is not supported in|not found in zone/i.test(msg)) return operationFailure('UNSUPPORTED_OPERATION', msg, w)
        if (/network resource cannot be found|network .* not found/i.test(msg)) return operationFailure('VPC_NOT_FOUND', msg, w)
        if (/image .*(not found|cannot be found)|sourceImage/i.test(msg)) return new InfraConfigError(`${prefix}image not usable: ${msg}`, { ...place, hint: 'Set image_id to an image or image family this project can read.' })
        return new FatalProvisionError(`${prefix}${msg}`, place)
      case GRPC.RESOURCE_EXHAUSTED:
      case GRPC.UNAVAILABLE:
      case GRPC.INTERNAL:
      case GRPC.DEADLINE_EXCEEDED:
        return operationFailure('RESOURCE_OPERATION_RATE_EXCEEDED', msg, w)
      default:
        return new FatalProvisionError(`${prefix}${msg}`, place)
    }
  }
  const err = e as { name?: string; code?: string }
  if (err?.name === 'AbortError') return toSkyError(e)
  const msg = toSkyError(e).message
  if (typeof err?.code === 'string') {
    return new InfraConfigError(`Cannot reach Compute Engine (${w.op}): ${msg}`, { ...place, hint: 'Check the network and GOOGLE_COMPUTE_CUSTOM_ENDPOINT / gcp.compute_endpoint.' })
  }
  return new FatalProvisionError(`${prefix}${msg}`, place)
}
