// Pure pieces of running a job: env vars, prefixes, the bash wrapper, log tails, exit codes.
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JobRow } from '../../../src/core/agent/job-store'
import { exitCodeForStatus, tailOffset } from '../../../src/core/agent/logs'
import { selfCommand } from '../../../src/lib/self-exec'
import { ROOT, waitFor } from '../../harness'
import { clusterInfoJson, logPrefix, makeTaskId, rankEnv } from '../../../src/core/agent/task-env'
import type { ClusterSpec } from '../../../src/core/agent/types'
import { localAwk, remoteWrapperScript, WRAPPER_SCRIPT, wrapperEnv } from '../../../src/core/agent/wrapper'

const dir = mkdtempSync(join(tmpdir(), 'sky-agent-unit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const spec: ClusterSpec = {
  name: 'c1',
  cloud: 'AWS',
  region: 'us-east-1',
  zone: 'us-east-1a',
  nodes: [
    { rank: 0, ip: '10.0.0.1', home: '/h0', kind: 'local' },
    { rank: 1, ip: '10.0.0.2', home: '/h1', kind: 'local' },
    { rank: 2, ip: '10.0.0.3', home: '/h2', kind: 'local' },
  ],
  capacity: { cpus: 4, memoryGb: 8, gpus: { name: 'L4', count: 2 } },
}

function row(extra: Partial<JobRow> = {}): JobRow {
  return {
    id: 7,
    name: 'j',
    user: 'alice',
    userHash: 'h',
    status: 'RUNNING',
    priority: 0,
    numNodes: 2,
    demand: { gpus: { name: 'L4', count: 0.5 } },
    resources: '',
    commands: { setup: 'x', run: 'y', envs: { A: '1', SKYPILOT_NODE_RANK: 'user-cannot-override' }, secrets: { S: 'sec' }, workdir: null },
    taskId: 'sky-task',
    submittedAt: 0,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    exitCodes: null,
    alloc: null,
    procs: null,
    phase: null,
    failure: null,
    idempotencyKey: null,
    ...extra,
  }
}

const alloc = [
  { node: 1, cpuMilli: 500, memMb: 0, gpuIndices: [1], gpuMilli: 500 },
  { node: 2, cpuMilli: 500, memMb: 0, gpuIndices: [0], gpuMilli: 500 },
]

describe('task env', () => {
  test('task id and cluster info formats', () => {
    const at = new Date(2024, 8, 9, 19, 38, 15, 123).getTime()
    expect(makeTaskId('c1', 5, at)).toMatch(/^sky-2024-09-09-19-38-15-123\d{3}_c1_5$/)
    expect(clusterInfoJson(spec)).toBe('{"cluster_name": "c1", "cloud": "AWS", "region": "us-east-1", "zone": "us-east-1a"}')
    expect(clusterInfoJson({ ...spec, cloud: 'kubernetes', region: 'ctx', zone: null })).toBe('{"cluster_name": "c1", "cloud": "Kubernetes", "region": "ctx", "zone": null}')
    expect(clusterInfoJson({ ...spec, cloud: 'local', region: 'local', zone: null })).toContain('"cloud": "Local"')
  })

  test('run env: job ranks, IPs of the job nodes, GPUs rounded up, CUDA devices', () => {
    const env = rankEnv({ spec, job: row(), alloc, rank: 1, phase: 'run' })
    expect(env).toMatchObject({
      A: '1',
      S: 'sec',
      SKYPILOT_NODE_RANK: '1',
      SKYPILOT_NODE_IPS: '10.0.0.2\n10.0.0.3',
      SKYPILOT_NUM_NODES: '2',
      SKYPILOT_NUM_GPUS_PER_NODE: '1',
      SKYPILOT_TASK_ID: 'sky-task',
      SKYPILOT_USER: 'alice',
      CUDA_VISIBLE_DEVICES: '0',
    })
    expect(env.SKYPILOT_INTERNAL_JOB_ID).toBe(String(row().id))
    expect(env.SKYPILOT_SETUP_NODE_RANK).toBeUndefined()
  })

  test('setup env: cluster ranks and all cluster IPs', () => {
    const env = rankEnv({ spec, job: row(), alloc, rank: 0, phase: 'setup' })
    expect(env).toMatchObject({ SKYPILOT_SETUP_NODE_RANK: '1', SKYPILOT_SETUP_NODE_IPS: '10.0.0.1\n10.0.0.2\n10.0.0.3', SKYPILOT_SETUP_NUM_GPUS_PER_NODE: '1', SKYPILOT_NUM_NODES: '2' })
    expect(env.SKYPILOT_NODE_RANK).toBe('user-cannot-override')
  })

  test("a node's own device indices: a local cluster's GPUs are the machine's devices it was given", () => {
    const local = { ...spec, nodes: spec.nodes.map((n, i) => ({ ...n, gpuIndices: [[4, 5], [6, 7], [2, 3]][i]! })) }
    expect(rankEnv({ spec: local, job: row(), alloc, rank: 0, phase: 'run' }).CUDA_VISIBLE_DEVICES).toBe('7')
    expect(rankEnv({ spec: local, job: row(), alloc, rank: 1, phase: 'run' }).CUDA_VISIBLE_DEVICES).toBe('2')
  })

  test('no GPU demand leaves CUDA_VISIBLE_DEVICES alone', () => {
    const env = rankEnv({ spec, job: row({ demand: {} }), alloc: [{ ...alloc[0]!, gpuIndices: [], gpuMilli: 0 }], rank: 0, phase: 'run' })
    expect(env.CUDA_VISIBLE_DEVICES).toBeUndefined()
    expect(env.SKYPILOT_NUM_GPUS_PER_NODE).toBe('0')
  })

  test('log prefixes', () => {
    expect(logPrefix(row({ numNodes: 1 }), 0, '10.0.0.1', 'run')).toBe('(task, pid={pid}) ')
    expect(logPrefix(row({ numNodes: 1 }), 0, '10.0.0.1', 'setup')).toBe('(setup pid={pid}) ')
    expect(logPrefix(row(), 0, '10.0.0.1', 'run')).toBe('(head, rank=0, pid={pid}) ')
    expect(logPrefix(row(), 1, '10.0.0.2', 'run')).toBe('(worker1, rank=1, pid={pid}, ip=10.0.0.2) ')
  })
})

async function runWrapper(command: string, env: Record<string, string> = {}, secretNames: string[] = []) {
  const log = join(dir, `w-${Math.random()}.log`)
  const exit = `${log}.exit`
  const w = wrapperEnv({ command, logPath: log, exitPath: exit, prefix: '(task, pid={pid}) ', secretNames, cwd: dir, tag: 't', awk: localAwk() })
  const p = Bun.spawn(['bash', '-c', WRAPPER_SCRIPT, 'sky-job'], { env: { ...process.env, ...env, ...w }, detached: true, stdio: ['ignore', 'ignore', 'ignore'] })
  const rc = await p.exited
  return { rc, pid: p.pid, log: readFileSync(log, 'utf8'), exit: readFileSync(exit, 'utf8') }
}

describe('wrapper', () => {
  test('prefixes lines, merges stderr, records the exit code, hides its own variables', async () => {
    const r = await runWrapper('echo out; echo err >&2; printf "partial"; env | grep -c ^SKY_AGENT_ | tr -d "\\n"; echo; pwd; exit 3')
    expect(r.rc).toBe(3)
    expect(r.exit).toBe('3\n')
    const p = `(task, pid=${r.pid}) `
    expect(r.log).toBe(`${p}out\n${p}err\n${p}partial1\n${p}${dir}\n`)
  })

  test('redacts secrets, multi-line ones line by line, longest first', async () => {
    const r = await runWrapper('echo "a=$TOKEN b=$TOK2 c=$MULTI"; echo "raw hunter2hunter2"', { TOKEN: 'hunter2', TOK2: 'hunter2hunter2', MULTI: 'line1\nline2' }, ['TOKEN', 'TOK2', 'MULTI'])
    expect(r.log).not.toContain('hunter2')
    expect(r.log).not.toContain('line1')
    expect(r.log).toContain('a=<redacted> b=<redacted> c=<redacted>')
    expect(r.log).toContain('raw <redacted>')
  })

  test('lines reach the log as they are printed', async () => {
    const log = join(dir, 'live.log')
    const go = join(dir, 'go')
    const w = wrapperEnv({ command: `echo first; while [ ! -f ${go} ]; do sleep 0.02; done; echo second`, logPath: log, exitPath: `${log}.exit`, prefix: '', secretNames: [], cwd: dir, tag: 't' })
    const p = Bun.spawn(['bash', '-c', WRAPPER_SCRIPT, 'sky-job'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...w }, detached: true, stdio: ['ignore', 'ignore', 'ignore'] })
    // The first line is in the log while the command is still blocked before the second.
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8') === 'first\n', { what: 'the first line in the log' })
    expect(p.exitCode).toBeNull()
    writeFileSync(go, '')
    expect(await p.exited).toBe(0)
    expect(readFileSync(log, 'utf8')).toBe('first\nsecond\n')
  })

  test('the remote script exports its env with quoting intact', async () => {
    const script = join(dir, 'remote.sh')
    const log = join(dir, 'remote.log')
    writeFileSync(script, remoteWrapperScript({ ...wrapperEnv({ command: 'echo "$Q"', logPath: log, exitPath: `${log}.exit`, prefix: '', secretNames: [], cwd: dir, tag: 't' }), Q: `it's "quoted" $HOME` }))
    const p = Bun.spawn(['bash', script], { stdio: ['ignore', 'ignore', 'ignore'] })
    expect(await p.exited).toBe(0)
    expect(readFileSync(log, 'utf8')).toBe(`it's "quoted" $HOME\n`)
    expect(await Bun.file(script).exists()).toBe(false)
  })
})

