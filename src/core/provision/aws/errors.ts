// EC2 errors → typed provisioning failures, so failover moves on by cause:
//   no capacity / type not offered in the zone → next zone
//   vCPU or instance quota                      → next region
//   credentials refused, permissions missing    → skip AWS with the reason
//   region not enabled for the account          → next region
// Anything unknown is fatal (never failed over: a bug or a bad request must not spread).
import { ProvisionError, toSkyError } from '../../errors'
import { classify, type ErrorRule } from '../cloud-vm/failover'
import { FatalProvisionError, InfraAuthError, InfraConfigError } from '../errors'

export interface Where {
  region: string | null
  zone: string | null
  op: string
}

export const AWS_ERROR_RULES: readonly ErrorRule[] = [
  {
    match: ['InsufficientInstanceCapacity', 'InsufficientHostCapacity', 'InsufficientReservedInstanceCapacity', 'InsufficientCapacityOnHost', 'InsufficientFreeAddressesInSubnet', 'SpotMaxPriceTooLow', 'Unsupported', 'InstanceCreditSpecification.NotSupported', 'RequestLimitExceeded'],
    cause: 'capacity',
  },
  { match: ['VcpuLimitExceeded', 'InstanceLimitExceeded', 'MaxSpotInstanceCountExceeded', 'InsufficientAddressCapacity', 'AddressLimitExceeded'], cause: 'quota' },
  { match: ['OptInRequired', 'UnauthorizedOperation.Region'], cause: 'config', scope: 'region', hint: 'Enable the region for your account, or leave it out (--infra aws/<other-region>).' },
  {
    match: ['AuthFailure', 'UnauthorizedOperation', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'InvalidToken', 'AccessDenied', 'AccessDeniedException', 'Blocked'],
    cause: 'auth',
    hint: 'Check the credentials sky uses: sky check aws',
  },
  { match: ['InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'InvalidAMIID.Unavailable'], cause: 'config', scope: 'region', hint: 'image_id must name an AMI of this region (use a per-region map: image_id: {us-east-1: ami-...}).' },
  { match: /^(InvalidParameterValue|InvalidInstanceType): .*(instance ?type|not supported)/i, cause: 'unsupported', scope: 'region' },
  { match: ['InvalidSubnetID.NotFound', 'InvalidVpcID.NotFound'], cause: 'config', scope: 'region' },
  { match: ['InvalidParameterCombination', 'InvalidParameterValue', 'InvalidBlockDeviceMapping', 'InvalidIamInstanceProfile', 'InvalidParameterValueException'], cause: 'fatal' },
]

/** How a request that never reached EC2 shows (DNS, refused or reset connections, timeouts). */
const NETWORK = /ECONNREFUSED|ConnectionRefused|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|DNSException|getaddrinfo|socket hang up|Unable to connect|fetch failed|NetworkingError|TimeoutError/i

const CREDENTIAL_ERRORS = /Could not load credentials|CredentialsProviderError|credential|token has expired|SSO session/i

/** The failure to throw for a rejected EC2 call. */
export function awsFailure(e: unknown, w: Where): Error {
  const err = e as { name?: string; Code?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } }
  const place = { infra: 'aws', region: w.region, zone: w.zone }
  const prefix = `EC2 ${w.op}${w.zone ? ` in ${w.zone}` : w.region ? ` in ${w.region}` : ''}: `
  const msg0 = err?.message ?? String(e)
  if (!err?.$metadata?.httpStatusCode && NETWORK.test(`${err?.name ?? ''} ${err?.code ?? ''} ${msg0}`)) {
    // The endpoint cannot be reached at all (network, DNS, a wrong AWS_ENDPOINT_URL): AWS is unusable here.
    const ep = process.env.AWS_ENDPOINT_URL_EC2 || process.env.AWS_ENDPOINT_URL
    return new InfraConfigError(`Cannot reach EC2${ep ? ` at ${ep}` : ''} (${w.region ?? 'no region'}): ${msg0}`, { ...place, hint: 'Check the network and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2.' })
  }
  if (err && typeof err === 'object' && '$metadata' in err) {
    const code = err.Code ?? err.name ?? 'Error'
    const typed = classify(AWS_ERROR_RULES, code, err.message ?? '', place, prefix)
    if (typed) return typed
    return new FatalProvisionError(`${prefix}${code}: ${err.message ?? ''}`, place)
  }
  if (e instanceof ProvisionError) return e
  const msg = toSkyError(e).message
  if (err?.name === 'AbortError') return toSkyError(e)
  if (err?.name === 'CredentialsProviderError' || CREDENTIAL_ERRORS.test(msg)) {
    return new InfraAuthError(`AWS credentials: ${msg}`, { ...place, hint: 'Run `aws configure` (or set AWS_PROFILE / AWS_ACCESS_KEY_ID), then: sky check aws' })
  }
  return new FatalProvisionError(`${prefix}${msg}`, place)
}
