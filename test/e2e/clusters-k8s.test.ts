// Clusters on Kubernetes with the compiled binary, against the test Kubernetes API server over TLS
// with client certificates (test/harness/k8s; pods are local process groups, in their own network
// namespace as root). Contexts: `cpu` (2 CPU nodes), `gpu-l4` (one node, 2x L4), `gpu-h100` (an
// 8x H100 node labelled by GPU Feature Discovery and an 8x A100 node labelled by GKE), and `dead`,
// whose API server does not exist.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { freePort, tempHome, waitFor, type TempHome } from '../harness'
import { jobLogs, launchedId, waitStatus } from '../harness/jobs'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../harness/k8s'

let k8s: KubeHarness
let h: TempHome
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

type Obj = { metadata: { name: string; labels?: Record<string, string>; uid: string }; spec: Record<string, any>; status?: Record<string, any> }
const podsOf = (ctx: string, cluster: string): Obj[] =>
  (k8s.context(ctx).cluster.store.list('pods') as unknown as Obj[]).filter((p) => p.metadata.labels?.['skypilot-display-name'] === cluster).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
const servicesOf = (ctx: string, cluster: string): Obj[] => {
  const noc = podsOf(ctx, cluster)[0]?.metadata.labels?.['skypilot-cluster-name']
  return (k8s.context(ctx).cluster.store.list('services') as unknown as Obj[]).filter((s) => s.metadata.name.startsWith(`${cluster}-`) || (noc && s.metadata.labels?.['skypilot-cluster-name'] === noc))
}
/** The body at `url` once it answers 200 (a server starting in a pod). */
function pageAt(url: string, timeoutMs = 30_000): Promise<string> {
  return waitFor(async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => null)
    return res?.ok ? res.text() : false
  }, timeoutMs, 100)
}

/** `sky launch` of a task file (written from `task`). */
function launchTask(name: string, task: Record<string, unknown>, flags: string[] = []) {
  const yaml = join(h.dir, `${name}.yaml`)
  writeFileSync(yaml, YAML.stringify(task))
  return h.sky(['launch', '-y', '-c', name, ...flags, yaml], { timeoutMs: 120_000 })
}

/** Real OpenSSH with the generated config (async: the API server it reaches lives in this process). */
async function ssh(args: string[], stdin?: string) {
  const p = Bun.spawn(['ssh', '-F', join(h.dir, '.ssh/config'), '-o', 'BatchMode=yes', ...args], { env: { ...h.env }, stdin: stdin === undefined ? 'ignore' : Buffer.from(stdin), stdout: 'pipe', stderr: 'pipe' })
  const timer = setTimeout(() => p.kill('SIGKILL'), 30_000)
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  clearTimeout(timer)
  return { code, stdout, stderr }
}

beforeAll(async () => {
  k8s = await startKubeApi({
    tls: true,
    contexts: [
      { name: 'cpu', nodes: nodeSpecs(2, { prefix: 'cpu', cpu: 4, memory: 16 }) },
      { name: 'gpu-l4', nodes: nodeSpecs(1, { prefix: 'l4', cpu: 8, memory: 32, gpus: 2, gpuType: 'L4' }) },
      { name: 'gpu-h100', nodes: [{ name: 'h100-0', cpu: 16, memory: 64, gpus: 8, gpuType: 'H100', gpuLabels: ['nvidia'] }, { name: 'a100-0', cpu: 16, memory: 64, gpus: 8, gpuType: 'A100', gpuLabels: ['gke'] }] },
    ],
  })
  // One more context whose API server is not there (a closed port).
  const doc = YAML.parse(readFileSync(k8s.kubeconfig({ current: 'cpu' }), 'utf8'))
  const dead = `https://127.0.0.1:${await freePort()}`
  doc.clusters.push({ name: 'dead', cluster: { server: dead, 'insecure-skip-tls-verify': true } })
  doc.contexts.push({ name: 'dead', context: { cluster: 'dead', user: doc.users[0].name } })
  const kubeconfig = join(k8s.dir, 'kubeconfig-e2e')
  writeFileSync(kubeconfig, YAML.stringify(doc))
  h = await tempHome()
  h.env.KUBECONFIG = kubeconfig
  // An agent "minute" of one second, so autodown can be seen.
  h.env.SKY_AGENT_MINUTE_MS = '1000'
  // Managed jobs: the controller checks its clusters every half second.
  h.config('kubernetes:\n  allowed_contexts: [cpu, gpu-l4, gpu-h100, dead]\njobs:\n  controller:\n    status_check_seconds: 0.5\n')
}, 60_000)

