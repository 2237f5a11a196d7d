// Cluster core figures (issue 11): what the per-cluster lock and the INIT intent row add to a
// launch, the provisioner conformance suite's wall time on local + ssh, and how cheap many local
// clusters are (the managed-jobs target: 200 at once within 2 GB for everything sky runs, and
// trivial jobs with a cluster each at >= 5/s).
// Usage: bun scripts/bench/cluster-core.ts [--clusters N] [--seconds S] [--skip-conformance]
//        (build first: bun scripts/build.ts)
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { intentRecord } from '../../src/core/clusters/record'
import type { LaunchedResources } from '../../src/core/provision/types'
import { openStore } from '../../src/core/state/store'
import { BIN, freePort, median, percentile, removeHome, report, ROOT, tempDir } from './lib'

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}

const rows: [string, string, string, boolean][] = []

// ── 1. Lock + intent row: the store work a launch does before the provider is asked ─────────
{
  const dir = tempDir()
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') })
  const launched: LaunchedResources = {
    infra: 'local', region: 'local', zone: null, instanceType: null, useSpot: false, numNodes: 1, cpus: 0.5, memoryGb: 0.5,
    accelerators: null, diskSizeGb: null, diskTier: null, networkTier: null, imageId: null, ports: [], labels: {}, hosts: null, hourlyPrice: 0,
  }
  const actor = { id: 'bench', name: 'bench' }
  const ms: number[] = []
  for (let i = 0; i < 300; i++) {
    const t = performance.now()
    await store.locks.tryAcquire(`c${i}`, `req-${i}`, 'sky.launch', 30_000)
    await store.clusters.upsert(intentRecord(`c${i}`, actor, launched, 'sky launch'))
    await store.locks.release(`c${i}`, `req-${i}`)
    ms.push(performance.now() - t)
  }
  await store.close()
  removeHome(dir)
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length
  rows.push(['lock + INIT intent row + unlock, added per launch (mean)', `${mean.toFixed(2)} ms`, '<= 10 ms', mean <= 10])
  rows.push(['  the same, median / p99', `${median(ms).toFixed(2)} / ${percentile(ms, 99).toFixed(1)} ms`, '(WAL commits)', true])
}

// ── 2. Conformance suite on local + ssh ─────────────────────────────────────────────────────
if (!process.argv.includes('--skip-conformance')) {
  const t = performance.now()
  const r = Bun.spawnSync([process.execPath, 'test', '--timeout', '120000', 'test/conformance'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  const s = (performance.now() - t) / 1000
  const text = r.stdout.toString() + r.stderr.toString()
  const pass = /(\d+) pass/.exec(text)?.[1] ?? '0'
  const fail = /(\d+) fail/.exec(text)?.[1] ?? '?'
  rows.push([`conformance suite, local + ssh (${pass} pass, ${fail} fail)`, `${s.toFixed(1)} s`, '<= 60 s', r.exitCode === 0 && s <= 60])
}

// ── 3. Many local clusters ──────────────────────────────────────────────────────────────────
const home = tempDir()
const port = await freePort()
const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, SKYPILOT_API_SERVER_ENDPOINT: `http://127.0.0.1:${port}`, NO_COLOR: '1' }
let shown = 0
async function sky(args: string[]): Promise<number> {
  const p = Bun.spawn([BIN, ...args], { env, stdout: 'pipe', stderr: 'pipe' })
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()])
  if (code !== 0 && shown++ < 3) console.error(`${args.slice(0, 4).join(' ')} ...: exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`)
  return code
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

/** Processes of this home: sky itself (server, agent host) and everything the clusters run. */
function homeProcesses(): { sky: number[]; jobs: number[] } {
  const sky: number[] = []
  const jobs: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8')
      const envText = readFileSync(`/proc/${d}/environ`, 'latin1')
      if (!envText.includes(`SKY_HOME=${home}`) && !cmd.includes(home)) continue
      if (cmd.startsWith(BIN)) sky.push(Number(d))
      else jobs.push(Number(d))
    } catch {}
  }
  return { sky, jobs }
}

const n = flag('clusters', 100)
const cpus = Math.max(0.01, Math.floor((1.5 / n) * 1000) / 1000)
await sky(['api', 'start'])
const t0 = performance.now()
const conc = 8
let next = 0
let failed = 0
await Promise.all(
  Array.from({ length: conc }, async () => {
    while (next < n) {
      const i = next++
      if ((await sky(['launch', '-y', '-d', '-c', `m${i}`, '--cpus', String(cpus), '--', 'sleep 600'])) !== 0) failed++
    }
  }),
)
const launchS = (performance.now() - t0) / 1000
await Bun.sleep(2000)
const procs = homeProcesses()
const skyMb = procs.sky.reduce((a, p) => a + rssKb(p), 0) / 1024
const jobsMb = procs.jobs.reduce((a, p) => a + rssKb(p), 0) / 1024
rows.push([`${n} local clusters, each running a job (launched ${conc} at a time)`, `${launchS.toFixed(1)} s`, `${failed} failed`, failed === 0])
rows.push([`  sky processes (server + agent host): ${procs.sky.length}`, `${skyMb.toFixed(0)} MB`, 'RSS', true])
rows.push([`  job processes (wrappers, logging, the jobs): ${procs.jobs.length}`, `${jobsMb.toFixed(0)} MB`, 'RSS', true])
const projected = skyMb + (jobsMb / n) * 200
rows.push([`  everything; projected for 200 clusters`, `${(projected / 1024).toFixed(2)} GB`, '<= 2 GB', projected <= 2048])
await sky(['down', '-a', '-y'])

// Trivial jobs with a cluster each: launch --down `true`, 8 at a time, for S seconds.
const seconds = flag('seconds', 20)
let done = 0
let bad = 0
const until = performance.now() + seconds * 1000
const t1 = performance.now()
await Promise.all(
  Array.from({ length: conc }, async (_, w) => {
    for (let i = 0; performance.now() < until; i++) {
      if ((await sky(['launch', '-y', '--down', '-c', `t${w}-${i}`, '--cpus', '0.05', '--', 'true'])) === 0) done++
      else bad++
    }
  }),
)
const rate = done / ((performance.now() - t1) / 1000)
rows.push([`trivial jobs, a cluster each (launch --down, ${conc} at a time)`, `${rate.toFixed(1)} /s`, '>= 5 /s', rate >= 5 && bad === 0])
await sky(['api', 'stop'])
removeHome(home)
report(rows)
