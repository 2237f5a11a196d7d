// Human durations the way SkyPilot tables print them: "a few secs ago", "2 hrs ago", "1m 7s".

export function relativeTime(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return '-'
  const s = Math.max(0, Math.floor((now - ms) / 1000))
  if (s < 60) return 'a few secs ago'
  const units: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hr'],
    [60, 'min'],
  ]
  for (const [size, name] of units) {
    if (s >= size) {
      const n = Math.floor(s / size)
      return `${n} ${name}${n === 1 ? '' : 's'} ago`
    }
  }
  return 'a few secs ago'
}

/** `1h 2m 3s`-style duration; `-` for missing. */
export function shortDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '-'
  let s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86400)
  s -= d * 86400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const parts: string[] = []
  if (d) parts.push(`${d}d`)
  if (h) parts.push(`${h}h`)
  if (m) parts.push(`${m}m`)
  if (s || parts.length === 0) parts.push(`${s}s`)
  return parts.slice(0, 2).join(' ')
}

export function isoTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString() : '-'
}
