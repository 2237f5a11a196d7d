// Helpers for the node-agent tests: a throwaway cluster (runtime root + node homes + cluster.json),
// the agent run as a subprocess (the way the API server runs it) or in-process, and a cleanup that
// stops the daemon and kills every job process this cluster started.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAgent, type AgentIO } from '../../../src/core/agent/cli'
import type { RunnerFactory } from '../../../src/core/agent/remote'
import type { ClusterSpec, JobInfo, NodeCapacity } from '../../../src/core/agent/types'

export const BUN = process.execPath
export const ENTRY = resolve(import.meta.dir, '../../../src/core/agent/cli-entry.ts')

export interface RunOut {
  code: number
  stdout: string
  stderr: string
  json: any
}

export interface TestCluster {
  dir: string
  root: string
  homes: string[]
  spec: ClusterSpec
  env: Record<string, string>
  /** The agent as a subprocess. */
  agent(args: string[], stdin?: unknown, o?: { timeoutMs?: number }): Promise<RunOut>
  /** The agent in this process. */
  inproc(args: string[], stdin?: unknown): Promise<RunOut>
  submit(job: Record<string, unknown>): Promise<number>
  queue(): Promise<JobInfo[]>
  job(id: number): Promise<JobInfo>
  waitStatus(id: number, statuses: string[], timeoutMs?: number): Promise<JobInfo>
  log(id: number): string
  cleanup(): Promise<void>
}

export interface ClusterOptions {
  nodes?: number
  capacity?: NodeCapacity
  onAutostop?: string
  env?: Record<string, string>
  name?: string
  /** Serve this cluster from the local agent host at this directory. */
  agentHost?: string
  /** The cluster's autostop minute in ms (cluster.json `autostopMinuteMs`); default 60 s. */
  minuteMs?: number
  /** How in-process agent commands reach ssh workers (default SSH). */
  runners?: RunnerFactory
}

export function job(run: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'test', user: 'alice', userHash: 'aaaa1111', numNodes: 1, demand: {}, run, envs: {}, secrets: {}, ...extra }
}

function parse(stdout: string): any {
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '')
  } catch {
    return undefined
  }
}

export async function makeCluster(o: ClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sky-agent-test-'))
  const root = join(dir, 'runtime')
  const n = o.nodes ?? 1
  const homes = Array.from({ length: n }, (_, i) => join(dir, `node${i}`))
  for (const h of homes) mkdirSync(h, { recursive: true })
  const spec: ClusterSpec = {
    name: o.name ?? 'test-cluster',
    cloud: 'local',
    region: 'local',
    zone: null,
    nodes: homes.map((home, i) => ({ rank: i, ip: `10.0.0.${i + 1}`, home, kind: 'local' })),
    capacity: o.capacity ?? { cpus: 4, memoryGb: 8, gpus: null },
    onAutostop: o.onAutostop ?? null,
    ...(o.agentHost ? { agentHost: o.agentHost } : {}),
    ...(o.minuteMs ? { autostopMinuteMs: o.minuteMs } : {}),
  }
  // The agent's own environment: PATH from here, HOME in the throwaway dir (never the developer's).
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, USER: process.env.USER ?? 'tester', ...o.env }

  const c: TestCluster = {
    dir,
    root,
    homes,
    spec,
    env,
    async agent(args, stdin, ro = {}) {
      const p = Bun.spawn([BUN, ENTRY, ...args, '--root', root], {
        env,
        stdin: stdin === undefined ? 'ignore' : new TextEncoder().encode(typeof stdin === 'string' ? stdin : JSON.stringify(stdin)),
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const timer = setTimeout(() => p.kill('SIGKILL'), ro.timeoutMs ?? 30_000)
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
      clearTimeout(timer)
      return { code, stdout, stderr, json: parse(stdout) }
    },
    async inproc(args, stdin) {
      let stdout = ''
      let stderr = ''
      const dec = new TextDecoder()
      const io: AgentIO = {
        stdout: (chunk) => void (stdout += typeof chunk === 'string' ? chunk : dec.decode(chunk, { stream: true })),
        stderr: (t) => void (stderr += t),
        readStdin: async () => (stdin === undefined ? '' : typeof stdin === 'string' ? stdin : JSON.stringify(stdin)),
        runners: o.runners,
      }
      const code = await runAgent([...args, '--root', root], io)
      return { code, stdout, stderr, json: parse(stdout) }
    },
    async submit(j) {
      const r = await c.agent(['submit'], j)
      if (r.code !== 0) throw new Error(`submit failed (${r.code}): ${r.stdout} ${r.stderr}`)
      return r.json.jobId as number
    },
    async queue() {
      const r = await c.agent(['queue', '--all-users'])
      if (r.code !== 0) throw new Error(`queue failed: ${r.stdout}`)
      return r.json as JobInfo[]
    },
    async job(id) {
      return (await c.queue()).find((j) => j.id === id)!
    },
    async waitStatus(id, statuses, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const j = await c.inproc(['queue', '--all-users']).then((r) => (r.json as JobInfo[]).find((x) => x.id === id))
        if (j && statuses.includes(j.status)) return j
        if (Date.now() > deadline) throw new Error(`job ${id} is ${j?.status}, wanted ${statuses.join('|')}`)
        await Bun.sleep(20)
      }
    },
    log(id) {
      try {
        return readFileSync(join(root, 'logs', String(id), 'run.log'), 'utf8')
      } catch {
        return ''
      }
    },
    async cleanup() {
      await c.inproc(['stop-all']).catch(() => {})
      killTagged(dir)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return c
}

/** Pids of live processes whose environment mentions `needle` (Linux). */
export function pidsWithEnv(needle: string): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'latin1')
      if (!env.includes(needle)) continue
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue
      out.push(Number(d))
    } catch {}
  }
  return out
}

/** Pids of live processes whose command line contains (or, with `exact`, is) `needle`. */
export function pidsWithArgs(needle: string, exact = false): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim()
      if (exact ? cmd !== needle : !cmd.includes(needle)) continue
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue
      out.push(Number(d))
    } catch {}
  }
  return out
}

/** Kill anything still running under test dir `dir`: job processes (HOME is a node home in it) and agent processes. */
export function killTagged(dir: string): void {
  for (const pid of [...pidsWithEnv(dir), ...pidsWithArgs(dir)]) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

export async function waitUntil(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 20, what?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? fn.toString().slice(0, 120)}`)
    await Bun.sleep(stepMs)
  }
}

/**
 * Wait until the cluster's daemon has run a full step at or after `at` (epoch ms): two heartbeats
 * later than `at`, since each tick's step runs before the next tick. A barrier for "the daemon has
 * looked at this by now" without a fixed sleep.
 */
export async function daemonStepAfter(c: TestCluster, at: number, timeoutMs = 15_000): Promise<void> {
  const beat = async () => ((await c.inproc(['health'])).json?.daemon?.heartbeatAt as number | null) ?? 0
  let first = 0
  await waitUntil(async () => (first = await beat()) > at, timeoutMs, 20, `a daemon heartbeat after ${at}`)
  await waitUntil(async () => (await beat()) > first, timeoutMs, 20, `a daemon heartbeat after ${first}`)
}

/** A job that submits another after `id` and waits for it: the daemon has handled `id`'s events by then. */
export async function afterLaterJob(c: TestCluster, extra: Record<string, unknown> = {}): Promise<void> {
  const later = await c.submit(job('true', extra))
  await c.waitStatus(later, ['SUCCEEDED'])
}
