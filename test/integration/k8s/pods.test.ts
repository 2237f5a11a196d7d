// Pods as local processes, in both sandbox modes: the container's command and environment,
// restart policies and back-off, logs (follow, previous), graceful deletion, pod IPs that answer,
// and (netns mode) each pod's own network, hostname and filesystem.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { waitFor } from '../../harness'
import { startKubeApi, type KubeHarness } from '../../harness/k8s'
import { startExec } from '../../harness/k8s/exec'
import { call, createPod, getPod, waitPod } from './http'

const isRoot = process.getuid?.() === 0
const gone = async (base: string, name: string) => (await call(base, 'GET', `/api/v1/namespaces/default/pods/${name}`)).status === 404
const term = (p: any) => p?.status?.containerStatuses?.[0]?.state?.terminated

/** Processes (pid → tag) carrying a harness run's tag. */
function tagged(id: string): number[] {
  const out: number[] = []
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`SKY_K8S_TEST_RUN=${id}:`)) out.push(Number(pid))
    } catch {}
  }
  return out
}

/** A tiny HTTP server in perl (perl-base is on every Debian). */
const httpServer = (port: number) => ['perl', '-MIO::Socket::INET', '-e', `$s=IO::Socket::INET->new(LocalPort=>${port},Listen=>9,ReuseAddr=>1) or die "listen: $!"; while($c=$s->accept){<$c>; print $c "HTTP/1.0 200 OK\\r\\n\\r\\nhello from $ENV{HOSTNAME}\\n"; close $c}`]