afterAll(async () => {
  await h?.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 60_000 }).catch(() => {})
  await h?.sky(['down', '-a', '-y'], { timeoutMs: 60_000 }).catch(() => {})
  await h?.cleanup()
  await k8s?.stop()
})

describe('kubernetes', () => {
  test('sky check lists the contexts, and says why one cannot be used', async () => {
    const r = await h.sky(['check', 'k8s'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Kubernetes: enabled')
    expect(r.stdout).toMatch(/dead: API server unreachable \(.*connection refused/)
    expect(r.stdout).toMatch(/├── cpu\n\s+├── gpu-l4\n\s+└── gpu-h100/)
  })

  test('a launch on the unreachable context fails with exit 3 naming it', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'nope', '--infra', 'k8s/dead', '--', 'echo never'])
    expect(r.code).toBe(3)
    expect(out(r)).toContain('dead')
    expect(podsOf('cpu', 'nope')).toEqual([])
  })

  test('sky gpus list shows GPUs per context and node, total and free', async () => {
    const r = await h.sky(['gpus', 'list', '--infra', 'k8s'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Context: gpu-h100')
    expect(r.stdout).toMatch(/H100\s+1, 2, 4, 8\s+8 of 8 free/)
    expect(r.stdout).toMatch(/a100-0\s+A100\s+8 of 8 free/)
    expect(r.stdout).toContain('Context: gpu-l4')
    expect(r.stdout).toMatch(/l4-0\s+L4\s+2 of 2 free/)
    expect(r.stdout).not.toContain('Context: cpu')
  })

  test('one node: launch, exec, queue, logs, cancel, ssh through the API server', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'k1', '--infra', 'k8s/cpu', '--cpus', '1', '--memory', '2', '--', 'echo hello-from-pod $(hostname)'], { timeoutMs: 120_000 })
    expect(out(r)).toContain('⚙︎ Launching on Kubernetes (cpu).')
    expect(r.code).toBe(0)
    const [pod] = podsOf('cpu', 'k1')
    expect(pod!.metadata.name).toMatch(/^k1-[a-z0-9]+-head$/)
    expect(out(r)).toContain('hello-from-pod')
    expect(pod!.spec.containers[0].image).toBe('ubuntu:22.04')
    expect(pod!.spec.containers[0].resources.requests).toEqual({ cpu: '1', memory: '2Gi' })
    expect(pod!.metadata.labels).toMatchObject({ 'skypilot-display-name': 'k1', 'skypilot-node-rank': '0', 'ray-node-type': 'head' })
    expect((await h.sky(['status', 'k1'])).stdout).toMatch(/k1\s+Kubernetes \(cpu\)\s+1x\(cpus=1, mem=2\)\s+UP/)

    const e = await h.sky(['exec', 'k1', '--', 'echo exec-ok'], { timeoutMs: 60_000 })
    expect(e.code).toBe(0)
    expect(out(e)).toContain('exec-ok')
    const bg = await h.sky(['exec', 'k1', '-d', '--', 'echo started; sleep 600'], { timeoutMs: 60_000 })
    const id = /Job submitted, ID: (\d+)/.exec(out(bg))![1]!
    await waitFor(async () => (await h.sky(['queue', 'k1'])).stdout.match(new RegExp(`^\\s*${id}\\s.*RUNNING`, 'm')), 30_000, 200)
    expect((await h.sky(['logs', 'k1', id, '--no-follow'])).stdout).toContain('started')
    expect((await h.sky(['cancel', 'k1', id])).stdout).toContain(`Cancelled job: ${id}`)
    await waitFor(async () => (await h.sky(['queue', 'k1'])).stdout.match(new RegExp(`^\\s*${id}\\s.*CANCELLED`, 'm')), 30_000, 200)
    const logs = await h.sky(['logs', 'k1', '1'])
    expect(logs.stdout).toContain('hello-from-pod')

    // Real OpenSSH through `sky _ssh-proxy` and the API server into `sky _sshd` in the pod.
    const s = await ssh(['k1', 'echo via-ssh $HOSTNAME; exit 7'])
    expect(s.stdout).toContain(`via-ssh ${pod!.metadata.name}`)
    expect(s.code).toBe(7)
    const tty = await ssh(['-tt', 'k1', 'tty'])
    expect(tty.stdout).toMatch(/\/dev\/pts\/\d+/)
    const piped = await ssh(['k1', 'wc -c'], 'x'.repeat(100_000))
    expect(piped.stdout.trim()).toBe('100000')
    // The pod's host key was read at launch and is checked: another key is refused.
    const cfg = readFileSync(join(h.dir, 'generated', 'ssh', 'k1'), 'utf8')
    expect(cfg).toContain('StrictHostKeyChecking yes')
    const known = /UserKnownHostsFile (\S+)/.exec(cfg)![1]!
    const recorded = readFileSync(known, 'utf8')
    expect(recorded).toContain(`${pod!.metadata.name} ssh-ed25519 `)
    writeFileSync(known, `${pod!.metadata.name} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`)
    const spoofed = await ssh(['k1', 'echo should-not-run'])
    expect(spoofed.code).toBe(255)
    expect(spoofed.stdout).not.toContain('should-not-run')
    writeFileSync(known, recorded)
    // ssh -L: a port inside the pod, forwarded to this machine.
    const local = await freePort()
    const fwd = ssh(['-L', `${local}:127.0.0.1:8097`, 'k1', 'cd /tmp && (python3 -m http.server 8097 --bind 127.0.0.1 >/dev/null 2>&1 &) && sleep 8'])
    const page = await pageAt(`http://127.0.0.1:${local}/`, 8_000)
    expect(page).toContain('Directory listing')
    await fwd
  }, 180_000)

  test('sky stop is refused on Kubernetes with exit 2', async () => {
    const r = await h.sky(['stop', '-y', 'k1'])
    expect(r.code).toBe(2)
    expect(out(r)).toContain('runs on Kubernetes, where clusters cannot be stopped, only taken down')
    expect((await h.sky(['status', 'k1'])).stdout).toMatch(/k1\s.*UP/)
  })

  test('two nodes: ranks, pod IPs as SKYPILOT_NODE_IPS, ssh to the worker', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'k2', '--num-nodes', '2', '--infra', 'k8s/cpu', '--cpus', '1', '--', 'echo "rank=$SKYPILOT_NODE_RANK of=$SKYPILOT_NUM_NODES ips=$(echo $SKYPILOT_NODE_IPS)"'], { timeoutMs: 120_000 })
    expect(r.code).toBe(0)
    const pods = podsOf('cpu', 'k2')
    expect(pods.map((p) => p.metadata.labels!['skypilot-node-rank'])).toEqual(['0', '1'])
    const ips = pods.map((p) => p.status!.podIP).join(' ')
    expect(out(r)).toContain(`rank=0 of=2 ips=${ips}`)
    expect(out(r)).toContain(`rank=1 of=2 ips=${ips}`)
    expect((await ssh(['k2-worker1', 'echo $HOSTNAME'])).stdout.trim()).toBe(pods[1]!.metadata.name)
    const down = await h.sky(['down', '-y', 'k2'], { timeoutMs: 60_000 })
    expect(down.code).toBe(0)
    expect(podsOf('cpu', 'k2')).toEqual([])
  }, 180_000)

  test('GPUs: the context without that GPU is passed over; the pod asks for it and lands on the node with its label', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'g1', '--gpus', 'H100:2', '--infra', 'k8s', '--', 'echo gpus=$CUDA_VISIBLE_DEVICES'], { timeoutMs: 120_000 })
    expect(r.code).toBe(0)
    expect(out(r)).toMatch(/Kubernetes \(gpu-h100\)\s.*H100:2\s.*✔/)
    expect(out(r)).not.toContain('Kubernetes (gpu-l4)')
    expect(out(r)).toContain('gpus=0,1')
    const [pod] = podsOf('gpu-h100', 'g1')
    expect(pod!.spec.nodeName).toBe('h100-0')
    expect(pod!.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('2')
    expect(JSON.stringify(pod!.spec.affinity)).toContain('NVIDIA-H100-80GB-HBM3')
    const g = await h.sky(['gpus', 'list', '--infra', 'k8s/gpu-h100'])
    expect(g.stdout).toMatch(/h100-0\s+H100\s+6 of 8 free/)
  }, 180_000)

  test('the scheduler says Insufficient: that context fails at once and the next one is used', async () => {
    const r = await launchTask('f1', {
      resources: { infra: 'k8s', cpus: 1 },
      run: 'echo landed',
      // No autoscaler and a long timeout: only the scheduler's answer can make this quick.
      config: { kubernetes: { provision_timeout: 600, context_configs: { cpu: { pod_config: { spec: { containers: [{ resources: { requests: { 'example.com/widget': '1' }, limits: { 'example.com/widget': '1' } } }] } } } } } },
    })
    expect(out(r)).toMatch(/Kubernetes \(cpu\) failed \(capacity\): .*Insufficient example\.com\/widget/)
    expect(out(r)).toContain('⚙︎ Launching on Kubernetes (gpu-l4).')
    expect(r.code).toBe(0)
    expect(out(r)).toContain('landed')
    expect(podsOf('cpu', 'f1')).toEqual([])
  }, 180_000)

  test('a pod stuck Pending is a capacity error after provision_timeout, and the next context is used', async () => {
    const r = await launchTask('f2', {
      resources: { infra: 'k8s', cpus: 1 },
      run: 'echo landed-after-pending',
      config: { kubernetes: { context_configs: { cpu: { provision_timeout: 2, pod_config: { spec: { nodeSelector: { disktype: 'ssd' } } } } } } },
    })
    expect(out(r)).toMatch(/Kubernetes \(cpu\) failed \(capacity\): .*still unscheduled after kubernetes\.provision_timeout=2s/)
    expect(r.code).toBe(0)
    expect(out(r)).toContain('landed-after-pending')
    expect(podsOf('cpu', 'f2')).toEqual([])
    expect(podsOf('gpu-l4', 'f2')).toHaveLength(1)
  }, 180_000)

  test('ports as a Service: sky status --endpoints reaches the server in the pod; down removes the Service', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'web', '--infra', 'k8s/cpu', '--ports', '8080', '-d', '--', 'mkdir -p www && cd www && echo served-from-pod > index.html && exec python3 -m http.server 8080 --bind $POD_IP'], { timeoutMs: 120_000 })
    expect(r.code).toBe(0)
    expect(servicesOf('cpu', 'web').map((s) => s.spec.type)).toEqual(['LoadBalancer'])
    const eps = await h.sky(['status', '--endpoints', 'web'])
    const address = /^8080: (\S+)$/m.exec(eps.stdout)![1]!
    const lb = servicesOf('cpu', 'web')[0]!.status!.loadBalancer.ingress[0].ip
    expect(address).toBe(`${lb}:8080`)
    expect(await pageAt(`http://${address}/`)).toContain('served-from-pod')
    expect((await h.sky(['down', '-y', 'web'], { timeoutMs: 60_000 })).code).toBe(0)
    expect(servicesOf('cpu', 'web')).toEqual([])
    expect(podsOf('cpu', 'web')).toEqual([])
  }, 180_000)

  test('ports with kubernetes.ports: nodeport are reached on the node address at the node port', async () => {
    const r = await launchTask(
      'np',
      {
        resources: { infra: 'k8s/cpu', cpus: 0.5, ports: 8081 },
        run: 'mkdir -p www && cd www && echo via-nodeport > index.html && exec python3 -m http.server 8081 --bind $POD_IP',
        config: { kubernetes: { ports: 'nodeport' } },
      },
      ['-d'],
    )
    expect(r.code).toBe(0)
    const [svc] = servicesOf('cpu', 'np')
    expect(svc!.spec.type).toBe('NodePort')
    const [pod] = podsOf('cpu', 'np')
    const address = (await h.sky(['status', '--endpoint', '8081', 'np'])).stdout.trim()
    expect(address).toBe(`${pod!.status!.hostIP}:${svc!.spec.ports[0].nodePort}`)
    expect(await pageAt(`http://${address}/`)).toContain('via-nodeport')
    expect((await h.sky(['down', '-y', 'np'], { timeoutMs: 60_000 })).code).toBe(0)
    expect(servicesOf('cpu', 'np')).toEqual([])
  }, 180_000)

  test('autodown: the pods cannot delete themselves, so the API server takes the cluster down', async () => {
    const r = await h.sky(['launch', '-y', '-d', '-c', 'ad', '--infra', 'k8s/cpu', '--cpus', '0.5', '-i', '0', '--down', '--', 'echo short'], { timeoutMs: 120_000 })
    expect(r.code).toBe(0)
    expect(podsOf('cpu', 'ad')).toHaveLength(1)
    await waitFor(async () => !(await h.sky(['status', '--refresh'])).stdout.match(/^ad\s/m), 90_000, 1000)
    await waitFor(() => podsOf('cpu', 'ad').length === 0, 30_000)
  }, 150_000)

  test('a managed job on Kubernetes: its cluster is a pod, the job SUCCEEDS, the pod is deleted after', async () => {
    const r = await h.sky(['jobs', 'launch', '-n', 'kjob', '-y', '--async', '--infra', 'k8s/cpu', '--cpus', '0.5', '--', 'echo managed-in $(hostname)'], { timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    const id = launchedId(r.stdout)
    const jobPods = () => (k8s.context('cpu').cluster.store.list('pods') as unknown as Obj[]).filter((p) => p.metadata.labels?.['skypilot-display-name']?.startsWith('kjob-'))
    const j = await waitStatus(h, id, 'SUCCEEDED', 120_000)
    expect(j.cloud).toBe('kubernetes')
    expect((await jobLogs(h, id)).text).toMatch(/\) managed-in kjob-\S+-head\n/)
    // The job's cluster is taken down once it is done: no pod of it is left in the context.
    await waitFor(() => jobPods().length === 0, 60_000)
    await waitFor(async () => !(await h.sky(['status', '-u'])).stdout.includes('kjob-'), 30_000, 200)
  }, 200_000)

  test('pods deleted behind sky’s back: the cluster is gone after a refresh', async () => {
    const [pod] = podsOf('cpu', 'k1')
    const api = k8s.context('cpu')
    const tls = { ca: k8s.tls!.ca, cert: k8s.tls!.client.cert, key: k8s.tls!.client.key }
    const res = await fetch(`${api.url}/api/v1/namespaces/default/pods/${pod!.metadata.name}?gracePeriodSeconds=0`, { method: 'DELETE', tls } as RequestInit)
    expect(res.status).toBe(200)
    await waitFor(() => podsOf('cpu', 'k1').length === 0, 30_000)
    const st = await h.sky(['status', '--refresh'])
    expect(st.stdout).not.toMatch(/^k1\s/m)
  }, 60_000)
})

describe('kubernetes with a broken kubeconfig', () => {
  test('sky check says why; a launch fails with exit 3', async () => {
    const bad = await tempHome()
    try {
      const file = join(bad.dir, 'kubeconfig')
      writeFileSync(file, 'apiVersion: v1\nclusters: [\n')
      bad.env.KUBECONFIG = file
      const c = await bad.sky(['check', 'k8s'])
      expect(out(c)).toContain('Kubernetes: disabled')
      expect(out(c)).toContain(`${file}: not valid YAML`)
      const l = await bad.sky(['launch', '-y', '-c', 'x', '--infra', 'k8s', '--', 'echo never'])
      expect(l.code).toBe(3)
    } finally {
      await bad.cleanup()
    }
  }, 60_000)
})
