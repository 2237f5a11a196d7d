// The test Kubernetes API server held to real kubectl builds (Debian's 1.20.2 and Google Cloud
// SDK's 1.27 … 1.33): tables, apply/create, wait (watch), logs, exec with stdin and exit codes over
// SPDY and WebSocket, cp both ways, delete, and the apiserver's errors.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../harness/k8s'
import { kubectl, kubectlBinaries, type Kubectl } from '../../harness/k8s/kubectl'

const inventory = kubectlBinaries()

test('every kubectl build the suite proves against is present (required on CI)', () => {
  if (inventory.missing.length && process.env.CI !== 'true') {
    console.warn(`k8s tests: running without these kubectl builds:\n  ${inventory.missing.join('\n  ')}`)
    return
  }
  expect(inventory.missing).toEqual([])
  expect(inventory.found.some((b) => b.exec === 'websocket')).toBe(true)
  expect(inventory.found.some((b) => b.exec === 'spdy')).toBe(true)
})

let k8s: KubeHarness
let kubeconfig: string
let work: string

beforeAll(async () => {
  k8s = await startKubeApi({
    contexts: [{ name: 'kubectl-test', nodes: [...nodeSpecs(2, { prefix: 'cpu', cpu: 4, memory: 16 }), ...nodeSpecs(1, { prefix: 'gpu', gpus: 8, gpuType: 'H100' })] }],
  })
  kubeconfig = k8s.kubeconfig()
  work = mkdtempSync(join(tmpdir(), 'sky-kubectl-work-'))
})