// netns mode needs root; where the tests do not run as root only loopback mode is registered.
for (const mode of isRoot ? (['netns', 'loopback'] as const) : (['loopback'] as const)) {
  describe(`pods (${mode})`, () => {
    let k8s: KubeHarness
    let base: string
    beforeAll(async () => {
      k8s = await startKubeApi({ network: mode, restartBackoffMs: 50, images: { 'web:1': { cmd: httpServer(mode === 'netns' ? 8080 : 18080) } } })
      base = k8s.contexts[0]!.url
    })
    afterAll(() => k8s?.stop())

    test('runs the command with the spec env, downward API and a home in the pod', async () => {
      await createPod(base, 'envy', {
        restartPolicy: 'Never',
        command: ['sh', '-c', 'echo "$A|$B|$MY_NAME|$MY_NODE|$MY_IP|$HOSTNAME"; echo "home=$HOME pwd=$(pwd)"'],
        env: [{ name: 'A', value: 'one' }, { name: 'B', value: '$(A)-two' }, { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      })
      const p = await waitPod(base, 'envy', (x) => x?.status?.phase === 'Succeeded')
      const log = (await call(base, 'GET', '/api/v1/namespaces/default/pods/envy/log')).text
      expect(log.split('\n')[0]).toBe(`one|one-two|envy|${p.spec.nodeName}|${p.status.podIP}|envy`)
      if (mode === 'netns') expect(log.split('\n')[1]).toBe('home=/root pwd=/')
      else expect(log.split('\n')[1]).toMatch(new RegExp(`^home=${k8s.dir}/.*/root/root pwd=${k8s.dir}/.*/root$`))
      expect(term(p)).toMatchObject({ exitCode: 0, reason: 'Completed' })
    })

    test('restartPolicy Never: Failed with the exit code; OnFailure: restarts with back-off and keeps the previous log', async () => {
      await createPod(base, 'fails', { restartPolicy: 'Never', command: ['sh', '-c', 'exit 3'] })
      const f = await waitPod(base, 'fails', (x) => x?.status?.phase === 'Failed')
      expect(term(f)).toMatchObject({ exitCode: 3, reason: 'Error' })
      await createPod(base, 'flaky', { restartPolicy: 'OnFailure', command: ['sh', '-c', 'echo attempt; exit 1'] })
      const r = await waitPod(base, 'flaky', (x) => x?.status?.containerStatuses?.[0]?.restartCount >= 2)
      expect(r.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1 })
      expect((await call(base, 'GET', '/api/v1/namespaces/default/pods/flaky/log?previous=true')).text).toBe('attempt\n')
      const events = (await call(base, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dflaky,reason%3DBackOff')).body.items
      expect(events[0].message).toStartWith('Back-off restarting failed container main in pod flaky_default')
      await call(base, 'DELETE', '/api/v1/namespaces/default/pods/flaky?gracePeriodSeconds=0')
    })

    test('logs follow streams until the container exits; timestamps and tailLines', async () => {
      await createPod(base, 'talker', { restartPolicy: 'Never', command: ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.1; done'] })
      await waitPod(base, 'talker', (x) => x?.status?.containerStatuses?.[0]?.state?.running || term(x))
      const followed = await fetch(`${base}/api/v1/namespaces/default/pods/talker/log?follow=true`)
      expect(await followed.text()).toBe('line 1\nline 2\nline 3\n')
      const ts = (await call(base, 'GET', '/api/v1/namespaces/default/pods/talker/log?timestamps=true&tailLines=1')).text
      expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 3\n$/)
      const pending = await call(base, 'GET', '/api/v1/namespaces/default/pods/nope/log')
      expect(pending.status).toBe(404)
    })

    test('graceful delete: Terminating until the process exits on SIGTERM; grace 0 is immediate', async () => {
      await createPod(base, 'polite', { command: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; while :; do sleep 0.05; done'] })
      await waitPod(base, 'polite')
      const del = await call(base, 'DELETE', '/api/v1/namespaces/default/pods/polite')
      expect(del.status).toBe(200)
      expect(del.body.metadata.deletionTimestamp).toBeTruthy()
      expect(del.body.metadata.deletionGracePeriodSeconds).toBe(30)
      await waitPod(base, 'polite', () => true)
      await waitFor(() => gone(base, 'polite'), 10_000)
      const ignoresTerm = ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done']
      const ready = (name: string) => waitFor(async () => (await call(base, 'GET', `/api/v1/namespaces/default/pods/${name}/log`)).text === 'ready\n', 10_000)
      await createPod(base, 'stubborn', { grace: 1, command: ignoresTerm })
      await ready('stubborn')
      await call(base, 'DELETE', '/api/v1/namespaces/default/pods/stubborn')
      await waitFor(() => gone(base, 'stubborn'), 10_000) // SIGKILL once the second of grace is over
      await createPod(base, 'patient', { command: ignoresTerm })
      await ready('patient')
      await call(base, 'DELETE', '/api/v1/namespaces/default/pods/patient')
      await waitFor(async () => (await call(base, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dpatient,reason%3DKilling')).body.items.length, 10_000)
      const terminating = await getPod(base, 'patient') // SIGTERM sent and ignored: 30 s of grace left
      expect(terminating.metadata.deletionTimestamp).toBeTruthy()
      expect(terminating.status.phase).toBe('Running')
      expect((await call(base, 'DELETE', '/api/v1/namespaces/default/pods/patient?gracePeriodSeconds=0')).status).toBe(200)
      expect(await gone(base, 'patient')).toBe(true)
      await createPod(base, 'now', {})
      await waitPod(base, 'now')
      expect((await call(base, 'DELETE', '/api/v1/namespaces/default/pods/now?gracePeriodSeconds=0')).status).toBe(200)
      expect(await gone(base, 'now')).toBe(true)
    })

    test('a pod IP answers on the port the pod listens on', async () => {
      await call(base, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'web:1' }] } })
      const p = await waitPod(base, 'web')
      const port = mode === 'netns' ? 8080 : 18080
      const body = await waitFor(() => fetch(`http://${p.status.podIP}:${port}/`).then((r) => r.text(), () => undefined), 10_000)
      expect(body).toBe('hello from web\n')
    })

    if (mode === 'netns') test('netns pods: own IP, hostname, /tmp and reachability from another pod', async () => {
      await createPod(base, 'peer', {})
      const peer = await waitPod(base, 'peer')
      const web = await getPod(base, 'web')
      expect(peer.status.podIP).toMatch(/^10\.214\.\d+\.\d+$/)
      expect(peer.status.podIP).not.toBe(web.status.podIP)
      const ex = async (name: string, script: string) => {
        const out: Buffer[] = []
        const pod = await getPod(base, name)
        const h = startExec(k8s.contexts[0]!.cluster, pod, { command: ['sh', '-c', script], container: 'main', stdin: false, stdout: true, stderr: true, tty: false }, { stdout: (d) => void out.push(Buffer.from(d)), stderr: (d) => void out.push(Buffer.from(d)) })
        await h.done
        return Buffer.concat(out).toString()
      }
      expect(await ex('peer', 'hostname; echo secret > /tmp/mine; cat /tmp/mine')).toBe('peer\nsecret\n')
      expect(await ex('web', 'cat /tmp/mine 2>/dev/null || echo none')).toBe('none\n')
      expect(existsSync('/tmp/mine')).toBe(false)
      const script = `perl -MIO::Socket::INET -e '$c=IO::Socket::INET->new("${web.status.podIP}:8080") or die; print $c "GET / HTTP/1.0\\r\\n\\r\\n"; print while <$c>' | tail -1`
      expect(await ex('peer', script)).toBe('hello from web\n')
    })

    test('stop() leaves no process, namespace or directory behind', async () => {
      const other = await startKubeApi({ network: mode })
      const b = other.contexts[0]!.url
      await createPod(b, 'leftover', { command: ['sh', '-c', 'sleep 300 & sleep 300'] })
      await waitPod(b, 'leftover')
      await waitFor(() => tagged(other.id).length >= 2, 10_000) // sh and both sleeps
      await other.stop()
      expect(tagged(other.id)).toEqual([])
      expect(existsSync(other.dir)).toBe(false)
      if (mode === 'netns') {
        const ns = Bun.spawnSync(['ip', 'netns', 'list']).stdout.toString()
        expect(ns).not.toContain(`skk${other.id}`)
        expect(Bun.spawnSync(['ip', '-o', 'link', 'show']).stdout.toString()).not.toContain(`skk${other.id}`)
      }
    })
  })
}
