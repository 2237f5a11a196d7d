// The Kubernetes provisioner's client and exec runner against the test API server over TLS:
// client certificates and bearer tokens with certificate-authority-data (what kind, minikube, EKS
// and GKE kubeconfigs carry), and each way a context can be unusable, as `sky check` words it;
// then commands, stdin, env, cwd, abort and timeout, and tar uploads over exec.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describeFailure, kube } from '../../../src/core/provision/kubernetes/api'
import { KubeExecRunner } from '../../../src/core/provision/kubernetes/exec-runner'
import { failureOf } from '../../../src/core/provision/errors'
import { freePort, waitFor } from '../../harness'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../harness/k8s'

let k8s: KubeHarness
let dir: string
const env = (path: string) => ({ HOME: dir, KUBECONFIG: path })

beforeAll(async () => {
  k8s = await startKubeApi({ tls: true, contexts: [{ name: 'tls', nodes: nodeSpecs(1) }] })
  dir = mkdtempSync(join(tmpdir(), 'sky-k8s-client-'))
}, 30_000)

afterAll(async () => {
  await k8s?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A kubeconfig like the harness's, edited by `edit`. */
function kubeconfigWith(name: string, auth: 'cert' | 'token' | 'none', edit: (doc: any) => void = () => {}): string {
  const doc = YAML.parse(readFileSync(k8s.kubeconfig({ auth, path: join(dir, `base-${name}`) }), 'utf8'))
  edit(doc)
  const path = join(dir, name)
  writeFileSync(path, YAML.stringify(doc))
  return path
}

describe('TLS and credentials', () => {
  for (const auth of ['cert', 'token'] as const) {
    test(`${auth}: certificate-authority-data verifies the server; the server sees the user`, async () => {
      const c = await kube('tls', env(kubeconfigWith(`ok-${auth}`, auth)))
      const nodes = await c.request<{ items: unknown[] }>('GET', '/api/v1/nodes')
      expect(nodes.items).toHaveLength(1)
      const last = k8s.context('tls').requests.filter((r) => r.url === '/api/v1/nodes').at(-1)!
      expect(last.user).toBe(auth === 'cert' ? 'cert:tester' : 'tester')
      // The typed client (CoreV1Api) goes the same way.
      expect((await c.core.listNode()).items).toHaveLength(1)
    })
  }

  test('each unusable context says why', async () => {
    const none = await kube('tls', env(kubeconfigWith('none', 'none'))).then((c) => c.request('GET', '/api/v1/nodes').catch((e) => describeFailure(e)))
    expect(none).toMatch(/^credentials refused \(401/)
    const other = k8s.tls!.untrusted().ca
    const untrusted = await kube('tls', env(kubeconfigWith('untrusted', 'cert', (d) => (d.clusters[0].cluster['certificate-authority-data'] = Buffer.from(other).toString('base64'))))).then((c) =>
      c.request('GET', '/api/v1/nodes').catch((e) => describeFailure(e)),
    )
    expect(untrusted).toMatch(/API server unreachable \(.*TLS/)
    const port = await freePort()
    const gone = await kube('tls', env(kubeconfigWith('gone', 'cert', (d) => (d.clusters[0].cluster.server = `https://127.0.0.1:${port}`)))).then((c) => c.request('GET', '/api/v1/nodes').catch((e) => describeFailure(e)))
    expect(gone).toMatch(/API server unreachable \(.*connection refused/)
    const missing = await kube('nope', env(kubeconfigWith('missing', 'cert'))).catch((e) => e)
    expect(failureOf(missing)).toMatchObject({ kind: 'config', scope: 'region', region: 'nope' })
    expect((missing as Error).message).toContain("context 'nope' is not in")
  })
})

describe('exec runner', () => {
  let run: KubeExecRunner
  beforeAll(async () => {
    const path = kubeconfigWith('runner', 'cert')
    process.env.KUBECONFIG = path
    const c = await kube('tls')
    await c.request('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'runner' }, spec: { containers: [{ name: 'sky', image: 'ubuntu:22.04', command: ['sleep', 'infinity'] }] } } })
    await waitFor(async () => (await c.request<{ status?: { phase?: string } }>('GET', '/api/v1/namespaces/default/pods/runner')).status?.phase === 'Running', 20_000)
    run = new KubeExecRunner({ context: 'tls', namespace: 'default', pod: 'runner', container: 'sky' }, 500)
  }, 30_000)
  afterAll(() => {
    delete process.env.KUBECONFIG
  })

  test('exit codes, stdout and stderr apart, stdin, env and cwd', async () => {
    const r = await run.run('read x; echo "got $x in $(pwd) $FOO"; echo oops >&2; exit 4', { stdin: 'line\n', env: { FOO: 'bar baz' }, cwd: '/tmp' })
    expect(r).toEqual({ code: 4, stdout: 'got line in /tmp bar baz\n', stderr: 'oops\n' })
    const chunks: string[] = []
    expect((await run.run('for i in 1 2 3; do echo $i; done', { onStdout: (s) => chunks.push(s) })).code).toBe(0)
    expect(chunks.join('')).toBe('1\n2\n3\n')
  })

  test('abort and timeout kill the whole process group', async () => {
    const ac = new AbortController()
    const marker = `sleep-${Date.now()}`
    const p = run.run(`bash -c 'exec -a ${marker} sleep 300' & sleep 300`, { signal: ac.signal })
    await waitFor(async () => (await run.run(`pgrep -f "^${marker}" >/dev/null && echo yes`)).stdout.includes('yes'), 10_000)
    ac.abort()
    expect((await p).code).toBeGreaterThan(128)
    await waitFor(async () => (await run.run(`pgrep -f "^${marker}" >/dev/null || echo gone`)).stdout.includes('gone'), 10_000)
    expect((await run.run('sleep 300', { timeoutMs: 300 })).code).toBe(124)
  })

  test('upload a directory (ignore files honoured) and a file, download it back', async () => {
    const src = mkdtempSync(join(tmpdir(), 'sky-k8s-up-'))
    try {
      mkdirSync(join(src, 'pkg', 'deep'), { recursive: true })
      writeFileSync(join(src, 'pkg', 'deep', 'a.txt'), 'deep-file')
      writeFileSync(join(src, 'big.bin'), Buffer.alloc(3 << 20, 7))
      writeFileSync(join(src, 'skip.log'), 'no')
      writeFileSync(join(src, '.skyignore'), '*.log\n')
      await run.upload(src, '~/wd')
      expect((await run.run('cat ~/wd/pkg/deep/a.txt; echo; wc -c < ~/wd/big.bin; ls ~/wd/skip.log 2>&1 | grep -c "No such"')).stdout).toBe('deep-file\n3145728\n1\n')
      writeFileSync(join(src, 'one.sh'), '#!/bin/sh\necho one\n', { mode: 0o755 })
      await run.upload(join(src, 'one.sh'), '~/bin/')
      expect((await run.run('~/bin/one.sh')).stdout).toBe('one\n')
      await run.download('~/wd/big.bin', join(src, 'back.bin'))
      expect(readFileSync(join(src, 'back.bin')).equals(Buffer.alloc(3 << 20, 7))).toBe(true)
      expect(existsSync(join(src, 'back.bin'))).toBe(true)
    } finally {
      rmSync(src, { recursive: true, force: true })
    }
  })
})
