// Clusters on the local infra, driven through the compiled binary as a user would.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fakeGpus, requestRow, tempHome, waitFor, type TempHome } from '../harness'
import { wireErrors } from '../harness/wire'
import { Cluster, ClusterJob } from '../../src/api/wire'

let h: TempHome
beforeAll(async () => {
  h = await tempHome()
  // Two L4s, as nvidia-smi on a real machine would describe them.
  fakeGpus(h, ['NVIDIA L4, 24576 MiB', 'NVIDIA L4, 24576 MiB'])
})
afterAll(async () => {
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

/**
 * The shared cluster `dev`, launched by whichever test needs it first (so tests do not depend on
 * their order). The launch test itself uses its own cluster.
 */
let devLaunched: Promise<void> | undefined
function dev(): Promise<void> {
  devLaunched ??= h.sky(['launch', '-y', '-c', 'dev', '--cpus', '1', '--', 'echo ready']).then((r) => {
    if (r.code !== 0) throw new Error(`launching dev failed: ${out(r)}`)
  })
  return devLaunched
}
const jobIdOf = (r: { stdout: string; stderr: string }) => /Job submitted, ID: (\d+)/.exec(out(r))![1]!

describe('launch and jobs', () => {
  test('launch -y runs the command and streams its output with the reference messages', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'first', '--cpus', '1', '--', 'echo hello; echo rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES'])
    expect(r.code).toBe(0)
    const o = out(r)
    expect(o).toContain('Considered resources (1 node):')
    expect(o).toContain('⚙︎ Launching on Local.')
    expect(o).toContain('✓ Cluster launched: first.')
    expect(o).toContain('⚙︎ Job submitted, ID: 1')
    expect(o).toContain('└── Job started. Streaming logs... (Ctrl-C to exit log streaming; job will not be killed)')
    expect(o).toMatch(/\(task, pid=\d+\) hello/)
    expect(o).toContain('rank=0 nodes=1')
    expect(o).toContain('✓ Job finished (status: SUCCEEDED).')
    expect(o).toContain('📋 Useful Commands')
    // The local infra gives honest shares: give this CPU back for the other tests' clusters.
    expect((await h.sky(['down', '-y', 'first'])).code).toBe(0)
  })

  test('status table, glob, -o json, --ip', async () => {
    await dev()
    const s = await h.sky(['status'])
    expect(s.stdout).toMatch(/NAME\s+INFRA\s+RESOURCES\s+STATUS\s+AUTOSTOP\s+LAUNCHED/)
    expect(s.stdout).toMatch(/dev\s+Local\s+1x\(cpus=\d+.*UP/)
    const j = JSON.parse((await h.sky(['status', 'd*', '-o', 'json'])).stdout)
    expect(j.map((c: { name: string }) => c.name)).toEqual(['dev'])
    expect(j[0].handle).toBeUndefined()
    expect(wireErrors(Cluster, j)).toEqual([])
    // SkyPilot's JSON names and units: snake_case, seconds since the epoch.
    expect(j[0]).toMatchObject({ status: 'UP', nodes: 1, cloud: 'local', autostop: -1, to_down: false })
    expect(j[0].head_ip).toMatch(/^127\.\d+\.\d+\.\d+$/)
    expect(j[0].launched_at).toBeGreaterThan(1e9)
    expect(j[0].launched_at).toBeLessThan(1e11)
    // Each local node has its own loopback address.
    expect((await h.sky(['status', '--ip', 'dev'])).stdout.trim()).toBe(j[0].head_ip)
    expect((await h.sky(['status', 'nope'])).stdout).toContain("Cluster 'nope' not found.")
  })

  test('a failed job: exec exits 100 (SkyPilot FAILED) naming the job exit code; logs --status reports it', async () => {
    await dev()
    const r = await h.sky(['exec', 'dev', '--', 'echo out; exit 7'])
    expect(r.code).toBe(100)
    expect(out(r)).toContain('Job finished (status: FAILED)')
    const id = jobIdOf(r)
    expect(r.stderr).toContain(`Job ${id} on cluster 'dev' failed with exit code 7 (status: FAILED).`)
    const st = await h.sky(['logs', 'dev', id, '--status'])
    expect(st.stdout).toContain(`Job ${id}: FAILED`)
    expect(st.code).toBe(100)
    const logs = await h.sky(['logs', 'dev', id, '--no-follow'])
    expect(logs.stdout).toContain('out')
    // sky queue -o json: SkyPilot's ClusterJobRecord names, times in seconds.
    const q = JSON.parse((await h.sky(['queue', 'dev', '-o', 'json'])).stdout) as Record<string, Record<string, unknown>[]>
    expect(wireErrors(ClusterJob, q.dev!)).toEqual([])
    const job2 = q.dev!.find((j) => j.job_id === Number(id))!
    expect(job2).toMatchObject({ job_id: Number(id), status: 'FAILED', exit_code: 7, username: 'tester' })
    expect(job2.submitted_at as number).toBeLessThan(1e11)
    expect(job2.end_at as number).toBeGreaterThanOrEqual(job2.submitted_at as number)
  })

  test('setup then run, envs and secrets, workdir sync honouring .skyignore', async () => {
    const wd = join(h.dir, 'proj')
    mkdirSync(join(wd, 'data'), { recursive: true })
    writeFileSync(join(wd, 'keep.txt'), 'kept')
    writeFileSync(join(wd, 'data', 'big.bin'), 'x')
    writeFileSync(join(wd, '.skyignore'), 'data/\n')
    const yaml = join(h.dir, 'task.yaml')
    writeFileSync(
      yaml,
      `name: t1\nworkdir: ${wd}\nenvs:\n  GREETING: hi\nsecrets:\n  TOKEN: s3cret\nsetup: echo setting-up\nrun: |\n  echo "$GREETING from $(pwd)"\n  ls\n  test -n "$TOKEN" && echo token-set\n`,
    )
    await dev()
    const r = await h.sky(['launch', '-y', '-c', 'dev', yaml])
    expect(r.code).toBe(0)
    const o = out(r)
    expect(o).toContain('setting-up')
    expect(o).toContain('hi from ')
    expect(o).toContain('sky_workdir')
    expect(o).toContain('keep.txt')
    expect(o).not.toContain('big.bin')
    expect(o).toContain('token-set')
    expect(o).not.toContain('s3cret')
  })

  test('fractional GPUs: two 0.5-GPU jobs share one GPU and run concurrently; a third waits', async () => {
    const launch = await h.sky(['launch', '-y', '-c', 'gpu', '--gpus', 'L4:2', '--cpus', '1', '--', 'echo ready'])
    expect(launch.code).toBe(0)
    const [cluster] = JSON.parse((await h.sky(['status', 'gpu', '-o', 'json'])).stdout) as { accelerators: Record<string, number> }[]
    const gpus = cluster!.accelerators.L4!
    expect(gpus).toBeGreaterThanOrEqual(1)
    // Jobs hold their GPU until this file exists (no timing involved).
    const release = join(h.dir, 'gpu-release')
    const hold = `echo cvd=$CUDA_VISIBLE_DEVICES; while [ ! -f ${release} ]; do sleep 0.05; done`
    const submit = async (gpu: string) => {
      const r = await h.sky(['exec', 'gpu', '-d', '--gpus', gpu, '--cpus', '0.25', '--', hold])
      expect(r.code).toBe(0)
      return Number(/Job submitted, ID: (\d+)/.exec(out(r))![1])
    }
    // Leave exactly one GPU free: whole-GPU jobs take the others.
    const blockers: number[] = []
    for (let i = 1; i < gpus; i++) blockers.push(await submit('L4:1'))
    const halves = [await submit('L4:0.5'), await submit('L4:0.5'), await submit('L4:0.5')]
    type Job = { job_id: number; status: string }
    const queue = async () => JSON.parse((await h.sky(['queue', 'gpu', '-o', 'json'])).stdout).gpu as Job[]
    const statusOf = (jobs: Job[], id: number) => jobs.find((j) => j.job_id === id)?.status
    const jobs = await waitFor(
      async () => {
        const q = await queue()
        return [...blockers, halves[0]!, halves[1]!].every((id) => statusOf(q, id) === 'RUNNING') && q
      },
      { timeoutMs: 30_000, stepMs: 200, what: 'the blockers and two 0.5-GPU jobs to run' },
    )
    expect(statusOf(jobs, halves[2]!)).toBe('PENDING')
    // The two running halves share one device, which no whole-GPU job has.
    const cvd = async (id: number) => /cvd=(\S+)/.exec((await h.sky(['logs', 'gpu', String(id), '--no-follow'])).stdout)?.[1]
    const shared = await cvd(halves[0]!)
    expect(await cvd(halves[1]!)).toBe(shared)
    for (const b of blockers) expect(await cvd(b)).not.toBe(shared)
    writeFileSync(release, '')
    const done = await waitFor(async () => ((await queue()).every((j) => j.status === 'SUCCEEDED') ? true : undefined), { timeoutMs: 30_000, stepMs: 200, what: 'every GPU job to succeed' })
    expect(done).toBe(true)
    const fit = await h.sky(['exec', 'gpu', '--gpus', 'L4:4', '--', 'true'])
    expect(fit.code).toBe(2)
    expect(out(fit)).toContain('does not fit')
    // The machine's two GPUs are this cluster's: another cluster asking for one is refused up front.
    const other = await h.sky(['launch', '-y', '-c', 'gpu2', '--gpus', 'L4:1', '--', 'true'])
    expect(other.code).toBe(3)
    expect(out(other)).toContain('0 of 2x L4 free')
    expect((await h.sky(['status', 'gpu2'])).stdout).toContain("Cluster 'gpu2' not found.")
    expect((await h.sky(['down', '-y', 'gpu'])).code).toBe(0)
  })

  test('GPUs of one machine go to different clusters: disjoint CUDA_VISIBLE_DEVICES', async () => {
    const a = await h.sky(['launch', '-y', '-c', 'ga', '--gpus', 'L4:1', '--', 'echo cvd=$CUDA_VISIBLE_DEVICES'])
    const b = await h.sky(['launch', '-y', '-c', 'gb', '--gpus', 'L4:1', '--', 'echo cvd=$CUDA_VISIBLE_DEVICES'])
    expect(a.code).toBe(0)
    expect(b.code).toBe(0)
    const da = /cvd=(\d+)/.exec(a.stdout)![1]
    const db = /cvd=(\d+)/.exec(b.stdout)![1]
    expect([da, db].sort()).toEqual(['0', '1'])
    expect((await h.sky(['down', '-y', 'ga', 'gb'])).code).toBe(0)
  })

  test('GPUs asked by memory: launch and exec resolve to the GPU type that matches', async () => {
    const launch = await h.sky(['launch', '-y', '-c', 'bymem', '--gpus', '24GB+:1', '--', 'echo cvd=$CUDA_VISIBLE_DEVICES'])
    expect(launch.code).toBe(0)
    expect(launch.stdout).toMatch(/cvd=\d/)
    expect((await h.sky(['status', 'bymem'])).stdout).toContain('L4')
    const ex = await h.sky(['exec', 'bymem', '--gpus', 'nvidia:24GB:1', '--', 'echo cvd=$CUDA_VISIBLE_DEVICES'])
    expect(ex.code).toBe(0)
    expect(ex.stdout).toMatch(/cvd=\d/)
    const big = await h.sky(['exec', 'bymem', '--gpus', '80GB+', '--', 'true'])
    expect(big.code).toBe(2)
    expect(out(big)).toContain('at least 80 GB and the cluster has L4')
    await h.sky(['down', '-y', 'bymem'])
  })

  test('cancel kills a running job and its children', async () => {
    // A per-run tag: only this run's processes are looked for.
    const tag = `sleep 1000.${process.pid}${Date.now() % 10000}`
    await dev()
    const r = await h.sky(['exec', 'dev', '-d', '--', `${tag} & ${tag}; wait`])
    expect(r.code).toBe(0)
    const id = jobIdOf(r)
    const running = () => Bun.spawnSync(['pgrep', '-f', '-x', tag]).stdout.toString().trim().split('\n').filter(Boolean)
    await waitFor(() => running().length === 2, { what: 'both sleeps of the job to run' })
    const c = await h.sky(['cancel', 'dev', id])
    expect(c.stdout).toContain(`Cancelled job: ${id}`)
    expect(running()).toEqual([])
    expect((await h.sky(['logs', 'dev', id, '--status'])).stdout).toContain('CANCELLED')
  })

  test('a multi-node local cluster gets ranks, IPs and node counts', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'multi', '--num-nodes', '2', '--cpus', '0.25', '--', 'echo "rank=$SKYPILOT_NODE_RANK n=$SKYPILOT_NUM_NODES ips=$(echo $SKYPILOT_NODE_IPS | tr "\\n" ,)"'])
    expect(r.code).toBe(0)
    const o = out(r)
    expect(o).toContain('rank=0 n=2')
    expect(o).toContain('rank=1 n=2')
    // Each node has its own loopback address, so rendezvous ports of the ranks do not collide.
    const ips = /ips=(127\.[\d.]+)[ ,](127\.[\d.]+)/.exec(o)!
    expect(ips[1]).not.toBe(ips[2])
    expect((await h.sky(['down', '-y', 'multi'])).code).toBe(0)
  })
})

