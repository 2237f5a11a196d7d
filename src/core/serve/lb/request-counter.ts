// Requests per second for the autoscaler: counts in one-second buckets over a sliding window, so
// memory stays bounded whatever the rate (SkyPilot keeps one timestamp per request).

export interface RequestSample {
  /** Start of the second, epoch milliseconds. */
  at: number
  count: number
}

export class RequestCounter {
  private readonly buckets: Map<number, number> = new Map()
  private current = -1
  private currentCount = 0

  constructor(
    private readonly windowSeconds = 120,
    private readonly now: () => number = Date.now,
  ) {}

  record(): void {
    const sec = Math.floor(this.now() / 1000)
    if (sec === this.current) {
      this.currentCount++
      return
    }
    this.flush()
    this.current = sec
    this.currentCount = 1
    const oldest = sec - this.windowSeconds
    for (const k of this.buckets.keys()) if (k <= oldest) this.buckets.delete(k)
  }

  private flush(): void {
    if (this.current >= 0 && this.currentCount > 0) this.buckets.set(this.current, (this.buckets.get(this.current) ?? 0) + this.currentCount)
    this.currentCount = 0
  }

  /** Buckets at or after `sinceMs`, oldest first. */
  samples(sinceMs = 0): RequestSample[] {
    this.flush()
    const out: RequestSample[] = []
    for (const [sec, count] of this.buckets) if (sec * 1000 >= sinceMs - 999) out.push({ at: sec * 1000, count })
    return out.sort((a, b) => a.at - b.at)
  }

  total(): number {
    this.flush()
    let n = 0
    for (const c of this.buckets.values()) n += c
    return n
  }
}
