// Clusters on the local infra, driven through the compiled binary as a user would.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fakeGpus, requestRow, tempHome, waitFor, type TempHome } from '../harness'

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

describe('launch and jobs', () => {
  test('launch -y runs the command and streams its output with the reference messages', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'dev', '--cpus', '1', '--', 'echo hello; echo rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES'])
    expect(r.code).toBe(0)
    const o = out(r)
    expect(o).toContain('Considered resources (1 node):')
    expect(o).toContain('⚙︎ Launching on Local.')
    expect(o).toContain('✓ Cluster launched: dev.')
    expect(o).toContain('⚙︎ Job submitted, ID: 1')
    expect(o).toContain('└── Job started. Streaming logs... (Ctrl-C to exit log streaming; job will not be killed)')
    expect(o).toMatch(/\(task, pid=\d+\) hello/)
    expect(o).toContain('rank=0 nodes=1')
    expect(o).toContain('✓ Job finished (status: SUCCEEDED).')
    expect(o).toContain('📋 Useful Commands')
  })

  test('status table, glob, -o json, --ip', async () => {
    const s = await h.sky(['status'])
    expect(s.stdout).toMatch(/NAME\s+INFRA\s+RESOURCES\s+STATUS\s+AUTOSTOP\s+LAUNCHED/)
    expect(s.stdout).toMatch(/dev\s+Local\s+1x\(cpus=\d+.*UP/)
    const j = JSON.parse((await h.sky(['status', 'd*', '-o', 'json'])).stdout)
    expect(j.map((c: { name: string }) => c.name)).toEqual(['dev'])
    expect(j[0].handle).toBeUndefined()
    // Each local node has its own loopback address.
    expect((await h.sky(['status', '--ip', 'dev'])).stdout.trim()).toMatch(/^127\.\d+\.\d+\.\d+$/)
    expect((await h.sky(['status', 'nope'])).stdout).toContain("Cluster 'nope' not found.")
  })

  test('a failed job: exec exits 100 (SkyPilot FAILED) naming the job exit code; logs --status reports it', async () => {
    const r = await h.sky(['exec', 'dev', '--', 'echo out; exit 7'])
    expect(r.code).toBe(100)
    expect(out(r)).toContain('Job finished (status: FAILED)')
    expect(r.stderr).toContain("Job 2 on cluster 'dev' failed with exit code 7 (status: FAILED).")
    const st = await h.sky(['logs', 'dev', '2', '--status'])
    expect(st.stdout).toContain('Job 2: FAILED')
    expect(st.code).toBe(100)
    const logs = await h.sky(['logs', 'dev', '2', '--no-follow'])
    expect(logs.stdout).toContain('out')
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
    for (let i = 0; i < 3; i++) {
      const r = await h.sky(['exec', 'gpu', '-d', '--gpus', 'L4:1', '--cpus', '0.25', '--', 'echo cvd=$CUDA_VISIBLE_DEVICES; sleep 3'])
      expect(r.code).toBe(0)
    }
    const r4 = await h.sky(['exec', 'gpu', '-d', '--gpus', 'L4:0.5', '--cpus', '0.25', '--', 'sleep 3'])
    expect(r4.code).toBe(0)
    const q = (await h.sky(['queue', 'gpu'])).stdout
    const running = (q.match(/RUNNING/g) ?? []).length
    expect(running).toBe(2)
    expect(q).toContain('PENDING')
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
    const r = await h.sky(['exec', 'dev', '-d', '--', 'sleep 1000.5 & sleep 1000.5; wait'])
    expect(r.code).toBe(0)
    const id = /Job submitted, ID: (\d+)/.exec(out(r))![1]!
    await waitFor(async () => (await h.sky(['queue', 'dev'])).stdout.includes('RUNNING'))
    const c = await h.sky(['cancel', 'dev', id])
    expect(c.stdout).toContain(`Cancelled job: ${id}`)
    await waitFor(async () => (await h.sky(['logs', 'dev', id, '--status'])).stdout.includes('CANCELLED'))
    await Bun.sleep(500)
    const left = Bun.spawnSync(['pgrep', '-f', 'sleep 1000.5']).stdout.toString().trim()
    expect(left).toBe('')
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
    const env = { SKY_AGENT_MINUTE_MS: '300' }
    // A dedicated home so the server (and the agent it starts) get the short minute, and the
    // server's refresh loop runs every second.
    const h2 = await tempHome({ config: 'api_server:\n  status_refresh_seconds: 1\n' })
    try {
      expect((await h2.sky(['launch', '-y', '-c', 'idle', '-i', '1', '--', 'echo hi'], { env })).code).toBe(0)
      expect((await h2.sky(['status'], { env })).stdout).toMatch(/idle .* 1m /)
      // Plain `sky status`: the server noticed on its own.
      await waitFor(async () => (await h2.sky(['status'], { env })).stdout.includes('STOPPED'), 20_000, 300)
      expect((await h2.sky(['launch', '-y', '-c', 'gone', '-i', '1', '--down', '--', 'echo hi'], { env })).code).toBe(0)
      expect((await h2.sky(['status'], { env })).stdout).toContain('1m (down)')
      await waitFor(async () => !(await h2.sky(['status', '--refresh'], { env })).stdout.includes('gone'), 20_000, 300)
    } finally {
      await h2.sky(['down', '-a', '-y'])
      await h2.cleanup()
    }
  })

  test('the API server killed during a running job: the job finishes and its log is complete after restart', async () => {
    const r = await h.sky(['exec', 'dev', '-d', '--', 'for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.5; done'])
    const id = /Job submitted, ID: (\d+)/.exec(out(r))![1]!
    process.kill(h.serverPid()!, 'SIGKILL')
    await Bun.sleep(4000)
    const logs = await h.sky(['logs', 'dev', id])
    expect(logs.stdout).toContain('tick 6')
    expect((await h.sky(['logs', 'dev', id, '--status'])).stdout).toContain('SUCCEEDED')
  })
})

describe('request handling through the CLI', () => {
  test('Ctrl+C while streaming detaches; the request finishes; sky api logs replays it', async () => {
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
    const t = performance.now()
    const r = await h.sky(['exec', 'dev', '--async', '--', 'sleep 1; echo async-done'])
    expect(performance.now() - t).toBeLessThan(5000)
    expect(r.code).toBe(0)
    const id = /Submitted sky.exec: ([0-9a-f-]{36})/.exec(r.stdout)![1]!
    expect(r.stderr).toContain(`sky api logs ${id.slice(0, 8)}`)
    await waitFor(async () => (await requestRow(h.endpoint, id)).status === 'SUCCEEDED', 15_000)
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

  test('an infra with credentials but no provisioner in this build is not enabled, and launch falls back', async () => {
    // Kubernetes contexts are found (sky check names them) but this build cannot provision on
    // Kubernetes: it is not enabled, a launch pinned to it is refused, an ordered list falls back to local.
    const h2 = await tempHome()
    const kubeconfig = join(h2.dir, 'kubeconfig.yaml')
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: lab\ncontexts:\n  - name: lab\n    context: {cluster: c1, user: u1}\nclusters: []\nusers: []\n')
    const env = { KUBECONFIG: kubeconfig }
    try {
      const check = await h2.sky(['check'], { env })
      expect(check.stdout).toContain('Kubernetes: disabled')
      expect(check.stdout).toContain('not supported by this build')
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
