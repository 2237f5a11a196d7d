// How wire values read in tables, shared by the CLI and the dashboard (pure; no imports).

/** A cluster's AUTOSTOP column: `10m`, `1h` when whole hours, `(down)` for autodown, `-` for none. */
export function autostopLabel(c: { autostop: number; to_down: boolean }): string {
  if (c.autostop < 0) return '-'
  const m = c.autostop
  const s = m % 60 === 0 && m > 0 ? `${m / 60}h` : `${m}m`
  return c.to_down ? `${s} (down)` : s
}
