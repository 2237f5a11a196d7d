// The EC2 errors the fault proxy can answer, with the HTTP status and wording EC2 uses for them.
// A capacity error is an HTTP 500, which the AWS SDKs treat as transient and retry (three
// attempts in all by default): a rule keeps failing through the retries unless `times` says less.
import type { FaultRuleBase } from '../cloud/faults.ts'
import type { Ec2CallFields, Market } from './query.ts'

export type Ec2FaultCode =
  | 'InsufficientInstanceCapacity'
  | 'Unsupported'
  | 'VcpuLimitExceeded'
  | 'MaxSpotInstanceCountExceeded'
  | 'AuthFailure'
  | 'UnauthorizedOperation'

export type Ec2Fault = Ec2FaultCode | { status: number; code: string; message?: string }

type OneOrMany<T> = T | T[]

export interface Ec2FaultRule extends FaultRuleBase {
  fault: Ec2Fault
  /**
   * Default: RunInstances and RequestSpotInstances for capacity, unsupported and quota faults;
   * every action for AuthFailure, UnauthorizedOperation and custom faults.
   */
  action?: OneOrMany<string>
  region?: OneOrMany<string>
  zone?: OneOrMany<string>
  instanceType?: OneOrMany<string>
  market?: Market
}

export const LAUNCH_ACTIONS = ['RunInstances', 'RequestSpotInstances']

/** The rule as matched: the default actions filled in. */
export function normalizeRule(rule: Ec2FaultRule): Ec2FaultRule {
  if (rule.action !== undefined || typeof rule.fault !== 'string') return rule
  if (rule.fault === 'AuthFailure' || rule.fault === 'UnauthorizedOperation') return rule
  return { ...rule, action: LAUNCH_ACTIONS }
}

export function faultResponse(fault: Ec2Fault, call: Ec2CallFields): { status: number; code: string; message: string } {
  if (typeof fault !== 'string') return { status: fault.status, code: fault.code, message: fault.message ?? `${fault.code} (injected by the sky test proxy)` }
  const type = call.instanceType ?? 'the requested instance type'
  const zone = call.zone ?? call.region
  switch (fault) {
    case 'InsufficientInstanceCapacity':
      return {
        status: 500,
        code: fault,
        message:
          `We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${zone}). ` +
          'Our system will be working on provisioning additional capacity. You can currently get ' +
          `${type} capacity by not specifying an Availability Zone in your request or choosing a different one.`,
      }
    case 'Unsupported':
      return {
        status: 400,
        code: fault,
        message:
          `Your requested instance type (${type}) is not supported in your requested Availability Zone (${zone}). ` +
          'Please retry your request by not specifying an Availability Zone or choosing a different one.',
      }
    case 'VcpuLimitExceeded':
      return {
        status: 400,
        code: fault,
        message:
          'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket ' +
          'that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request ' +
          'to request an adjustment to this limit.',
      }
    case 'MaxSpotInstanceCountExceeded':
      return { status: 400, code: fault, message: 'Max spot instance count exceeded' }
    case 'AuthFailure':
      return { status: 401, code: fault, message: 'AWS was not able to validate the provided access credentials' }
    case 'UnauthorizedOperation':
      return {
        status: 403,
        code: fault,
        message:
          'You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/sky-test ' +
          `is not authorized to perform: ec2:${call.action} because no identity-based policy allows the ec2:${call.action} action`,
      }
  }
}
