// Failed-login throttling that cannot lock anyone out. Failures are counted per (client address,
// user name); after a few, each further attempt on that key waits a growing delay (0.25 s,
// doubling, at most 30 s) and attempts on one key run one at a time, so guessing is slow. Nothing
// is ever refused because of failures on another key: another address, or another user name from
// the same address, starts clean, and a correct password is accepted after the wait. Only a flood
// of attempts queued on the very same key is turned away (429). A key is forgotten after a
// success or 15 quiet minutes.

export interface ThrottleOptions {
  /** Failures on a key before attempts start to wait (default 3). */
  freeFailures?: number
  baseDelayMs?: number
  maxDelayMs?: number
  forgetAfterMs?: number
  /** Attempts allowed to queue on one key (default 32). */
  maxWaiting?: number
  maxKeys?: number
}

interface KeyState {
  failures: number
  nextAt: number
  lastFailure: number
  waiting: number
  chain: Promise<void>
}

export class ThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many attempts queued')
  }
}

export class LoginThrottle {
  private keys = new Map<string, KeyState>()
  private free: number
  private base: number
  private max: number
  private forget: number
  private maxWaiting: number
  private maxKeys: number

  constructor(o: ThrottleOptions = {}) {
    this.free = o.freeFailures ?? 3
    this.base = o.baseDelayMs ?? 250
    this.max = o.maxDelayMs ?? 30_000
    this.forget = o.forgetAfterMs ?? 15 * 60_000
    this.maxWaiting = o.maxWaiting ?? 32
    this.maxKeys = o.maxKeys ?? 50_000
  }

  /** The wait after `failures` failures. */
  delayAfter(failures: number): number {
    if (failures < this.free) return 0
    return Math.min(this.max, this.base * 2 ** (failures - this.free))
  }

  /** Whether `key` has recent failures or attempts in flight (they then go through `run`). */
  watched(key: string, now = Date.now()): boolean {
    const st = this.keys.get(key)
    if (!st) return false
    if (st.waiting === 0 && now - st.lastFailure > this.forget) {
      this.keys.delete(key)
      return false
    }
    return true
  }

  /** Failures recorded on `key` (tests and diagnostics). */
  failures(key: string): number {
    return this.keys.get(key)?.failures ?? 0
  }

  /**
   * Run one attempt on `key` after the key's delay, one attempt at a time. `attempt` resolves
   * true for a success (the key is forgotten) and false for a failure (the next one waits longer).
   * Throws ThrottledError when too many attempts are already queued on the key.
   */
  async run<T>(key: string, attempt: () => Promise<{ ok: boolean; value: T }>): Promise<T> {
    let st = this.keys.get(key)
    if (!st) {
      if (this.keys.size >= this.maxKeys) this.prune()
      st = { failures: 0, nextAt: 0, lastFailure: Date.now(), waiting: 0, chain: Promise.resolve() }
      this.keys.set(key, st)
    }
    if (st.failures > 0 && st.waiting >= this.maxWaiting) throw new ThrottledError(Math.max(1, Math.ceil((st.nextAt - Date.now()) / 1000)))
    st.waiting++
    const prev = st.chain
    let release!: () => void
    st.chain = new Promise<void>((r) => (release = r))
    try {
      await prev
      const wait = st.nextAt - Date.now()
      if (wait > 0) await Bun.sleep(wait)
      const r = await attempt()
      const now = Date.now()
      if (r.ok) {
        st.failures = 0
        st.nextAt = 0
      } else {
        st.failures++
        st.lastFailure = now
        st.nextAt = now + this.delayAfter(st.failures)
      }
      return r.value
    } finally {
      st.waiting--
      release()
      if (st.waiting === 0 && st.failures === 0 && this.keys.get(key) === st) this.keys.delete(key)
    }
  }

  private prune(): void {
    const now = Date.now()
    for (const [k, st] of this.keys) if (st.waiting === 0 && now - st.lastFailure > this.forget) this.keys.delete(k)
    // Still full (a spray over many keys): drop the idle ones that failed longest ago.
    for (const [k, st] of this.keys) {
      if (this.keys.size < this.maxKeys) break
      if (st.waiting === 0) this.keys.delete(k)
    }
  }
}

/** A small counting semaphore: at most `n` holders, the rest wait in order. */
export class Semaphore {
  private queue: (() => void)[] = []
  private held = 0

  constructor(private n: number) {}

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held >= this.n) await new Promise<void>((r) => this.queue.push(r))
    else this.held++
    try {
      return await fn()
    } finally {
      const next = this.queue.shift()
      if (next) next()
      else this.held--
    }
  }
}
