// Managed-jobs figures (issue 16) against the compiled binary, each phase in a fresh SKY_HOME:
//   submit   10,000 jobs through the SDK (16 in flight): submissions/s, server RSS growth while
//            they are tracked, and `sky jobs queue -u` time with 10,000 jobs
//   churn    trivial jobs on local infra, a cluster each: completed jobs/s (steady state)
//   preempt  a running job's local cluster vanishes (processes killed, nodes removed): seconds
//            until the controller noticed and started the relaunch, and until it ran again
//   many     N managed jobs running at once on local infra (default 200): memory of everything
//            sky runs (server, agents, jobs; PSS and RSS)
// Usage: bun scripts/bench/jobs.ts [submit|churn|preempt|many ...] [--jobs N] [--many N]
// (build first: bun scripts/build.ts)
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SkyClient } from '../../src/sdk/client'
import { parseEndpoint } from '../../src/sdk/endpoint'
import { jobs } from '../../src/sdk'
import type { ManagedJob as ManagedJobWire } from '../../src/api/wire'
import { BIN, freePort, load, median, report, rssMb, tempDir } from './lib'

const argv = process.argv.slice(2)
const opt = (name: string, d: number) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? Number(argv[i + 1]) : d
}
const phases = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'))
const want = (p: string) => phases.length === 0 || phases.includes(p)
const rows: [string, string, string, boolean][] = []

interface Server {
  home: string
  endpoint: string
  env: Record<string, string>
  proc: Bun.Subprocess
  sky(args: string[]): { code: number; stdout: string; ms: number }
  queue(): ManagedJobWire[]
  stop(): Promise<void>
}

async function server(config: string): Promise<Server> {
  const home = tempDir('sky-bench-jobs-')
  writeFileSync(join(home, 'config.yaml'), config)
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, USER: 'bench', SKYPILOT_API_SERVER_ENDPOINT: endpoint, NO_COLOR: '1' }
  const proc = Bun.spawn([BIN, 'api', 'start', '--foreground', '--port', String(port)], { env, stdout: 'ignore', stderr: 'ignore' })
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/api/health`)).ok) break
    } catch {}
    await Bun.sleep(5)
  }
  const sky = (args: string[]) => {
    const t = performance.now()
    const r = Bun.spawnSync([BIN, ...args], { env, stdout: 'pipe', stderr: 'ignore' })
    return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), ms: performance.now() - t }
  }
  return {
    home,
    endpoint,
    env,
    proc,
    sky,
    queue: () => JSON.parse(sky(['jobs', 'queue', '-u', '--all', '-o', 'json']).stdout) as ManagedJobWire[],
    async stop() {
      sky(['jobs', 'cancel', '-a', '-y'])
      proc.kill('SIGTERM')
      await proc.exited
      for (const pid of skyPids(home)) killQuietly(pid)
      rmSync(home, { recursive: true, force: true })
    },
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}
}

/** Processes of this bench home: command line, or working directory, under it. */
function skyPids(home: string): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8')
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${d}/cwd`)
      } catch {}
      if (cmd.includes(home) || cwd.startsWith(home)) out.push(Number(d))
    } catch {}
  }
  return out
}

