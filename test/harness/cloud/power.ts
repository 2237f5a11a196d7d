// Power for the cloud peers' instances: moto and the GCE test server only flip a state field, so
// while a test runs this watcher makes a stopped or terminated instance's sshd host behave like a
// machine that was switched off — every process in its network namespace except sshd's listener
// is killed (a started instance then boots "fresh": the agent is gone, the disk (home) is kept).
// Needs the netns sshd mode (root); elsewhere it does nothing.
import { readFileSync } from 'node:fs'
import type { SshHosts } from '../sshd.ts'
import { knownInstances, type InstanceSource } from './instance-sources.ts'
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

async function netnsPids(ns: string): Promise<number[]> {
  const p = Bun.spawn(['ip', 'netns', 'pids', ns], { stdout: 'pipe', stderr: 'ignore' })
  const out = await new Response(p.stdout).text()
  await p.exited
  return out.split('\n').filter(Boolean).map(Number)
}

export function watchPower(hosts: SshHosts, map: SshMapping, sources: InstanceSource[], everyMs = 200): PowerWatcher {
  const offs: PowerWatcher['offs'] = []
  let running: Promise<void> | null = null
  const sweepOnce = async () => {
    const assigned = map.assignments()
    if (!Object.keys(assigned).length) return
    const all = new Map((await knownInstances(sources)).map((i) => [i.key, i]))
    for (const [key, host] of Object.entries(assigned)) {
      const inst = all.get(key)
      if (inst?.up || !host.netns) continue
      let killed = 0
      for (const pid of await netnsPids(host.netns)) {
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
