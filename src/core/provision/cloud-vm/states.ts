// From a cloud's instance states to the contract's NodeState, and from a cluster's instances to
// one status per rank (what `query` answers and refresh acts on).
import type { NodeState, NodeStatus } from '../types'
import type { VmInstance } from './driver'

/** A cloud's state names → NodeState; unknown names are 'unknown' (never acted on). */
export function stateMapper(table: Record<string, NodeState>): (raw: string | undefined | null) => NodeState {
  const lower = Object.fromEntries(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v]))
  return (raw) => (raw ? (lower[raw.toLowerCase()] ?? 'unknown') : 'unknown')
}

const ORDER: Record<NodeState, number> = { running: 0, pending: 1, stopping: 2, stopped: 3, unknown: 4, terminated: 5 }

/** Live instances (anything not terminated). */
export const alive = (i: VmInstance) => i.state !== 'terminated'

/**
 * The best instance per rank (a live one over a terminated leftover), ranks 0..numNodes-1. A rank
 * with no instance at all reads as terminated ("not found"), so a cluster whose instances were
 * deleted behind sky's back shows as gone.
 */
export function statusByRank(instances: VmInstance[], numNodes: number): NodeStatus[] {
  const best = new Map<number, VmInstance>()
  const untagged = instances.filter((i) => i.rank === null).sort((a, b) => ORDER[a.state] - ORDER[b.state])
  for (const i of instances) {
    if (i.rank === null) continue
    const cur = best.get(i.rank)
    if (!cur || ORDER[i.state] < ORDER[cur.state]) best.set(i.rank, i)
  }
  const out: NodeStatus[] = []
  for (let rank = 0; rank < numNodes; rank++) {
    const i = best.get(rank) ?? untagged.shift()
    if (!i) out.push({ id: `rank-${rank}`, rank, state: 'terminated', reason: 'no instance found' })
    else out.push({ id: i.id, rank, state: i.state, ...(i.reason && i.state !== 'running' ? { reason: i.reason } : {}) })
  }
  return out
}
