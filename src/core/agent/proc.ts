// Process helpers for the local machine: liveness, process groups, and killing a job's whole
// tree. On Linux /proc lets us ignore zombies and find strays that left the job's process group
// (they still carry the job's SKY_AGENT_JOB_TAG in their environment).
import { readdirSync, readFileSync } from 'node:fs'

export function pidAlive(pid: number): boolean {
  if (!(pid > 0)) return false
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
  const st = procStat(pid)
  return st ? st.state !== 'Z' : true
}

export interface ProcStat {
  pid: number
  state: string
  ppid: number
  pgid: number
}

const hasProc = process.platform === 'linux'

function procStat(pid: number): ProcStat | null {
  if (!hasProc) return null
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { pid, state: rest[0]!, ppid: Number(rest[1]), pgid: Number(rest[2]) }
  } catch {
    return null
  }
}

function procPids(): number[] {
  try {
    return readdirSync('/proc').flatMap((d) => (/^\d+$/.test(d) ? [Number(d)] : []))
  } catch {
    return []
  }
}

/** Whether group `pgid` has any member at all, zombies included (one syscall, no /proc scan). */
export function groupExists(pgid: number): boolean {
  if (!(pgid > 0)) return false
  try {
    process.kill(-pgid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether any live (non-zombie) process is in group `pgid`. */
export function groupAlive(pgid: number): boolean {
  if (!(pgid > 0)) return false
  try {
    process.kill(-pgid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (!hasProc) return true
  return procPids().some((pid) => {
    const st = procStat(pid)
    return st !== null && st.pgid === pgid && st.state !== 'Z'
  })
}

/** Live processes whose environment holds <name>=<tag> (Linux only; [] elsewhere). */
export function taggedPids(tag: string, name = 'SKY_AGENT_JOB_TAG'): number[] {
  if (!hasProc || !tag) return []
  const needle = Buffer.from(`\0${name}=${tag}\0`)
  const first = Buffer.from(`${name}=${tag}\0`)
  const out: number[] = []
  for (const pid of procPids()) {
    if (pid === process.pid) continue
    let env: Buffer
    try {
      env = readFileSync(`/proc/${pid}/environ`)
    } catch {
      continue
    }
    if (env.includes(needle) || env.subarray(0, first.length).equals(first)) {
      const st = procStat(pid)
      if (st && st.state !== 'Z') out.push(pid)
    }
  }
  return out
}

/**
 * Kill every process whose environment holds <name>=<tag>: SIGTERM, SIGKILL after graceMs, and
 * again for processes that appear meanwhile (children forked while dying). Returns the pids still
 * alive at the end (none, unless a process is stuck in the kernel).
 */
export async function killTagged(tag: string, name: string, graceMs = 3000): Promise<number[]> {
  let left = taggedPids(tag, name)
  if (!left.length) return []
  signal([], left, 'SIGTERM')
  const termDeadline = Date.now() + graceMs
  while (left.length && Date.now() < termDeadline) {
    await Bun.sleep(25)
    left = taggedPids(tag, name)
  }
  const killDeadline = Date.now() + 3000
  while (left.length && Date.now() < killDeadline) {
    signal([], left, 'SIGKILL')
    await Bun.sleep(25)
    left = taggedPids(tag, name)
  }
  return left
}

/** The command line of `pid`, or null when it cannot be read. */
export function processCommand(pid: number): string | null {
  if (hasProc) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
    } catch {
      return null
    }
  }
  const r = Bun.spawnSync(['ps', '-o', 'command=', '-p', String(pid)], { stdout: 'pipe', stderr: 'ignore' })
  const text = r.stdout?.toString().trim()
  return text ? text : null
}

function signal(pgids: number[], pids: number[], sig: NodeJS.Signals): void {
  for (const g of pgids) {
    try {
      if (g > 0) process.kill(-g, sig)
    } catch {}
  }
  for (const p of pids) {
    try {
      process.kill(p, sig)
    } catch {}
  }
}

/**
 * Kill process groups `pgids` and every process tagged `tag`: SIGTERM, then SIGKILL for what is
 * left after `graceMs`. Resolves once nothing is left (or a last SIGKILL wait runs out).
 */
export async function killTree(pgids: number[], tag: string | null, graceMs = 3000): Promise<void> {
  const alive = () => pgids.filter(groupAlive)
  const strays = () => (tag ? taggedPids(tag) : [])
  signal(pgids, strays(), 'SIGTERM')
  const termDeadline = Date.now() + graceMs
  let left = alive()
  let stray = strays()
  // Scanning every environment under /proc is the costly part: do it less often than the group check.
  for (let i = 1; (left.length || stray.length) && Date.now() < termDeadline; i++) {
    await Bun.sleep(25)
    left = alive()
    if (!left.length || i % 8 === 0) stray = strays()
  }
  if (!left.length && !stray.length) return
  signal(left, stray, 'SIGKILL')
  const killDeadline = Date.now() + 2000
  while (Date.now() < killDeadline) {
    await Bun.sleep(25)
    stray = strays()
    left = alive()
    if (!left.length && !stray.length) return
    signal(left, stray, 'SIGKILL')
  }
}
