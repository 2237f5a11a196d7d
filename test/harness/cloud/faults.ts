// Fault rules shared by the cloud test peers (the EC2 fault proxy, the GCE test server): a rule
// matches a call on the fields it names (a value, or a list of accepted values) and answers its
// fault instead of the real result, every time or `times` times, counting each hit.

export interface FaultRuleBase {
  /** Answer the fault this many times, then let calls through. Default: every time. */
  times?: number
}

export interface FaultHandle {
  /** Calls this rule has answered so far. */
  readonly hits: number
  /** Faults still to answer (undefined: unlimited). */
  readonly remaining: number | undefined
  /** Stop answering (the hit count stays readable). */
  remove(): void
}

type Matchable = string | number | boolean | undefined

interface Entry<R> {
  rule: R
  hits: number
  removed: boolean
}

export class FaultBook<C extends object, R extends FaultRuleBase> {
  private entries: Entry<R>[] = []

  /** `keys`: the rule fields compared with the call's fields of the same name. */
  constructor(private readonly keys: readonly (keyof C & keyof R & string)[]) {}

  add(rule: R): FaultHandle {
    if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
      throw new Error(`fault rule: times must be a positive integer, got ${rule.times}`)
    }
    const entry: Entry<R> = { rule, hits: 0, removed: false }
    this.entries.push(entry)
    return {
      get hits() {
        return entry.hits
      },
      get remaining() {
        return entry.rule.times === undefined ? undefined : Math.max(0, entry.rule.times - entry.hits)
      },
      remove() {
        entry.removed = true
      },
    }
  }

  /** The first live rule matching `call`, counted as hit; undefined when none. */
  take(call: C): R | undefined {
    for (const e of this.entries) {
      if (e.removed || (e.rule.times !== undefined && e.hits >= e.rule.times)) continue
      if (!this.matches(e.rule, call)) continue
      e.hits++
      return e.rule
    }
    return undefined
  }

  clear(): void {
    for (const e of this.entries) e.removed = true
    this.entries = []
  }

  private matches(rule: R, call: C): boolean {
    for (const key of this.keys) {
      const want = (rule as Record<string, unknown>)[key] as Matchable | Matchable[]
      if (want === undefined) continue
      const got = (call as Record<string, unknown>)[key] as Matchable
      if (got === undefined) return false
      if (Array.isArray(want) ? !want.includes(got) : want !== got) return false
    }
    return true
  }
}