describe('lifecycle', () => {
  test('stop keeps the disk, start brings it back, down removes it', async () => {
    await h.sky(['launch', '-y', '-c', 'life', '--', 'echo data > ~/marker'])
    expect((await h.sky(['stop', 'life', '-y'])).code).toBe(0)
    expect((await h.sky(['status', 'life'])).stdout).toContain('STOPPED')
    const ex = await h.sky(['exec', 'life', '--', 'true'])
    expect(ex.code).toBe(2)
    expect(out(ex)).toContain('sky start life')
    expect((await h.sky(['start', 'life', '-y'])).code).toBe(0)
    const again = await h.sky(['exec', 'life', '--', 'cat ~/marker'])
    expect(out(again)).toContain('data')
    expect((await h.sky(['down', 'life', '-y'])).code).toBe(0)
    expect((await h.sky(['status', 'life'])).stdout).toContain("Cluster 'life' not found.")
    const gone = await h.sky(['queue', 'life'])
    expect(gone.code).toBe(4)
  })

  test('autostop fires after idle minutes (minute shortened for the test) and status --refresh shows it', async () => {
    // A dedicated test home: its server gives the clusters it launches a 300 ms autostop minute
    // (`testing:`, honoured only in test homes) and refreshes statuses every second.
    const h2 = await tempHome({ config: 'api_server:\n  status_refresh_seconds: 1\ntesting:\n  agent_minute_ms: 300\n' })
    try {
      expect((await h2.sky(['launch', '-y', '-c', 'idle', '-i', '1', '--', 'echo hi'])).code).toBe(0)
      expect((await h2.sky(['status'])).stdout).toMatch(/idle .* 1m /)
      // Plain `sky status`: the server noticed on its own.
      await waitFor(async () => (await h2.sky(['status'])).stdout.includes('STOPPED'), { timeoutMs: 20_000, stepMs: 300, what: "cluster 'idle' to be autostopped" })
      expect((await h2.sky(['launch', '-y', '-c', 'gone', '-i', '1', '--down', '--', 'echo hi'])).code).toBe(0)
      expect((await h2.sky(['status'])).stdout).toContain('1m (down)')
      await waitFor(async () => !(await h2.sky(['status', '--refresh'])).stdout.includes('gone'), { timeoutMs: 20_000, stepMs: 300, what: "cluster 'gone' to be autodowned" })
    } finally {
      await h2.sky(['down', '-a', '-y'])
      await h2.cleanup()
    }
  })

  test('the API server killed during a running job: the job finishes and its log is complete after restart', async () => {
    await dev()
    const r = await h.sky(['exec', 'dev', '-d', '--', 'for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.5; done'])
    const id = jobIdOf(r)
    process.kill(h.serverPid()!, 'SIGKILL')
    // The next command starts a new server; the job, untouched, finishes on its own.
    await waitFor(async () => (await h.sky(['logs', 'dev', id, '--status'])).stdout.includes('SUCCEEDED'), { timeoutMs: 30_000, stepMs: 200, what: `job ${id} to finish` })
    const logs = await h.sky(['logs', 'dev', id])
    expect(logs.stdout).toContain('tick 6')
    expect((await h.sky(['logs', 'dev', id, '--status'])).stdout).toContain('SUCCEEDED')
  })
})

