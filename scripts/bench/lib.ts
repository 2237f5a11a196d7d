// Shared bench helpers: temp homes, free ports, timing, percentiles, RSS of a pid.
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '../..')
export const BIN = process.env.SKY_BIN ?? join(ROOT, 'dist/sky')

export function tempDir(prefix = 'sky-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => res(p))
    })
  })
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

export function timeRun(cmd: string[], env: Record<string, string>): number {
  const t = performance.now()
  const r = Bun.spawnSync(cmd, { env, stdout: 'ignore', stderr: 'ignore' })
  if (r.exitCode !== 0) throw new Error(`${cmd.join(' ')} exited ${r.exitCode}`)
  return performance.now() - t
}

export function report(rows: [string, string, string, boolean][]): void {
  const w = Math.max(...rows.map((r) => r[0].length))
  for (const [name, got, target, ok] of rows) console.log(`${name.padEnd(w)}  ${got.padStart(14)}  target ${target.padEnd(22)} ${ok ? 'OK' : 'MISS'}`)
}
