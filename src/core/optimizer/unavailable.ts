// The error raised when no infra can satisfy a request: one line per infra saying why, and a hint
// of what to change.
import { ResourcesUnavailableError } from '../errors'
import type { ResourcesSpec } from '../task/types'
import type { Rejection } from './types'

function hintFor(spec: ResourcesSpec, rejected: Rejection[]): string {
  const hints: string[] = []
  const reasons = rejected.map((r) => r.reason)
  const gpu = spec.candidates.find((c) => c.accelerator)?.accelerator
  if (gpu) hints.push(`see where ${gpu.name} is offered: sky gpus list ${gpu.name}`)
  if (reasons.some((r) => r.startsWith('not enabled'))) hints.push('enable more infra: sky check')
  const exact = spec.candidates.some((c) => (c.cpus && !c.cpus.orMore) || (c.memory && !c.memory.orMore))
  if (exact && reasons.some((r) => /vCPUs|memory|CPU/.test(r))) {
    hints.push("allow larger machines with a '+' (e.g. cpus: 8+, memory: 32+)")
  }
  if (reasons.some((r) => r.includes('max_hourly_cost'))) hints.push('raise or remove max_hourly_cost')
  if (spec.candidates.some((c) => c.useSpot) && reasons.some((r) => /spot/.test(r))) {
    hints.push('fall back to on-demand: any_of: [{use_spot: true}, {use_spot: false}]')
  }
  const pinned = spec.candidates.some((c) => c.infra?.region || c.infra?.zone)
  if (pinned && reasons.some((r) => / in |zone|region|context|pool/.test(r))) {
    hints.push('drop the region/zone from infra to search everywhere')
  }
  if (reasons.some((r) => r.includes('blocked'))) hints.push('retry later or with --retry-until-up')
  if (hints.length === 0) hints.push('relax the request or enable more infra (sky check)')
  return 'Try: ' + hints.join('; ') + '.'
}

export function unavailableError(
  spec: ResourcesSpec,
  numNodes: number,
  requests: string[],
  rejected: Rejection[],
): ResourcesUnavailableError {
  const nodes = `${numNodes} node${numNodes === 1 ? '' : 's'}`
  // Reasons from infra that were looked at come first; "not enabled" lines last.
  const off = (r: Rejection) => (r.reason.startsWith('not enabled') ? 1 : 0)
  rejected = [...rejected].sort((a, b) => off(a) - off(b))
  const lines: string[] = []
  if (requests.length === 1) {
    lines.push(`No resource satisfies ${requests[0]} (${nodes}):`)
    for (const r of rejected) lines.push(`  ${r.infra}: ${r.reason}`)
  } else {
    lines.push(`None of the ${requests.length} requested alternatives can be satisfied (${nodes}):`)
    requests.forEach((req, i) => {
      lines.push(`  [${i + 1}] ${req}:`)
      for (const r of rejected.filter((x) => x.alternative === i)) lines.push(`    ${r.infra}: ${r.reason}`)
    })
  }
  return new ResourcesUnavailableError(lines.join('\n'), {
    hint: hintFor(spec, rejected),
    details: { rejected, requests, numNodes },
  })
}
