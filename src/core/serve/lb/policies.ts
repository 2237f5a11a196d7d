// Load-balancing policies: which ready replica gets the next request. SkyPilot's three:
// `round_robin` (order reshuffled whenever membership changes), `least_load` (fewest requests in
// flight; the default) and `instance_aware_least_load` (in-flight divided by the target QPS of
// the replica's accelerator, 1.0 when it has none in the map).
import { targetQpsFor, type TargetQps } from '../accelerator-match'

export const LB_POLICIES = ['round_robin', 'least_load', 'instance_aware_least_load'] as const
export type LbPolicyName = (typeof LB_POLICIES)[number]
export const DEFAULT_LB_POLICY: LbPolicyName = 'least_load'

/** What a policy sees of a replica. */
export interface Candidate {
  url: string
  /** Accelerator of the replica, e.g. `H100:1` (instance-aware policy). */
  accelerator?: string
  inflight: number
}

export interface LbPolicy {
  readonly name: LbPolicyName
  /** Membership changed (new list of replica URLs in rotation). */
  reset(urls: readonly string[]): void
  /** Pick among `candidates` (never empty); `skip` holds replicas already tried for this request. */
  pick(candidates: readonly Candidate[], skip?: ReadonlySet<string>): Candidate | undefined
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
  return xs
}

class RoundRobin implements LbPolicy {
  readonly name = 'round_robin' as const
  private order: string[] = []
  private next = 0

  reset(urls: readonly string[]): void {
    this.order = shuffle([...urls])
    this.next = 0
  }

  pick(candidates: readonly Candidate[], skip?: ReadonlySet<string>): Candidate | undefined {
    const n = this.order.length
    for (let k = 0; k < n; k++) {
      const url = this.order[(this.next + k) % n]!
      if (skip?.has(url)) continue
      const c = candidates.find((x) => x.url === url)
      if (!c) continue
      this.next = (this.next + k + 1) % n
      return c
    }
    return candidates.find((c) => !skip?.has(c.url))
  }
}

/** Minimum of `score`, ties broken by rotating through the tied replicas. */
class ScoredLeast implements LbPolicy {
  private tick = 0

  constructor(
    readonly name: LbPolicyName,
    private readonly score: (c: Candidate) => number,
  ) {}

  reset(): void {
    this.tick = 0
  }

  pick(candidates: readonly Candidate[], skip?: ReadonlySet<string>): Candidate | undefined {
    let best: Candidate | undefined
    let bestScore = Infinity
    const n = candidates.length
    const offset = this.tick++ % Math.max(1, n)
    for (let k = 0; k < n; k++) {
      const c = candidates[(offset + k) % n]!
      if (skip?.has(c.url)) continue
      const s = this.score(c)
      if (s < bestScore) {
        best = c
        bestScore = s
      }
    }
    return best
  }
}

export function makePolicy(name: LbPolicyName, targetQps?: TargetQps): LbPolicy {
  switch (name) {
    case 'round_robin':
      return new RoundRobin()
    case 'least_load':
      return new ScoredLeast(name, (c) => c.inflight)
    case 'instance_aware_least_load':
      return new ScoredLeast(name, (c) => c.inflight / (targetQpsFor(targetQps, c.accelerator) ?? 1))
  }
}
