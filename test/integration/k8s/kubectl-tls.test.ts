// The TLS mode of the test Kubernetes API server with real kubectl: a CA made for the run,
// client-certificate and bearer-token authentication (REST and exec upgrades), and refusals —
// an unknown token, a client certificate from another CA, a kubeconfig with the wrong CA — plus
// several contexts in one kubeconfig, one server each.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../harness/k8s'
import { kubectl, kubectlBinaries } from '../../harness/k8s/kubectl'
import { kubeconfigYaml } from '../../harness/k8s/kubeconfig'

const found = kubectlBinaries().found
// The oldest and the newest build: SPDY exec and WebSocket exec.
const bins = [found[0], found.at(-1)].filter((b, i, all) => b && all.indexOf(b) === i) as typeof found

let k8s: KubeHarness
beforeAll(async () => {
  k8s = await startKubeApi({
    tls: true,
    contexts: [
      { name: 'east', nodes: nodeSpecs(2, { prefix: 'east' }) },
      { name: 'west', nodes: nodeSpecs(3, { prefix: 'west', gpus: 8, gpuType: 'A100-80GB' }) },
    ],
  })
})
afterAll(() => k8s?.stop())

for (const bin of bins) {
  describe(`kubectl ${bin.version} over TLS`, () => {
    for (const auth of ['cert', 'token'] as const) {
      test(`${auth} auth: get, run, exec`, async () => {
        const kc = kubectl(bin, k8s.kubeconfig({ auth, path: join(k8s.dir, `kc-${bin.version}-${auth}`) }))
        const nodes = await kc.run(['get', 'nodes', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name'])
        expect(nodes).toMatchObject({ code: 0, stdout: 'east-0\neast-1\n' })
        const name = `tls-${auth}-${bin.version.replace('.', '-')}`
        expect((await kc.run(['run', name, '--image=alpine', '--restart=Never', '--', 'sleep', '3600'])).code).toBe(0)
        expect((await kc.run(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=30s'])).code).toBe(0)
        const r = await kc.run(['exec', '-i', name, '--', 'sh', '-c', 'tr a-z A-Z; exit 9'], { stdin: 'secure\n' })
        expect(r).toMatchObject({ code: 9, stdout: 'SECURE\n' })
        expect((await kc.run(['delete', 'pod', name, '--grace-period=0', '--force'])).code).toBe(0)
        const users = new Set(k8s.context('east').requests.filter((q) => q.url.includes(name)).map((q) => q.user))
        expect([...users]).toEqual([auth === 'cert' ? 'cert:tester' : 'tester'])
      })
    }

    test('a token the server does not know: Unauthorized', async () => {
      const path = join(k8s.dir, `kc-${bin.version}-bad-token`)
      writeFileSync(path, kubeconfigYaml([{ name: 'east', server: k8s.context('east').url, ca: k8s.tls!.ca, auth: 'token', token: 'not-a-known-token' }]))
      const r = await kubectl(bin, path).run(['get', 'pods'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/Unauthorized|must be logged in/)
    })

    test('a client certificate from another CA: Unauthorized', async () => {
      const other = k8s.tls!.untrusted()
      const path = join(k8s.dir, `kc-${bin.version}-intruder`)
      writeFileSync(path, kubeconfigYaml([{ name: 'east', server: k8s.context('east').url, ca: k8s.tls!.ca, auth: 'cert', cert: other.client }]))
      const r = await kubectl(bin, path).run(['get', 'pods'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/Unauthorized|must be logged in/)
    })

    test('a kubeconfig with the wrong CA does not trust the server', async () => {
      const path = join(k8s.dir, `kc-${bin.version}-wrong-ca`)
      writeFileSync(path, kubeconfigYaml([{ name: 'east', server: k8s.context('east').url, ca: k8s.tls!.untrusted().ca, auth: 'cert', cert: k8s.tls!.client }]))
      const r = await kubectl(bin, path).run(['get', 'pods'])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('x509: certificate signed by unknown authority')
    })

    test('several contexts, one server each, chosen with --context', async () => {
      const kc = kubectl(bin, k8s.kubeconfig({ path: join(k8s.dir, `kc-${bin.version}-multi`) }))
      expect((await kc.run(['config', 'get-contexts', '-o', 'name'])).stdout).toBe('east\nwest\n')
      const west = await kc.run(['--context', 'west', 'get', 'nodes', '-L', 'cloud.google.com/gke-accelerator', '--no-headers'])
      expect(west.stdout.trim().split('\n').map((l) => l.split(/\s+/).at(-1))).toEqual(['nvidia-a100-80gb', 'nvidia-a100-80gb', 'nvidia-a100-80gb'])
      expect(k8s.context('east').url).not.toBe(k8s.context('west').url)
    })
  })
}
