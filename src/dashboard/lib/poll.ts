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
  private ctrl: AbortController | undefined

  constructor(
    private fetcher: (signal: AbortSignal) => Promise<T>,
    private onData: (data: T) => void,
    private onError: (e: Error) => void = () => {},
    private intervalMs = 3000,
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
  }

  private async tick(): Promise<void> {
    this.running = true
    this.ctrl = new AbortController()
    try {
      const data = await this.fetcher(this.ctrl.signal)
      if (this.stopped) return
      connection(null)
      const sig = JSON.stringify(data)
      if (sig !== this.last) {
        this.last = sig
        this.onData(data)
      }
    } catch (e) {
      if (this.stopped || (e as Error).name === 'AbortError') return
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
    if (!document.hidden) this.timer = setTimeout(() => void this.tick(), this.intervalMs)
  }
}
