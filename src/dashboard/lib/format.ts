// How values read in the dashboard: statuses as coloured badges, times relative with the exact
// time on hover, and cluster labels the way `sky status` prints them.
import { relativeTime, shortDuration } from '../../lib/time'
import { esc } from './dom'


export function badge(status: string | null | undefined): string {
  const s = String(status ?? '-')
  return `<span class="badge st-${esc(s.toLowerCase())}">${esc(s)}</span>`
}

// One formatter for every timestamp: toLocaleString() builds a new one per call, which shows
// when a table has thousands of rows.
const LOCAL = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

function exact(ms: number): string {
  const d = new Date(ms)
  return `${LOCAL.format(d)} (${d.toISOString()})`
}

/** A <time> showing "5 mins ago" for a wire time (seconds since the epoch); kept fresh by tickTimes. */
export function timeAgo(seconds: number | null | undefined): string {
  if (!seconds) return '<span class="muted">-</span>'
  const ms = Math.round(seconds * 1000)
  return `<time datetime="${new Date(ms).toISOString()}" title="${esc(exact(ms))}" data-ts="${ms}">${esc(relativeTime(ms))}</time>`
}

/** A future wire time, "in 3 days" (past ones read as timeAgo does). */
export function timeUntil(seconds: number): string {
  const now = Date.now()
  const ms = Math.round(seconds * 1000)
  if (ms <= now) return timeAgo(seconds)
  const text = `in ${relativeTime(now - (ms - now), now).replace(/ ago$/, '')}`
  return `<time datetime="${new Date(ms).toISOString()}" title="${esc(exact(ms))}">${esc(text)}</time>`
}

/** Refresh every relative time under root (called on a timer). */
export function tickTimes(root: ParentNode = document): void {
  const now = Date.now()
  root.querySelectorAll<HTMLElement>('time[data-ts]').forEach((t) => {
    const s = relativeTime(Number(t.dataset.ts), now)
    if (t.textContent !== s) t.textContent = s
  })
}

/** Between two wire times (seconds); to now while running. */
export function duration(start: number | null | undefined, end: number | null | undefined): string {
  if (!start) return '-'
  return shortDuration(((end ?? Date.now() / 1000) - start) * 1000)
}

export { autostopLabel } from '../../api/display'

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Remove terminal colour and cursor codes from log text. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r(?!\n)/g, '')
}
