// Processes started by the cloud test peers: wait until a spawned server answers HTTP, and stop
// it (and anything it started) by PID.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pidAlive } from '../../../src/lib/proc'
import { descendants } from '../sshd.ts'

/** Resolve once `url` answers any HTTP status; fail early, with the log's tail, if `proc` exits. */
export async function waitHttp(url: string, proc: Bun.Subprocess, timeoutMs: number, log?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const tail = () => (log && existsSync(log) ? `\n${readFileSync(log, 'utf8').slice(-2000)}` : '')
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`${url}: the server exited (${proc.exitCode ?? proc.signalCode}) before answering${tail()}`)
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) })
      return
    } catch {}
    await Bun.sleep(50)
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms${tail()}`)
}

/** SIGTERM `pid` and its descendants, SIGKILL what is left after `graceMs`, wait until gone. */
export async function stopTree(pid: number, graceMs = 2000): Promise<void> {
  const pids = [...descendants(pid), pid]
  const signal = (sig: NodeJS.Signals) => {
    for (const p of pids) {
      try {
        process.kill(p, sig)
      } catch {}
    }
  }
  signal('SIGTERM')
  const deadline = Date.now() + graceMs
  while (pids.some(pidAlive) && Date.now() < deadline) await Bun.sleep(20)
  if (pids.some(pidAlive)) {
    signal('SIGKILL')
    for (let i = 0; i < 100 && pids.some(pidAlive); i++) await Bun.sleep(20)
  }
}

/**
 * A temp dir named like the sshd harness's (`skyt-<owner pid, base 36><2 random>-<what>`), so that
 * `cleanupLeftovers()` in test/harness/sshd.ts removes it, and kills the PIDs in its `*.pid`
 * files, once this process is gone.
 */
export function ownedTempDir(what: string): string {
  const id = process.pid.toString(36).padStart(5, '0').slice(-5) + Math.random().toString(36).slice(2, 4).padEnd(2, '0')
  return mkdtempSync(join(tmpdir(), `skyt-${id}-${what}-`))
}
