// Managed jobs on Kubernetes, end to end with the compiled binary against the test Kubernetes API
// server over TLS (test/harness/k8s; pods are local process groups, in their own network namespace
// as root): a job's pod deleted behind sky's back with real kubectl while the job runs is noticed,
// the job goes RECOVERING, is relaunched in a new pod and finishes with #RECOVERIES >= 1; a context
// whose scheduler answers Insufficient moves the job's cluster to the next context. Contexts:
// `first` and `second`, two 4-CPU nodes each, in that order in allowed_contexts. With infra `k8s`, a
// lost pod moves the job to the other context (EAGER_NEXT_REGION avoids where it was lost).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { tempHome, waitFor, type TempHome } from '../harness'
import { jobLogs, launchedId, TERMINAL, waitJob, waitStatus } from '../harness/jobs'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../harness/k8s'
import { DEBIAN_KUBECTL, kubectl, kubectlBinaries, type Kubectl } from '../harness/k8s/kubectl'

let k8s: KubeHarness
let h: TempHome
let kc: Kubectl
/** A host directory every pod sees (read-only, same path): the test opens a job's gate there. */
let gate: string

type Pod = { metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string }; status?: { phase?: string } }
/** Pods of a managed job's cluster (`<name>-<job id>`) in one context. */
const podsOf = (ctx: string, cluster: string): Pod[] => (k8s.context(ctx).cluster.store.list('pods') as unknown as Pod[]).filter((p) => p.metadata.labels?.['skypilot-display-name'] === cluster)

/** A run command whose first attempt waits at the gate `name` until the test opens it (after its pod is gone). */
const gated = (name: string) => `echo attempt on $(hostname); until [ -e ${gate}/${name} ]; do sleep 0.2; done; echo finished`

/** The job's controller log and its own log, for a failure's story. */
const story = async (id: number) => `${(await jobLogs(h, id, ['--controller'])).text}\n${(await jobLogs(h, id)).text}`

beforeAll(async () => {
  gate = mkdtempSync(join(tmpdir(), 'sky-jobs-k8s-gate-'))
  k8s = await startKubeApi({
    tls: true,
    contexts: [
      { name: 'first', nodes: nodeSpecs(2, { prefix: 'first', cpu: 4, memory: 16 }) },
      { name: 'second', nodes: nodeSpecs(2, { prefix: 'second', cpu: 4, memory: 16 }) },
    ],
    readOnlyPaths: [gate],
  })
  const kubeconfig = k8s.kubeconfig({ current: 'first' })
  const bin = kubectlBinaries().found.find((b) => b.path === DEBIAN_KUBECTL) ?? kubectlBinaries().found[0]
  if (!bin) throw new Error(`no kubectl: ${kubectlBinaries().missing.join('; ')}`)
  kc = kubectl(bin, kubeconfig)
  h = await tempHome()
  h.env.KUBECONFIG = kubeconfig
  // The controller checks its clusters every half second.
  h.config('kubernetes:\n  allowed_contexts: [first, second]\njobs:\n  controller:\n    status_check_seconds: 0.5\n')
}, 60_000)

afterAll(async () => {
  await h?.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 60_000 }).catch(() => {})
  await h?.sky(['down', '-a', '-y'], { timeoutMs: 60_000 }).catch(() => {})
  await h?.cleanup()
  await k8s?.stop()
  for (const d of [gate, kc?.cacheDir]) if (d) rmSync(d, { recursive: true, force: true })
}, 150_000)