describe('request handling through the CLI', () => {
  test('Ctrl+C while streaming detaches; the request finishes; sky api logs replays it', async () => {
    await dev()
    const p = h.spawn(['exec', 'dev', '--', 'for i in 1 2 3 4; do echo beat $i; sleep 0.5; done'])
    let seen = ''
    const reader = p.stdout.getReader()
    const dec = new TextDecoder()
    while (!seen.includes('beat 1')) {
      const { value, done } = await reader.read()
      if (done) break
      seen += dec.decode(value)
    }
    p.kill('SIGINT')
    const code = await p.exited
    const err = await new Response(p.stderr).text()
    expect(code).toBe(130)
    expect(err).toContain('⚙︎ Request will continue running asynchronously.')
    const short = /sky api logs ([0-9a-f]{8})/.exec(err)![1]!
    expect(err).toContain(`├── Or, visit: ${h.endpoint}/api/stream?request_id=${short}`)
    expect(err).toContain(`└── To cancel the request, run: sky api cancel ${short}`)
    const replay = await h.sky(['api', 'logs', short])
    expect(replay.stdout).toContain('beat 4')
    expect(replay.stdout).toContain('Job finished (status: SUCCEEDED)')
    expect((await requestRow(h.endpoint, short)).status).toBe('SUCCEEDED')
  })

  test('--async returns at once with the request id and hints', async () => {
    // The job cannot finish before this file exists, so --async must have returned first.
    const release = join(h.dir, 'async-release')
    await dev()
    const r = await h.sky(['exec', 'dev', '--async', '--', `while [ ! -f ${release} ]; do sleep 0.05; done; echo async-done`])
    expect(r.code).toBe(0)
    const id = /Submitted sky.exec: ([0-9a-f-]{36})/.exec(r.stdout)![1]!
    expect(r.stderr).toContain(`sky api logs ${id.slice(0, 8)}`)
    expect(['PENDING', 'RUNNING']).toContain((await requestRow(h.endpoint, id)).status)
    writeFileSync(release, '')
    await waitFor(async () => (await requestRow(h.endpoint, id)).status === 'SUCCEEDED', { timeoutMs: 15_000, what: `request ${id} to succeed` })
    expect((await h.sky(['api', 'logs', id.slice(0, 8)])).stdout).toContain('async-done')
  })

  test('sky down cancels the cluster\'s other requests', async () => {
    await h.sky(['launch', '-y', '-c', 'busy', '--', 'true'])
    const r = await h.sky(['exec', 'busy', '--async', '--', 'sleep 30'])
    const id = /Submitted sky.exec: ([0-9a-f-]{36})/.exec(r.stdout)![1]!
    await waitFor(async () => (await requestRow(h.endpoint, id)).status === 'RUNNING')
    expect((await h.sky(['down', 'busy', '-y'])).code).toBe(0)
    expect((await requestRow(h.endpoint, id)).status).toBe('CANCELLED')
  })
})

