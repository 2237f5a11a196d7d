// Failed-login limiting: at most `limit` failures per key in a sliding window; past that, the key
// is refused (HTTP 429 with Retry-After) until its oldest failure leaves the window. Keys are
// built from the peer's socket address (never a forwarded-for header) and the user name.
export class FailureLimiter {
  private fails = new Map<string, number[]>()

  constructor(
    readonly limit = 5,
    readonly windowMs = 60_000,
    private maxKeys = 50_000,
  ) {}

  /** Seconds the key must wait before trying again; 0 when it may try now. */
  retryAfter(key: string, now = Date.now()): number {
    const list = this.fails.get(key)
    if (!list) return 0
    const fresh = list.filter((t) => now - t < this.windowMs)
    if (fresh.length !== list.length) {
      if (fresh.length) this.fails.set(key, fresh)
      else this.fails.delete(key)
    }
    if (fresh.length < this.limit) return 0
    return Math.max(1, Math.ceil((fresh[fresh.length - this.limit]! + this.windowMs - now) / 1000))
  }

  fail(key: string, now = Date.now()): void {
    let list = this.fails.get(key)
    if (!list) {
      if (this.fails.size >= this.maxKeys) this.prune(now)
      this.fails.set(key, (list = []))
    }
    list.push(now)
    if (list.length > this.limit * 2) list.splice(0, list.length - this.limit * 2)
  }

  reset(key: string): void {
    this.fails.delete(key)
  }

  private prune(now: number): void {
    for (const [k, list] of this.fails) if (!list.some((t) => now - t < this.windowMs)) this.fails.delete(k)
    // Still full (an attack from many keys): drop the oldest keys.
    for (const k of this.fails.keys()) {
      if (this.fails.size < this.maxKeys) break
      this.fails.delete(k)
    }
  }
}