function pssMb(pid: number): number {
  try {
    const m = /Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/** Memory of the server plus every process of the home (agents, jobs): PSS and RSS sums. */
function memoryOf(s: Server): { pss: number; rss: number; procs: number } {
  const pids = new Set([s.proc.pid, ...skyPids(s.home)])
  let pss = 0
  let rss = 0
  for (const p of pids) {
    pss += pssMb(p)
    try {
      const r = rssMb(p)
      if (!Number.isNaN(r)) rss += r
    } catch {
      // It exited meanwhile.
    }
  }
  return { pss, rss, procs: pids.size }
}

async function waitUntil<T>(fn: () => T | undefined | false, timeoutMs: number, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error('timed out')
    await Bun.sleep(stepMs)
  }
}

if (want('submit')) {
  const n = opt('jobs', 10_000)
  // One slot, held by a long job: the rest stay PENDING, tracked by the server.
  const s = await server('jobs:\n  controller:\n    max_running_jobs: 1\n')
  const c = new SkyClient({ endpoint: parseEndpoint(s.endpoint), autoStart: false })
  await c.get(await jobs.launch({ task: 'name: holder\nrun: sleep 3600\n' }, { client: c }))
  for (let i = 0; i < 50; i++) await c.get(await jobs.launch({ task: `run: echo warm ${i}\n` }, { client: c }))
  await Bun.sleep(1000)
  const before = rssMb(s.proc.pid)
  let i = 0
  const r = await load(600, 16, async () => {
    const k = i++
    await c.get(await jobs.launch({ task: `run: echo hello ${k}\n`, name: `bench-${k}` }, { client: c }))
  }, n)
  await Bun.sleep(2000)
  const after = rssMb(s.proc.pid)
  rows.push([`${n} jobs submitted through the SDK (16 in flight)`, `${Math.round(r.ops)} /s`, '>= 300 submissions/s', r.ops >= 300 && r.errors === 0])
  rows.push([`server RSS growth, ${n} jobs tracked`, `${(after - before).toFixed(1)} MB`, '<= 150 MB', after - before <= 150])
  s.sky(['jobs', 'queue', '-u'])
  const q = median(Array.from({ length: 7 }, () => s.sky(['jobs', 'queue', '-u']).ms))
  rows.push([`sky jobs queue -u with ${n + 51} jobs`, `${q.toFixed(0)} ms`, '<= 300 ms', q <= 300])
  s.proc.kill('SIGKILL')
  await s.proc.exited
  for (const pid of skyPids(s.home)) killQuietly(pid)
  rmSync(s.home, { recursive: true, force: true })
}

if (want('churn')) {
  const n = opt('churn', 150)
  const s = await server('jobs:\n  controller:\n    max_running_jobs: 64\n    max_concurrent_launches: 16\n    local_status_check_seconds: 0.2\n')
  const c = new SkyClient({ endpoint: parseEndpoint(s.endpoint), autoStart: false })
  const t0 = Date.now()
  // A small local share each (the machine's CPUs are divided among its clusters).
  await Promise.all(Array.from({ length: n }, (_, k) => jobs.launch({ task: `resources:\n  cpus: 0.05\nrun: echo trivial ${k}\n` }, { client: c }).then((id) => c.get(id))))
  const q = await waitUntil(() => {
    const all = s.queue()
    return all.length === n && all.every((j) => j.end_at !== null) ? all : undefined
  }, 900_000, 500)
  const ends = q.map((j) => j.end_at! * 1000).sort((a, b) => a - b)
  const failed = q.filter((j) => j.status !== 'SUCCEEDED').length
  // Steady state: between the 20% and 80% completions (start-up and tail left out).
  const a = ends[Math.floor(n * 0.2)]!
  const b = ends[Math.floor(n * 0.8)]!
  const steady = ((Math.floor(n * 0.8) - Math.floor(n * 0.2)) * 1000) / Math.max(1, b - a)
  rows.push([`trivial jobs on local infra (${n}, a cluster each)`, `${steady.toFixed(1)} jobs/s`, '>= 5 jobs/s sustained', steady >= 5 && failed === 0])
  rows.push([`  overall, submit to last done`, `${((n * 1000) / (ends[n - 1]! - t0)).toFixed(1)} jobs/s`, '-', failed === 0])
  await s.stop()
}

if (want('preempt')) {
  const s = await server('jobs:\n  controller:\n    local_status_check_seconds: 1\n')
  const c = new SkyClient({ endpoint: parseEndpoint(s.endpoint), autoStart: false })
  const { job_id } = await c.get(await jobs.launch({ task: 'name: victim\nrun: echo up; sleep 600\n' }, { client: c }))
  const first = await waitUntil(() => s.queue().find((j) => j.job_id === job_id && j.status === 'RUNNING'), 60_000)
  await Bun.sleep(1500)
  // The cluster vanishes: its processes die and its nodes are gone, as when a VM is preempted.
  const dir = join(s.home, 'local', readdirSync(join(s.home, 'local')).find((d) => d.startsWith(`${first.cluster_name}-`))!)
  const lost = Date.now()
  for (const pid of skyPids(dir)) killQuietly(pid)
  rmSync(dir, { recursive: true, force: true })
  const rec = await waitUntil(() => s.queue().find((j) => j.job_id === job_id && j.recovery_count >= 1), 60_000, 50)
  const noticed = rec.last_recovered_at! * 1000 - lost
  const back = await waitUntil(() => s.queue().find((j) => j.job_id === job_id && j.recovery_count >= 1 && j.status === 'RUNNING'), 60_000, 50)
  const running = Date.now() - lost
  void back
  rows.push(['preempted cluster: loss noticed, relaunch started', `${(noticed / 1000).toFixed(2)} s`, '<= 5 s', noticed <= 5000])
  rows.push(['  loss to RUNNING again', `${(running / 1000).toFixed(2)} s`, '-', true])
  await s.stop()
}

if (want('many')) {
  const n = opt('many', 200)
  const s = await server(`jobs:\n  controller:\n    max_running_jobs: ${n + 10}\n    max_concurrent_launches: 16\n    local_status_check_seconds: 2\n`)
  const c = new SkyClient({ endpoint: parseEndpoint(s.endpoint), autoStart: false })
  const go = join(s.home, 'go')
  const t0 = Date.now()
  // Each job's cluster takes a sliver of this machine, so N of them fit at once.
  // (A local node takes at least 0.01 CPU: on 2 CPUs, at most 200 clusters.)
  const share = `resources:\n  cpus: ${Math.max(0.01, Math.floor((1.9 / n) * 1000) / 1000)}\n  memory: ${Math.floor((8 / n) * 1000) / 1000}\n`
  await Promise.all(Array.from({ length: n }, (_, k) => jobs.launch({ task: `${share}run: echo hold ${k}; while [ ! -f ${go} ]; do sleep 1; done\n` }, { client: c }).then((id) => c.get(id))))
  let peak = { pss: 0, rss: 0, procs: 0 }
  await waitUntil(() => {
    const m = memoryOf(s)
    if (m.pss > peak.pss) peak = m
    return s.queue().filter((j) => j.status === 'RUNNING').length >= n
  }, 900_000, 1000)
  const all = memoryOf(s)
  if (all.pss > peak.pss) peak = all
  rows.push([`${n} managed jobs running at once on local infra`, `${((Date.now() - t0) / 1000).toFixed(1)} s to all RUNNING`, '-', true])
  rows.push(['  memory of everything sky runs (PSS)', `${(all.pss / 1024).toFixed(2)} GB`, '<= 2 GB', all.pss <= 2048])
  rows.push(['  same, RSS sum / processes', `${(all.rss / 1024).toFixed(2)} GB / ${all.procs}`, '-', true])
  rows.push(['  server RSS', `${rssMb(s.proc.pid).toFixed(0)} MB`, '-', true])
  writeFileSync(go, '')
  await waitUntil(() => s.queue().every((j) => j.end_at !== null), 900_000, 1000)
  await s.stop()
}

report(rows)
