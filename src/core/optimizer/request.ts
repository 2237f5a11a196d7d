// Checks one requested Resources for impossible values and describes it in words for messages.
import { ValidationError, type FieldIssue } from '../errors'
import { fmtNum } from '../catalog/query'
import type { Resources } from '../task/types'

/** `*` and empty parts of an infra mean "any". */
export function infraPart(v: string | undefined): string | undefined {
  return v === undefined || v === '' || v === '*' ? undefined : v
}

/** Throw ValidationError for values no infra could ever satisfy. */
export function validateRequest(r: Resources, where: string): void {
  const issues: FieldIssue[] = []
  if (r.accelerator && !(r.accelerator.count > 0)) {
    issues.push({ path: `${where}.accelerators`, message: 'GPU count must be greater than 0', value: r.accelerator.count })
  }
  if (r.accelerator && !r.accelerator.name) issues.push({ path: `${where}.accelerators`, message: 'GPU name is empty' })
  if (r.cpus && !(r.cpus.value > 0)) issues.push({ path: `${where}.cpus`, message: 'must be greater than 0', value: r.cpus.value })
  if (r.memory && !(r.memory.value > 0)) {
    issues.push({ path: `${where}.memory`, message: 'must be greater than 0', value: r.memory.value })
  }
  if (r.maxHourlyCost !== undefined && !(r.maxHourlyCost > 0)) {
    issues.push({ path: `${where}.max_hourly_cost`, message: 'must be greater than 0', value: r.maxHourlyCost })
  }
  if (issues.length) throw new ValidationError(issues)
}

/** Short text for one alternative: `8x H100, aws/us-west-1, spot`. */
export function describeRequest(r: Resources): string {
  const parts: string[] = []
  if (r.accelerator) parts.push(`${fmtNum(r.accelerator.count)}x ${r.accelerator.name}`)
  if (r.instanceType) parts.push(`instance_type=${r.instanceType}`)
  if (r.cpus) parts.push(`cpus=${fmtNum(r.cpus.value)}${r.cpus.orMore ? '+' : ''}`)
  if (r.memory) parts.push(`memory=${fmtNum(r.memory.value)}${r.memory.orMore ? '+' : ''}`)
  const infra = [infraPart(r.infra?.cloud) ?? '*', infraPart(r.infra?.region), infraPart(r.infra?.zone)]
  while (infra.length > 1 && infra[infra.length - 1] === undefined) infra.pop()
  if (infra.length > 1 || infra[0] !== '*') parts.push(`infra=${infra.map((p) => p ?? '*').join('/')}`)
  if (r.useSpot) parts.push('spot')
  if (r.maxHourlyCost !== undefined) parts.push(`max_hourly_cost=$${r.maxHourlyCost}`)
  return parts.length ? parts.join(', ') : 'default resources'
}
