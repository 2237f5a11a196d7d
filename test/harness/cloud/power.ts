// Power for the cloud peers' instances: moto and the GCE test server only flip a state field, so
// while a test runs this watcher makes a stopped or terminated instance's sshd host behave like a
// machine that was switched off — every process in its network namespace except sshd's listener
// is killed (a started instance then boots "fresh": the agent is gone, the disk (home) is kept).
// Needs the netns sshd mode (root); elsewhere it does nothing.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { acquireLock } from '../../../src/lib/lock.ts'
import type { SshHosts, SshTestHost } from '../sshd.ts'
import { knownInstances, type InstanceSource, type KnownInstance } from './instance-sources.ts'
import type { SshMapping } from './ssh-map.ts'

export interface PowerWatcher {
  /** Instance keys ('ec2:i-…') whose host was powered off, with how many processes it had. */
  readonly offs: { key: string; host: string; killed: number }[]
  /** Power off now whatever should be off (tests call it before asserting on a host). */
  sweep(): Promise<void>
  stop(): void
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
  } catch {
    return ''
  }
}

function netnsPids(ns: string): number[] {
  const p = Bun.spawnSync(['ip', 'netns', 'pids', ns], { stdout: 'pipe', stderr: 'ignore' })
  return p.stdout.toString().split('\n').filter(Boolean).map(Number)
}

export function watchPower(hosts: SshHosts, map: SshMapping, sources: InstanceSource[], everyMs = 200): PowerWatcher {
  const offs: PowerWatcher['offs'] = []
  let running: Promise<void> | null = null
  const sweepOnce = async () => {
    const before = map.assignments()
    if (!Object.keys(before).length) return
    const all = new Map((await knownInstances(sources)).map((i) => [i.key, i]))
    // The host assignments are read, and the processes killed, under the proxy command's lock: a
    // terminated instance's host handed to a new instance meanwhile is not switched off under it.
    const release = await acquireLock(join(map.dir, 'assign.lock'), 10_000)
    if (!release) return
    try {
      // An instance assigned after the listing is new (not in it yet): it is left alone.
      const now = Object.entries(map.assignments()).filter(([key]) => all.has(key) || key in before)
      killOff(Object.fromEntries(now), all)
    } finally {
      release()
    }
  }
  const killOff = (assigned: Record<string, SshTestHost>, all: Map<string, KnownInstance>) => {
    for (const [key, host] of Object.entries(assigned)) {
      const inst = all.get(key)
      if (inst?.up || !host.netns) continue
      let killed = 0
      for (const pid of netnsPids(host.netns)) {
        const cmd = cmdline(pid)
        if (!cmd || /sshd -D/.test(cmd)) continue // the listener stays: the "machine" can boot again
        try {
          process.kill(pid, 'SIGKILL')
          killed++
        } catch {}
      }
      if (killed) offs.push({ key, host: host.name, killed })
    }
  }
  const sweep = () => (running ??= sweepOnce().finally(() => (running = null)))
  const t = setInterval(() => void sweep().catch(() => {}), everyMs)
  return {
    offs,
    sweep,
    stop: () => clearInterval(t),
  }
}
