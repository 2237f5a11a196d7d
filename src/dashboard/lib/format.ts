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

/** A <time> showing "5 mins ago"; kept fresh by tickTimes. */
export function timeAgo(ms: number | null | undefined): string {
  if (!ms) return '<span class="muted">-</span>'
  return `<time datetime="${new Date(ms).toISOString()}" title="${esc(exact(ms))}" data-ts="${ms}">${esc(relativeTime(ms))}</time>`
}

/** A future time, "in 3 days" (past ones read as timeAgo does). */
export function timeUntil(ms: number): string {
  const now = Date.now()
  if (ms <= now) return timeAgo(ms)
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

export function duration(start: number | null | undefined, end: number | null | undefined): string {
  if (!start) return '-'
  return shortDuration((end ?? Date.now()) - start)
}

export interface ClusterInfra {
  cloud: string
  region?: string | null
  zone?: string | null
}

const CLOUD_NAMES: Record<string, string> = { aws: 'AWS', gcp: 'GCP', kubernetes: 'Kubernetes', ssh: 'SSH', local: 'Local' }

export function infraLabel(i: ClusterInfra | null | undefined): string {
  if (!i) return '-'
  const cloud = CLOUD_NAMES[i.cloud] ?? i.cloud
  const where = i.zone ?? i.region
  return where && i.cloud !== 'local' ? `${cloud} (${where})` : cloud
}

export function autostopLabel(minutes: number, down: boolean): string {
  if (minutes < 0) return '-'
  const s = minutes % 60 === 0 && minutes > 0 ? `${minutes / 60}h` : `${minutes}m`
  return down ? `${s} (down)` : s
}

export function resourcesLabel(numNodes: number, resources: Record<string, unknown> | null | undefined): string {
  const label = (resources as { label?: string } | null)?.label
  return `${numNodes}x(${label ?? '-'})`
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Remove terminal colour and cursor codes from log text. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r(?!\n)/g, '')
}
