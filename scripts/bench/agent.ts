// Node-agent bench: submit-to-start latency of single jobs on an idle cluster, then queue N jobs
// (default 200, each `echo`) on one local cluster and report the time until all have finished,
// submit-to-start latency under that queue, and the daemon's peak RSS (VmHWM).
// Usage: bun scripts/bench/agent.ts [--jobs N] [--cpus N]
// Targets: idle submit->start median <= 100 ms; peak RSS <= 100 MB.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAgent, type AgentIO } from '../../src/core/agent/cli'
import type { JobInfo } from '../../src/core/agent/types'

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}

const jobs = flag('jobs', 200)
const cpus = flag('cpus', 8)

const dir = mkdtempSync(join(tmpdir(), 'sky-agent-bench-'))
const root = join(dir, 'runtime')
const home = join(dir, 'node0')
mkdirSync(home)

async function agent(args: string[], stdin?: unknown): Promise<any> {
  let out = ''
  const io: AgentIO = {
    stdout: (c) => void (out += typeof c === 'string' ? c : new TextDecoder().decode(c)),
    stderr: (t) => void process.stderr.write(t),
    readStdin: async () => (stdin === undefined ? '' : JSON.stringify(stdin)),
  }
  const code = await runAgent([...args, '--root', root], io)
  const json = JSON.parse(out.trim().split('\n').pop() || 'null')
  if (code !== 0) throw new Error(`${args[0]} failed: ${out}`)
  return json
}

function vm(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

try {
  const init = await agent(['init'], {
    name: 'bench',
    cloud: 'local',
    nodes: [{ ip: '127.0.0.1', home, kind: 'local' }],
    capacity: { cpus, memoryGb: 64, gpus: null },
  })
  const pid = init.daemonPid as number
  const rssStart = vm(pid, 'VmRSS')
  // Single jobs on an idle cluster: how long the daemon takes to start one.
  const idle: number[] = []
  for (let i = 0; i < 7; i++) {
    const { jobId } = await agent(['submit'], { name: `idle-${i}`, user: 'bench', userHash: 'bench', numNodes: 1, demand: { cpus: 0.5 }, run: 'true', envs: {}, secrets: {} })
    for (;;) {
      const j = ((await agent(['queue', '--all-users'])) as JobInfo[]).find((x) => x.id === jobId)!
      if (j.status === 'SUCCEEDED') {
        idle.push(j.startedAt! - j.submittedAt)
        break
      }
      await Bun.sleep(5)
    }
  }
  const idleMedian = [...idle].sort((a, b) => a - b)[3]!
  console.log(`submit->start on an idle cluster: median ${idleMedian} ms of ${idle.length} (target <= 100 ms) ${idleMedian <= 100 ? 'OK' : 'MISS'}`)
  const t0 = performance.now()
  for (let i = 0; i < jobs; i++) {
    await agent(['submit'], { name: `echo-${i}`, user: 'bench', userHash: 'bench', numNodes: 1, demand: { cpus: 0.5 }, run: `echo job ${i}`, envs: {}, secrets: {} })
  }
  const tSubmitted = performance.now()
  let peakRss = 0
  let rows: JobInfo[] = []
  for (;;) {
    peakRss = Math.max(peakRss, vm(pid, 'VmRSS'))
    rows = await agent(['queue', '--all-users'])
    if (rows.every((r) => ['SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'FAILED_DRIVER', 'CANCELLED'].includes(r.status))) break
    await Bun.sleep(50)
  }
  const tDone = performance.now()
  const hwm = vm(pid, 'VmHWM')
  const lat = rows.map((r) => r.startedAt! - r.submittedAt).sort((a, b) => a - b)
  const failed = rows.filter((r) => r.status !== 'SUCCEEDED').length
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]
  console.log(`jobs: ${jobs} (cluster: ${cpus} CPUs, 0.5 CPU per job => ${cpus * 2} at once), failed: ${failed}`)
  console.log(`submit all: ${(tSubmitted - t0).toFixed(0)} ms; all finished: ${(tDone - t0).toFixed(0)} ms after the first submit`)
  console.log(`submit->start latency (queueing included): p50 ${pct(50)} ms, p90 ${pct(90)} ms, max ${lat[lat.length - 1]} ms`)
  console.log(`daemon RSS: start ${rssStart.toFixed(1)} MB, peak sampled ${peakRss.toFixed(1)} MB, VmHWM ${hwm.toFixed(1)} MB (target <= 100 MB)`)
  await agent(['stop-all'])
  process.exitCode = failed === 0 && hwm <= 100 && idleMedian <= 100 ? 0 : 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
