// The "Considered resources" table printed before a launch: one row per (infra, GPUs, market)
// group — per context / pool for Kubernetes and SSH — keeping the cheapest, the chosen row marked.
import { fmtNum } from '../catalog/query'
import { infraLabel as infraColumn, isLiveInfra } from '../infra/types'
import { renderTable } from '../../lib/table'
import type { Candidate, Plan } from './types'

export interface RenderPlanOptions {
  /** ANSI colours: bold header and chosen row, green check mark. */
  color?: boolean
  /** For DAGs: `Considered resources for task 'x' (N nodes):`. */
  taskName?: string
  /** Show every candidate instead of one row per group. */
  verbose?: boolean
}

export interface PlanRow {
  infra: string
  instance: string
  vcpus: string
  memory: string
  gpus: string
  cost: string
  chosen: boolean
  candidate: Candidate
}

export function infraLabel(c: Candidate): string {
  const zone = c.request.infra?.zone && c.request.infra.zone !== '*' ? c.request.infra.zone : undefined
  return infraColumn(c.infra, c.region, zone)
}

function groupKey(c: Candidate): string {
  const gpu = c.gpu ? `${c.gpu.name}:${c.gpu.count}` : '-'
  return [c.infra, isLiveInfra(c.infra) ? c.region : '', gpu, c.useSpot ? 'spot' : 'od'].join('|')
}

function toRow(c: Candidate, chosen: boolean): PlanRow {
  return {
    infra: infraLabel(c),
    instance: isLiveInfra(c.infra) ? '-' : `${c.instanceType}${c.useSpot ? '[Spot]' : ''}`,
    vcpus: fmtNum(c.vcpus),
    memory: fmtNum(c.memoryGb),
    gpus: c.gpu ? `${c.gpu.name}:${fmtNum(c.gpu.count)}` : '-',
    cost: c.hourlyCost.toFixed(2),
    chosen,
    candidate: c,
  }
}

/** The table rows: grouped (cheapest or chosen per group), in plan order. */
export function planRows(plan: Plan, opts: { verbose?: boolean } = {}): PlanRow[] {
  if (opts.verbose) return plan.candidates.map((c) => toRow(c, c === plan.chosen))
  const reps = new Map<string, Candidate>()
  const chosenKey = groupKey(plan.chosen)
  for (const c of plan.candidates) {
    const k = groupKey(c)
    if (!reps.has(k)) reps.set(k, k === chosenKey ? plan.chosen : c)
  }
  return [...reps.values()].map((c) => toRow(c, c === plan.chosen))
}

/** Estimated hourly cost of the chosen candidate, all nodes. */
export function estimatedCost(plan: Plan): number {
  return plan.chosen.hourlyCost
}

export function renderPlan(plan: Plan, opts: RenderPlanOptions = {}): string {
  const bold = (s: string) => (opts.color ? `\x1b[1m${s}\x1b[0m` : s)
  const green = (s: string) => (opts.color ? `\x1b[32m${s}\x1b[0m` : s)
  const rows = planRows(plan, opts)
  const lines: string[] = []
  if (rows.length > 1) {
    lines.push(bold('Target: minimizing cost'))
    lines.push(`Estimated cost: $${estimatedCost(plan).toFixed(1)} / hour`)
    lines.push('')
  }
  if (plan.mode === 'ordered' && plan.requests.length > 1) {
    lines.push('Using user-specified resources list (will be tried in the listed order).')
    lines.push('')
  }
  const n = `${plan.numNodes} node${plan.numNodes === 1 ? '' : 's'}`
  lines.push(bold(opts.taskName ? `Considered resources for task '${opts.taskName}' (${n}):` : `Considered resources (${n}):`))
  const table = renderTable(
    ['INFRA', 'INSTANCE', 'vCPUs', 'Mem(GB)', 'GPUS', 'COST ($)', 'CHOSEN'],
    rows.map((r) => {
      const cells = [r.infra, r.instance, r.vcpus, r.memory, r.gpus, r.cost]
      return r.chosen ? [...cells.map(bold), green('✔')] : [...cells, '']
    }),
    { headerStyle: opts.color ? bold : undefined },
  )
  lines.push(table)
  return lines.join('\n')
}