describe('logs helpers', () => {
  test('tailOffset finds the start of the last N lines', () => {
    const f = join(dir, 'tail.log')
    writeFileSync(f, 'a\nb\nc\nd\n')
    const rest = (n: number) => readFileSync(f, 'utf8').slice(tailOffset(f, n))
    expect(rest(0)).toBe('a\nb\nc\nd\n')
    expect(rest(1)).toBe('d\n')
    expect(rest(3)).toBe('b\nc\nd\n')
    expect(rest(10)).toBe('a\nb\nc\nd\n')
    writeFileSync(f, 'a\nb\npartial')
    expect(rest(1)).toBe('partial')
    expect(rest(2)).toBe('b\npartial')
    const big = Array.from({ length: 30000 }, (_, i) => `line ${i}`).join('\n') + '\n'
    writeFileSync(f, big)
    expect(rest(2)).toBe('line 29998\nline 29999\n')
  })

  test('JobExitCode mapping', () => {
    expect(exitCodeForStatus('SUCCEEDED')).toBe(0)
    expect(exitCodeForStatus('FAILED')).toBe(100)
    expect(exitCodeForStatus('FAILED_SETUP')).toBe(100)
    expect(exitCodeForStatus('FAILED_DRIVER')).toBe(100)
    expect(exitCodeForStatus('RUNNING')).toBe(101)
    expect(exitCodeForStatus('PENDING')).toBe(101)
    expect(exitCodeForStatus(null)).toBe(102)
    expect(exitCodeForStatus('CANCELLED')).toBe(103)
  })
})

describe('selfCommand', () => {
  test("from source: bun plus this package's src/main.ts, whatever the caller's entry script", () => {
    expect(selfCommand(['_agent', 'daemon'])).toEqual([process.execPath, join(ROOT, 'src/main.ts'), '_agent', 'daemon'])
  })
})