afterAll(async () => {
  await k8s?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

const podYaml = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}, suite: kubectl}
spec:
  containers:
  - name: main
    image: ubuntu:22.04
    env: [{name: GREETING, value: hello-from-${name}}, {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    command: [sh, -c, 'echo "$GREETING"; echo "pod=$MY_POD"; exec sleep 3600']
    resources: {requests: {cpu: 250m, memory: 256Mi}}
`

/** The exec requests this context received since `from`, as "upgrade protocol". */
const execRequests = (from: number) =>
  k8s.contexts[0]!.requests
    .slice(from)
    .filter((r) => r.url.includes('/exec'))
    .map((r) => `${r.upgrade.toLowerCase()} ${r.protocols}`)

for (const bin of inventory.found) {
  describe(`kubectl ${bin.version}`, () => {
    const name = `kc-${bin.version.replace('.', '-')}`
    let kc: Kubectl
    beforeAll(() => {
      kc = kubectl(bin, kubeconfig)
    })

    test('get nodes and pods print the server-side tables', async () => {
      const nodes = await kc.run(['get', 'nodes', '-L', 'nvidia.com/gpu.product'])
      expect(nodes.stderr).toBe('')
      const lines = nodes.stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+GPU\.PRODUCT$/)
      expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['cpu-0', 'cpu-1', 'gpu-0'])
      expect(lines[3]).toMatch(/^gpu-0\s+Ready\s+<none>\s+\S+\s+v1\.29\.0\s+NVIDIA-H100-80GB-HBM3$/)
      const wide = await kc.run(['get', 'nodes', '-o', 'wide', '--no-headers'])
      expect(wide.stdout).toMatch(/cpu-0\s+Ready\s+<none>\s+\S+\s+v1\.29\.0\s+127\.\d+\.\d+\.\d+\s+<none>/)
      const json = JSON.parse((await kc.run(['get', 'node', 'gpu-0', '-o', 'json'])).stdout)
      expect(json.status.allocatable['nvidia.com/gpu']).toBe('8')
      expect(json.metadata.labels['cloud.google.com/gke-accelerator']).toBe('nvidia-h100-80gb')
    })

    test('apply a pod, wait for Ready, list it by label, read its logs', async () => {
      const applied = await kc.run(['apply', '-f', '-'], { stdin: podYaml(name) })
      expect(applied).toMatchObject({ code: 0, stdout: `pod/${name} created\n` })
      const again = await kc.run(['apply', '-f', '-'], { stdin: podYaml(name) })
      expect(again.stdout).toBe(`pod/${name} unchanged\n`)
      const wait = await kc.run(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=30s'])
      expect(wait).toMatchObject({ code: 0, stdout: `pod/${name} condition met\n` })
      const pods = await kc.run(['get', 'pods', '-l', `app=${name}`, '-o', 'wide'])
      expect(pods.stdout).toMatch(new RegExp(`^NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\s+IP\\s+NODE`))
      expect(pods.stdout).toMatch(new RegExp(`\\n${name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+\\d+\\.\\d+\\.\\d+\\.\\d+\\s+(cpu-[01]|gpu-0)`))
      const logs = await kc.run(['logs', name])
      expect(logs.stdout).toBe(`hello-from-${name}\npod=${name}\n`)
      expect((await kc.run(['logs', name, '--tail=1'])).stdout).toBe(`pod=${name}\n`)
    })

    test(`exec carries stdin, stdout, stderr and the exit code (${bin.exec})`, async () => {
      const from = k8s.contexts[0]!.requests.length
      const r = await kc.run(['exec', '-i', name, '--', 'sh', '-c', 'cat; echo to-stderr >&2; exit 3'], { stdin: 'line one\nline two\n' })
      expect(r.code).toBe(3)
      expect(r.stdout).toBe('line one\nline two\n')
      expect(r.stderr).toContain('to-stderr')
      expect(r.stderr).toContain('command terminated with exit code 3')
      const ok = await kc.run(['exec', name, '--', 'sh', '-c', 'echo "$GREETING in $PWD"'])
      expect(ok).toMatchObject({ code: 0, stdout: `hello-from-${name} in /\n` })
      expect((await kc.run(['exec', name, '--', 'sh', '-c', 'kill -9 $$'])).code).toBe(137)
      const protos = execRequests(from)
      expect(protos.length).toBeGreaterThanOrEqual(3)
      for (const p of protos) expect(p).toMatch(bin.exec === 'websocket' ? /^websocket v5\.channel\.k8s\.io$/ : /^spdy\/3\.1 (v5\.channel\.k8s\.io, )?v4\.channel\.k8s\.io, /)
    })

    test('exec -it gets a terminal of the client terminal size (kubectl run under script(1))', async () => {
      const cmd = `stty cols 100 rows 30; ${bin.path} --kubeconfig ${kubeconfig} --cache-dir ${work}/tty-${bin.version} exec -it ${name} -- sh -c 'tty; stty size; exit 4'`
      // script's input stays open (and empty) until the end: at end of input script types the
      // terminal's EOF character, which a kubectl already in raw mode would send into the pod.
      const p = Bun.spawn(['script', '-qec', cmd, '/dev/null'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited])
      void p.stdin.end()
      expect(out).toMatch(/\/dev\/pts\/\d+\r\n30 100\r\n/)
      expect(code).toBe(4)
    })

    test('cp copies a file into the pod and back unchanged', async () => {
      const src = join(work, `${name}.bin`)
      const data = Buffer.alloc(3 * 1024 * 1024)
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff
      writeFileSync(src, data)
      const up = await kc.run(['cp', src, `${name}:tmp/upload.bin`], { cwd: work })
      expect(up.stderr).not.toContain('error')
      expect(up.code).toBe(0)
      const size = await kc.run(['exec', name, '--', 'wc', '-c', 'tmp/upload.bin'])
      expect(size.stdout.trim()).toBe(`${data.length} tmp/upload.bin`)
      const back = join(work, `${name}.back`)
      const down = await kc.run(['cp', `${name}:tmp/upload.bin`, back], { cwd: work })
      expect(down.code).toBe(0)
      expect(Buffer.compare(readFileSync(back), data)).toBe(0)
    })

    test('errors come back as Status objects kubectl prints', async () => {
      const missing = await kc.run(['get', 'pod', 'no-such-pod'])
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain('Error from server (NotFound): pods "no-such-pod" not found')
      const dup = await kc.run(['create', '-f', '-'], { stdin: podYaml(name) })
      expect(dup.stderr).toContain(`Error from server (AlreadyExists): error when creating "STDIN": pods "${name}" already exists`)
      const bad = await kc.run(['create', '-f', '-'], { stdin: podYaml(`${name}-bad`).replace('image: ubuntu:22.04', 'image: ""') })
      expect(bad.stderr).toContain(`The Pod "${name}-bad" is invalid: spec.containers[0].image: Required value`)
    })

    test('delete waits until the pod is gone', async () => {
      const del = await kc.run(['delete', 'pod', name])
      expect(del).toMatchObject({ code: 0, stdout: `pod "${name}" deleted\n` })
      expect((await kc.run(['get', 'pod', name])).code).toBe(1)
    })
  })
}

describe('exec protocol switch', () => {
  const switchable = inventory.found.filter((b) => Number(b.version.split('.')[1]) >= 29)
  for (const bin of switchable) {
    const use = bin.exec === 'websocket' ? 'false' : 'true'
    test(`kubectl ${bin.version} with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=${use}`, async () => {
      const kc = kubectl(bin, kubeconfig)
      const name = `sw-${bin.version.replace('.', '-')}`
      expect((await kc.run(['run', name, '--image=busybox', '--restart=Never', '--', 'sleep', '3600'])).code).toBe(0)
      expect((await kc.run(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=30s'])).code).toBe(0)
      const from = k8s.contexts[0]!.requests.length
      const r = await kc.run(['exec', '-i', name, '--', 'sh', '-c', 'cat; exit 5'], { stdin: 'x', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: use } })
      expect(r).toMatchObject({ code: 5, stdout: 'x' })
      expect(execRequests(from)[0]).toStartWith(use === 'true' ? 'websocket v5.channel.k8s.io' : 'spdy/3.1 ')
      expect((await kc.run(['delete', 'pod', name, '--grace-period=0', '--force'])).code).toBe(0)
    })
  }
})