describe('managed jobs on Kubernetes', () => {
  test('the pod deleted with kubectl while the job runs: RECOVERING, a new pod, SUCCEEDED with #RECOVERIES >= 1', async () => {
    const r = await h.sky(['jobs', 'launch', '-n', 'rec', '-y', '--async', '--infra', 'k8s/first', '--cpus', '0.5', '--', gated('rec')], { timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    const id = launchedId(r.stdout)
    const cluster = `rec-${id}`
    await waitStatus(h, id, 'RUNNING', 120_000)
    await waitFor(async () => (await jobLogs(h, id)).text.includes('attempt on'), { timeoutMs: 60_000, stepMs: 200, what: 'the first attempt to start' })
    const [first] = podsOf('first', cluster)
    expect(first?.status?.phase).toBe('Running')

    // Behind sky's back: real kubectl deletes the pod at once.
    const del = await kc.run(['--context', 'first', 'delete', 'pod', first!.metadata.name, '--grace-period=0', '--force'])
    expect({ code: del.code, stderr: del.stderr }).toMatchObject({ code: 0 })
    await waitFor(() => !podsOf('first', cluster).some((p) => p.metadata.uid === first!.metadata.uid), { timeoutMs: 30_000, what: 'the deleted pod to be gone' })

    // The controller notices (RECOVERING, or already relaunched and counted) and makes a new pod of the same cluster.
    const noticed = await waitJob(h, id, (j) => j.status === 'RECOVERING' || j.recovery_count >= 1, 120_000, `managed job ${id} to notice its pod is gone`)
    expect(['RECOVERING', 'STARTING', 'RUNNING']).toContain(noticed.status)
    const second = await waitFor(() => podsOf('first', cluster).find((p) => p.metadata.uid !== first!.metadata.uid && p.status?.phase === 'Running'), { timeoutMs: 120_000, stepMs: 100, what: 'a new pod of the job' })
    expect(second.metadata.name).toBe(first!.metadata.name)
    writeFileSync(join(gate, 'rec'), '')

    const done = await waitStatus(h, id, TERMINAL, 180_000)
    const tale = done.status === 'SUCCEEDED' ? '' : await story(id)
    expect({ status: done.status, reason: done.failure_reason, tale }).toEqual({ status: 'SUCCEEDED', reason: null, tale: '' })
    expect(done.recovery_count).toBeGreaterThanOrEqual(1)
    expect(done.cloud?.toLowerCase()).toBe('kubernetes')
    expect(done.region).toBe('first')
    const logs = (await jobLogs(h, id)).text
    expect(logs).toContain('finished')
    expect(logs.split('attempt on').length - 1).toBeGreaterThanOrEqual(2)
    expect((await jobLogs(h, id, ['--controller'])).text).toMatch(/recovering \(strategy EAGER_NEXT_REGION/)
    // The cluster is taken down once the job is done: no pod of it is left.
    await waitFor(() => podsOf('first', cluster).length === 0, { timeoutMs: 60_000, what: `no pod of ${cluster} left` })
    await waitFor(async () => !(await h.sky(['status', '-u'])).stdout.includes(cluster), 30_000, 200)
  }, 360_000)

  test('the first context answers Insufficient: the job lands on the second context and SUCCEEDS', async () => {
    const yaml = join(h.dir, 'failover.yaml')
    writeFileSync(
      yaml,
      YAML.stringify({
        name: 'fo',
        resources: { infra: 'k8s', cpus: 0.5 },
        run: 'echo landed on $(hostname)',
        // Pods in `first` ask for a resource no node there has: its scheduler answers Insufficient.
        config: { kubernetes: { provision_timeout: 600, context_configs: { first: { pod_config: { spec: { containers: [{ resources: { requests: { 'example.com/widget': '1' }, limits: { 'example.com/widget': '1' } } }] } } } } } },
      }),
    )
    const posts = () => k8s.context('first').requests.filter((q) => q.method === 'POST' && /\/pods$/.test(q.url.split('?')[0]!)).length
    const before = posts()
    const r = await h.sky(['jobs', 'launch', '-y', '--async', yaml], { timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    const id = launchedId(r.stdout)
    const cluster = `fo-${id}`
    const done = await waitStatus(h, id, TERMINAL, 180_000)
    const tale = done.status === 'SUCCEEDED' ? '' : await story(id)
    expect({ status: done.status, reason: done.failure_reason, tale }).toEqual({ status: 'SUCCEEDED', reason: null, tale: '' })
    expect(done.cloud?.toLowerCase()).toBe('kubernetes')
    expect(done.region).toBe('second')
    expect(done.recovery_count).toBe(0)
    // The first context was really tried: a pod was created there and refused by its scheduler.
    expect(posts()).toBeGreaterThan(before)
    expect((await jobLogs(h, id, ['--controller'])).text).toMatch(/Kubernetes \(first\) failed \(capacity\): .*Insufficient example\.com\/widget/)
    expect((await jobLogs(h, id)).text).toMatch(new RegExp(`landed on ${cluster}-\\S+-head`))
    await waitFor(() => podsOf('first', cluster).length + podsOf('second', cluster).length === 0, { timeoutMs: 60_000, what: `no pod of ${cluster} left` })
  }, 240_000)

  test('EAGER_NEXT_REGION: the pod lost in one context, the job is relaunched in the other and SUCCEEDS', async () => {
    const r = await h.sky(['jobs', 'launch', '-n', 'move', '-y', '--async', '--infra', 'k8s', '--cpus', '0.5', '--', gated('move')], { timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    const id = launchedId(r.stdout)
    const cluster = `move-${id}`
    const running = await waitStatus(h, id, 'RUNNING', 120_000)
    const from = running.region!
    expect(['first', 'second']).toContain(from)
    const to = from === 'first' ? 'second' : 'first'
    const [lost] = podsOf(from, cluster)
    expect(lost).toBeDefined()
    const del = await kc.run(['--context', from, 'delete', 'pod', lost!.metadata.name, '--grace-period=0', '--force'])
    expect({ code: del.code, stderr: del.stderr }).toMatchObject({ code: 0 })
    await waitFor(() => podsOf(to, cluster).find((p) => p.status?.phase === 'Running'), { timeoutMs: 120_000, stepMs: 100, what: `a pod of ${cluster} in context ${to}` })
    expect(podsOf(from, cluster)).toEqual([])
    writeFileSync(join(gate, 'move'), '')
    const done = await waitStatus(h, id, TERMINAL, 180_000)
    const tale = done.status === 'SUCCEEDED' ? '' : await story(id)
    expect({ status: done.status, reason: done.failure_reason, tale }).toEqual({ status: 'SUCCEEDED', reason: null, tale: '' })
    expect(done.recovery_count).toBeGreaterThanOrEqual(1)
    expect(done.region).toBe(to)
    expect((await jobLogs(h, id, ['--controller'])).text).toContain(`recovering (strategy EAGER_NEXT_REGION, avoiding kubernetes/${from})`)
    await waitFor(() => podsOf('first', cluster).length + podsOf('second', cluster).length === 0, { timeoutMs: 60_000, what: `no pod of ${cluster} left` })
  }, 360_000)
})
