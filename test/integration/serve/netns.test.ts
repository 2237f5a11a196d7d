// Replica network isolation for real: two servers on the same port, each in its own network
// namespace, both reachable (and through the load balancer); everything gone after destroy.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ResourcesUnavailableError } from '../../../src/core/errors'
import { LoadBalancer } from '../../../src/core/serve/lb/balancer'
import { createReplicaNetwork, destroyReplicaNetwork, detectIsolation, listRootNetworks, planReplicaNetwork, replicaUrl, wrapCommand, type IsolationMode, type ReplicaNetwork } from '../../../src/core/serve/netns'
import { pidAlive } from '../../../src/lib/proc'
import { until } from './replicas'

const ROOT = join(import.meta.dir, '../../..')
const FIXTURE = join(ROOT, 'test/fixtures/serve/replica.ts')
const PORT = 8080
const tag = Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, 'x').padEnd(6, 'x')
let dir: string
const nets: ReplicaNetwork[] = []
const procs: ReturnType<typeof Bun.spawn>[] = []
const isRoot = process.getuid?.() === 0

beforeAll(() => {
  // The rootless forwarders run this repository's entry point (src/lib/self-exec.ts).
  dir = mkdtempSync(join(tmpdir(), 'sky-netns-'))
})
afterAll(() => {
  for (const p of procs) p.kill('SIGKILL')
  for (const n of nets) destroyReplicaNetwork(n)
  rmSync(dir, { recursive: true, force: true })
})

async function replicaIn(net: ReplicaNetwork, id: string): Promise<string> {
  const p = Bun.spawn(wrapCommand(net, [process.execPath, FIXTURE, String(PORT), id, '0.0.0.0']), { stdout: 'ignore', stderr: 'inherit' })
  procs.push(p)
  const url = replicaUrl(net)
  await until(async () => (await fetch(`${url}/health`).then((r) => r.text()).catch(() => '')) === 'ok', `replica ${id} at ${url}`, 20_000)
  return url
}

async function twoOnOnePort(mode: IsolationMode) {
  const [n1, n2] = await Promise.all([1, 2].map((id) => createReplicaNetwork({ tag, replicaId: mode === 'netns' ? id : id + 10, port: PORT, dir, mode })))
  nets.push(n1!, n2!)
  const [u1, u2] = [await replicaIn(n1!, 'one'), await replicaIn(n2!, 'two')]
  expect(u1).not.toBe(u2)
  expect(await (await fetch(u1!)).text()).toBe('one')
  expect(await (await fetch(u2!)).text()).toBe('two')
  const lb = LoadBalancer.start({ port: 0, host: '127.0.0.1', policy: 'round_robin', replicas: [{ url: u1! }, { url: u2! }] })
  try {
    const got = new Set<string>()
    for (let i = 0; i < 4; i++) got.add(await (await fetch(`http://127.0.0.1:${lb.port}/`)).text())
    expect(got).toEqual(new Set(['one', 'two']))
  } finally {
    await lb.stop()
  }
  return [n1!, n2!] as const
}

describe('replica networks', () => {
  test('root: ip netns + veth, two replicas on one port, cleaned up', async () => {
    if (!isRoot) {
      expect(detectIsolation().mode).not.toBe('netns')
      return
    }
    expect(detectIsolation().mode).toBe('netns')
    const [n1, n2] = await twoOnOnePort('netns')
    expect(n1.address).toMatch(/^10\.247\.\d+\.\d+$/)
    expect(listRootNetworks(tag).sort()).toEqual([1, 2])
    const pid = procs.at(-1)!.pid
    destroyReplicaNetwork(n1)
    destroyReplicaNetwork(n2)
    expect(listRootNetworks(tag)).toEqual([])
    if (n1.mode === 'netns') expect(Bun.spawnSync(['ip', 'link', 'show', n1.hostIf]).exitCode).not.toBe(0)
    await until(() => !pidAlive(pid), 'the replica process to be killed')
  })

  test('rootless: user + network namespaces with a port forwarder, two replicas on one port', async () => {
    const [n1, n2] = await twoOnOnePort('userns')
    expect(n1.mode === 'userns' && n1.hostPort).toBeGreaterThan(0)
    const holder = n1.mode === 'userns' ? n1.holderPid : 0
    destroyReplicaNetwork(n1)
    destroyReplicaNetwork(n2)
    await until(() => !pidAlive(holder), 'the namespace holder to exit')
    expect(n1.mode === 'userns' && existsSync(n1.socketPath)).toBe(false)
    await expect(fetch(replicaUrl(n2), { signal: AbortSignal.timeout(2000) })).rejects.toBeDefined()
  })

  test('rootless for real: an unprivileged user gets two replicas on one port', async () => {
    if (!isRoot || !Bun.which('setpriv')) return // not root: the test above already ran rootless
    const home = mkdtempSync(join(tmpdir(), 'sky-netns-nobody-'))
    chownSync(home, 65534, 65534)
    const helper = Bun.spawn(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(ROOT, 'test/fixtures/serve/rootless-net.ts'), home, `${tag.slice(0, 5)}n`, String(PORT)], {
      env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: home, BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' },
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'inherit',
    })
    try {
      const reader = helper.stdout.getReader()
      let out = ''
      while (!out.includes('\n')) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`helper exited: ${out}`)
        out += new TextDecoder().decode(value)
      }
      const info = JSON.parse(out) as { uid: number; mode: string; urls: string[] }
      expect(info.uid).toBe(65534)
      expect(info.mode).toBe('userns')
      const bodies = await Promise.all(info.urls.map((u) => until(async () => fetch(u).then((r) => r.text()).catch(() => ''), `replica at ${u}`, 20_000)))
      expect(bodies).toEqual(['r1', 'r2'])
      helper.stdin.end()
      expect(await helper.exited).toBe(0)
      await expect(fetch(info.urls[0]!, { signal: AbortSignal.timeout(2000) })).rejects.toBeDefined()
    } finally {
      helper.kill('SIGKILL')
      rmSync(home, { recursive: true, force: true })
    }
  })

  test('without isolation a second replica on the port is refused with the fix', () => {
    const none = { mode: null, reason: 'not running as root (no ip netns); user namespaces are not allowed' }
    expect(planReplicaNetwork(none, 0, 8080, 'llm')).toEqual({ isolate: false })
    let err: unknown
    try {
      planReplicaNetwork(none, 1, 8080, 'llm')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ResourcesUnavailableError)
    expect((err as Error).message).toContain("Replica 2 of service 'llm' cannot run on this machine: every replica listens on port 8080")
    expect((err as ResourcesUnavailableError).hint).toContain('user namespaces')
    expect(planReplicaNetwork({ mode: 'userns' }, 3, 8080, 'llm')).toEqual({ isolate: 'userns' })
  })
})