describe('bad input', () => {
  test('a bad YAML value exits 2 naming the field; nothing is launched', async () => {
    const yaml = join(h.dir, 'bad.yaml')
    writeFileSync(yaml, 'resources:\n  accelerators: A100:x\nnum_nodes: -1\nrun: echo\n')
    const r = await h.sky(['launch', '-y', '-c', 'bad', yaml])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('resources.accelerators')
    expect(r.stderr).toContain('num_nodes')
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/)
    expect((await h.sky(['status', 'bad'])).stdout).toContain("Cluster 'bad' not found.")
  })

  test('no resources fit: exit 3 with the reason', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'huge', '--cpus', '4096', '--', 'true'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('local')
  })

  test('an infra whose credentials cannot be used is not enabled, and launch falls back', async () => {
    // A Kubernetes context is found (sky check names it) but its kubeconfig entry is broken: the
    // infra is not enabled, a launch pinned to it is refused, an ordered list falls back to local.
    const h2 = await tempHome()
    const kubeconfig = join(h2.dir, 'kubeconfig.yaml')
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: lab\ncontexts:\n  - name: lab\n    context: {cluster: c1, user: u1}\nclusters: []\nusers: []\n')
    const env = { KUBECONFIG: kubeconfig }
    try {
      const check = await h2.sky(['check'], { env })
      expect(check.stdout).toContain('Kubernetes: disabled')
      expect(check.stdout).toContain("no context can be used: lab: context 'lab' names cluster 'c1', which the kubeconfig does not define")
      const only = await h2.sky(['launch', '-y', '-c', 'kc', '--infra', 'k8s', '--', 'true'], { env })
      expect(only.code).toBe(3)
      expect(out(only)).toContain('kubernetes: not enabled')
      const yaml = join(h2.dir, 'ordered.yaml')
      writeFileSync(yaml, 'resources:\n  ordered:\n    - infra: k8s\n    - infra: local\nrun: echo fell-back\n')
      const fb = await h2.sky(['launch', '-y', '-c', 'fb', yaml], { env })
      expect(fb.code).toBe(0)
      expect(fb.stdout).toContain('fell-back')
      expect((await h2.sky(['status'], { env })).stdout).toMatch(/fb\s+Local/)
      await h2.sky(['down', '-a', '-y'], { env })
    } finally {
      await h2.cleanup()
    }
  })

  test('missing cluster: exit 4', async () => {
    const r = await h.sky(['exec', 'ghost', '--', 'true'])
    expect(r.code).toBe(4)
    expect(r.stderr).toContain("Cluster 'ghost' not found.")
  })

  test('with stdin closed, launch asks for -y instead of hanging', async () => {
    const r = await h.sky(['launch', '-c', 'x1', '--', 'true'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('pass -y')
  })
})
