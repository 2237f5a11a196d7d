// Live data without reloads: fetch every few seconds while the tab is visible, and call onData
// only when the answer changed, so unchanged pages are not re-rendered.

export type ConnectionListener = (error: Error | null) => void
let connection: ConnectionListener = () => {}

export function setConnectionListener(fn: ConnectionListener): void {
  connection = fn
}

export class Poller<T> {
  private timer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private stopped = true
  private again = false
  private last: string | undefined
  private lastRef: unknown
  private failed = false
  private ctrl: AbortController | undefined

  constructor(
    private fetcher: (signal: AbortSignal) => Promise<T>,
    private onData: (data: T) => void,
    private onError: (e: Error) => void = () => {},
    /** Milliseconds between fetches; a function lets a page poll faster while work is running. */
    private intervalMs: number | (() => number) = 3000,
  ) {}

  private readonly onVisible = () => {
    if (!document.hidden && !this.stopped && !this.running) this.refresh()
  }

  start(): this {
    this.stopped = false
    document.addEventListener('visibilitychange', this.onVisible)
    this.refresh()
    return this
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.ctrl?.abort()
    document.removeEventListener('visibilitychange', this.onVisible)
  }

  /** Fetch now (after an action), then keep the usual pace. */
  refresh(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    clearTimeout(this.timer)
    void this.tick()
  }

  /** Forget the last answer so the next one renders even if equal (after a filter change). */
  invalidate(): void {
    this.last = undefined
    this.lastRef = undefined
  }

  private async tick(): Promise<void> {
    this.running = true
    this.ctrl = new AbortController()
    try {
      const data = await this.fetcher(this.ctrl.signal)
      if (this.stopped) return
      connection(null)
      // Same object: an ETag source answered 304. Otherwise compare contents. After an error,
      // render again even if unchanged, so the page replaces its error notice.
      const forced = this.failed
      if (forced || data !== this.lastRef) {
        this.failed = false
        this.lastRef = data
        const sig = JSON.stringify(data)
        if (sig !== this.last || forced) {
          this.last = sig
          this.onData(data)
        }
      }
    } catch (e) {
      if (this.stopped || (e as Error).name === 'AbortError') return
      this.failed = true
      const err = e as Error & { code?: string }
      if (err.code === 'SERVER_UNREACHABLE') connection(err)
      this.onError(err)
    } finally {
      this.running = false
    }
    if (this.stopped) return
    if (this.again) {
      this.again = false
      void this.tick()
      return
    }
    // Hidden tabs do not poll; visibilitychange resumes.
    const wait = typeof this.intervalMs === 'function' ? this.intervalMs() : this.intervalMs
    if (!document.hidden) this.timer = setTimeout(() => void this.tick(), wait)
  }
}
