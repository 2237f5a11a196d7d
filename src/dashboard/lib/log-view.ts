// A log panel that follows a stream (a job's or a request's log) as it is written: appends text,
// keeps to the bottom while "Follow" is on (scrolling up turns it off), and stops the stream when
// closed or replaced.
import { errorText } from './actions'
import { el, esc } from './dom'
import { stripAnsi } from './format'

const MAX_CHARS = 2_000_000

export type LogSource = (signal: AbortSignal) => AsyncIterable<string>

export class LogView {
  readonly root: HTMLElement
  private pre: HTMLPreElement
  private text: Text
  private state: HTMLElement
  private followBox: HTMLInputElement
  private ctrl: AbortController | undefined
  private onStop: (() => void) | undefined

  constructor(title: string, onClose?: () => void) {
    this.root = el(`
      <section class="log" aria-label="${esc(title)}">
        <div class="log-head">
          <span class="title">${esc(title)}</span>
          <span data-state class="muted"></span>
          <span class="spacer"></span>
          <label class="check"><input type="checkbox" data-follow checked> Follow</label>
          ${onClose ? '<button type="button" class="btn btn-sm btn-ghost" data-close aria-label="Close log">Close</button>' : ''}
        </div>
        <pre tabindex="0" data-log></pre>
      </section>`)
    this.pre = this.root.querySelector('pre')!
    this.text = document.createTextNode('')
    this.pre.append(this.text)
    this.state = this.root.querySelector('[data-state]')!
    this.followBox = this.root.querySelector('[data-follow]')!
    this.followBox.addEventListener('change', () => this.followBox.checked && this.toBottom())
    this.pre.addEventListener('scroll', () => {
      const atBottom = this.pre.scrollHeight - this.pre.scrollTop - this.pre.clientHeight < 24
      if (this.followBox.checked !== atBottom) this.followBox.checked = atBottom
    })
    if (onClose) this.root.querySelector('[data-close]')!.addEventListener('click', onClose)
  }

  private toBottom(): void {
    this.pre.scrollTop = this.pre.scrollHeight
  }

  private setState(html: string, cls = 'muted'): void {
    this.state.className = cls
    this.state.innerHTML = html
  }

  private append(s: string): void {
    const clean = stripAnsi(s)
    if (!clean) return
    this.text.appendData(clean)
    if (this.text.length > MAX_CHARS) this.text.deleteData(0, this.text.length - MAX_CHARS / 2)
    if (this.followBox.checked) this.toBottom()
  }

  /** Stream a source into the panel (replacing whatever it showed). */
  async follow(source: LogSource, onStop?: () => void): Promise<void> {
    this.stop()
    this.text.data = ''
    const ctrl = (this.ctrl = new AbortController())
    this.onStop = onStop
    this.setState('connecting…')
    let live = false
    try {
      for await (const chunk of source(ctrl.signal)) {
        if (!live) {
          live = true
          this.setState('live', 'live')
        }
        this.append(chunk)
      }
      if (ctrl.signal.aborted) return
      this.onStop = undefined
      this.setState(this.text.length ? 'end of log' : 'no output')
    } catch (e) {
      if (ctrl.signal.aborted || (e as Error).name === 'AbortError') return
      this.onStop = undefined
      this.setState(esc(errorText(e).title), 'error-text')
    }
  }

  /** Stop streaming (the server-side follower too, through onStop). */
  stop(): void {
    this.ctrl?.abort()
    this.ctrl = undefined
    const f = this.onStop
    this.onStop = undefined
    f?.()
  }
}
