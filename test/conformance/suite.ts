// The provisioner conformance suite: one set of cases every infra's provisioner must pass against
// its test peer (local: this machine; ssh: real sshd hosts; Kubernetes, AWS and GCP add theirs).
// A peer file calls `conformance(peer)` inside its own test file; nothing here knows an infra.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { failureOf } from '../../src/core/provision/errors'
import { bareResources } from '../../src/core/provision/handle'
import { clusterTags, nameOnCloud } from '../../src/core/provision/naming'
import { descriptor, provisionerFor } from '../../src/core/provision/registry'
import type { ClusterHandle, ClusterRef, LaunchedResources, Provisioner } from '../../src/core/provision/types'
import type { JobInfo } from '../../src/core/agent/types'

export interface ConformancePeer {
  infra: string
  /** Launched resources for a cluster of `numNodes` nodes this peer can hold. */
  resources(numNodes: number): LaunchedResources
  /** A request the peer can never hold: provision must fail with a typed capacity or quota error. */
  tooBig(): LaunchedResources
  /** Anything of the cluster still at the provider (processes, instances, claims); [] when clean. */
  leftovers(nameOnCloud: string): Promise<string[]>
  /** Environment for a child process that provisions against this peer (crash test). */
  childEnv(): Record<string, string>
  cleanup(): Promise<void>
  /**
   * Ports published somewhere other than the head's own address (Kubernetes Services): check that
   * `address` reaches port `port` of the head. Default: the address is `<head ip>:<port>`.
   */
  checkEndpoint?(p: Provisioner, h: ClusterHandle, port: number, address: string): Promise<void>
}

/** Launched resources with nothing asked for but `numNodes` nodes in `region` of `infra`. */
export const baseResources = (infra: string, region: string, numNodes: number): LaunchedResources => bareResources(infra, region, numNodes)

const USER = 'c0ffee42'
const noop = () => {}

function ref(name: string, resources: LaunchedResources, handle: ClusterHandle | null = null): ClusterRef {
  return { name, nameOnCloud: nameOnCloud(name, USER), resources, handle }
}

async function provision(p: Provisioner, r: ClusterRef, resume: ClusterHandle | null = null): Promise<ClusterHandle> {
  const signal = new AbortController().signal
  await p.provision({ cluster: { name: r.name, nameOnCloud: r.nameOnCloud, userHash: USER }, resources: r.resources, tags: clusterTags(r.name, r.nameOnCloud, USER), resume, signal, log: noop })
  await p.wait(r, { signal })
  const h = await p.clusterInfo(r, { signal })
  return p.setupRuntime(h, { signal, log: noop })
}

async function waitJob(p: Provisioner, h: ClusterHandle, id: number, deadlineMs = 30_000): Promise<JobInfo> {
  const a = p.agent(h)
  try {
    const until = Date.now() + deadlineMs
    for (;;) {
      const j = (await a.call<JobInfo[]>('queue', ['--all-users'])).find((x) => x.id === id)!
      if (['SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'FAILED_DRIVER', 'CANCELLED'].includes(j.status)) return j
      if (Date.now() > until) throw new Error(`job ${id} still ${j.status}`)
      await Bun.sleep(100)
    }
  } finally {
    await a.close()
  }
}

export function conformance(makePeer: () => Promise<ConformancePeer>): void {
  let peer: ConformancePeer
  let p: Provisioner
  const made: ClusterRef[] = []
  const track = (r: ClusterRef) => (made.push(r), r)

  describe('provisioner conformance', () => {
    beforeAll(async () => {
      peer = await makePeer()
      p = await provisionerFor(peer.infra)
    }, 60_000)

    // Each case leaves the peer empty (SSH hosts are whole hosts: one cluster at a time).
    afterEach(async () => {
      for (const r of made.splice(0)) await p?.terminate(r, {}).catch(() => {})
    }, 60_000)

    afterAll(async () => {
      await peer?.cleanup()
    }, 60_000)

    test('declares its capabilities, the same as its descriptor', () => {
      expect(p.infra).toBe(peer.infra)
      expect(p.capabilities).toEqual(descriptor(peer.infra)!.capabilities)
    })

    test('provision N nodes; query; a command and an upload on each node; the agent runs a 2-node job', async () => {
      const r = track(ref('conf-two', peer.resources(2)))
      const h = await provision(p, r)
      expect(h.nodes).toHaveLength(2)
      expect(h.nameOnCloud).toBe(r.nameOnCloud)
      const full = { ...r, handle: h }
      expect((await p.query(full)).map((n) => n.state)).toEqual(['running', 'running'])
      // Idempotent: the same provision again changes nothing.
      await p.provision({ cluster: { name: r.name, nameOnCloud: r.nameOnCloud, userHash: USER }, resources: r.resources, tags: {}, resume: null, signal: new AbortController().signal, log: noop })
      expect(await p.query(full)).toHaveLength(2)

      const dir = mkdtempSync(join(tmpdir(), 'sky-conf-'))
      try {
        writeFileSync(join(dir, 'payload.txt'), 'conformance-payload')
        for (const rank of [0, 1]) {
          const run = p.runner(h, rank)
          try {
            const echo = await run.run(`echo node-$((${rank} + 1)) home=$HOME`)
            expect(echo.code).toBe(0)
            expect(echo.stdout).toContain(`node-${rank + 1} home=${h.nodes[rank]!.home}`)
            await run.upload(join(dir, 'payload.txt'), '~/conf/payload.txt')
            expect((await run.run('cat ~/conf/payload.txt')).stdout).toBe('conformance-payload')
          } finally {
            await run.close()
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }

      const a = p.agent(h)
      try {
        await a.call('init', [], p.clusterSpec(full))
        const job = { name: 'conf', user: 'conf', userHash: USER, numNodes: 2, demand: { cpus: 0.05 }, run: 'echo rank=$SKYPILOT_NODE_RANK of=$SKYPILOT_NUM_NODES', envs: {}, secrets: {} }
        const { jobId } = await a.call<{ jobId: number }>('submit', [], { ...job, idempotencyKey: 'conf-key' })
        // The same key again: the same job, not a second one.
        expect((await a.call<{ jobId: number; existing: boolean }>('submit', [], { ...job, idempotencyKey: 'conf-key' })).jobId).toBe(jobId)
        const j = await waitJob(p, h, jobId)
        expect(j.status).toBe('SUCCEEDED')
        let log = ''
        await a.logs({ job: jobId, follow: false, onChunk: (s) => (log += s) })
        expect(log).toContain('rank=0 of=2')
        expect(log).toContain('rank=1 of=2')
      } finally {
        await a.close()
      }
    }, 90_000)

    test('stop and start where supported (disks kept); otherwise stop is refused with a typed error', async () => {
      const r = track(ref('conf-stop', peer.resources(1)))
      const h = await provision(p, r)
      const full = { ...r, handle: h }
      if (!p.capabilities.stop) {
        const e = await p.stop(full, {}).then(() => null, (x) => x)
        expect(failureOf(e)).toMatchObject({ kind: 'unsupported', scope: 'infra' })
        return
      }
      const run = p.runner(h, 0)
      await run.run('echo kept > ~/disk.txt')
      await run.close()
      await p.stop(full, {})
      expect((await p.query(full)).every((n) => n.state === 'stopped')).toBe(true)
      expect(await p.query(full)).toHaveLength(1)
      const again = await provision(p, full, h)
      const back = { ...r, handle: again }
      expect((await p.query(back)).every((n) => n.state === 'running')).toBe(true)
      const run2 = p.runner(again, 0)
      expect((await run2.run('cat ~/disk.txt')).stdout.trim()).toBe('kept')
      await run2.close()
    }, 60_000)

    test('terminate kills every process (even one that ignores SIGTERM), twice is fine, query says terminated', async () => {
      const r = track(ref('conf-term', peer.resources(1)))
      const h = await provision(p, r)
      const full = { ...r, handle: h }
      const a = p.agent(h)
      await a.call('init', [], p.clusterSpec(full))
      const { jobId } = await a.call<{ jobId: number }>('submit', [], {
        name: 'stubborn', user: 'conf', userHash: USER, numNodes: 1, demand: { cpus: 0.05 }, run: "trap '' TERM; sleep 1000.25", envs: {}, secrets: {},
      })
      for (let i = 0; i < 200; i++) {
        const j = (await a.call<JobInfo[]>('queue', ['--all-users']))[0]!
        if (j.id === jobId && j.status === 'RUNNING') break
        await Bun.sleep(50)
      }
      await a.close()
      expect((await peer.leftovers(r.nameOnCloud)).length).toBeGreaterThan(0)
      await p.terminate(full, {})
      await p.terminate(full, {})
      expect((await p.query(full)).every((n) => n.state === 'terminated')).toBe(true)
      expect(await peer.leftovers(r.nameOnCloud)).toEqual([])
    }, 60_000)

    test('a provisioner killed mid-provision leaves nothing that cannot be found by tag and removed', async () => {
      const r = track(ref('conf-crash', peer.resources(1)))
      const script = `
        import { provisionerFor } from ${JSON.stringify(join(import.meta.dir, '../../src/core/provision/registry'))}
        const r = ${JSON.stringify(r)}
        const p = await provisionerFor(r.resources.infra)
        await p.provision({ cluster: { name: r.name, nameOnCloud: r.nameOnCloud, userHash: ${JSON.stringify(USER)} }, resources: r.resources, tags: {}, resume: null, signal: new AbortController().signal, log: () => {} })
        console.log('provisioned')
        await Bun.sleep(60_000)`
      const child = Bun.spawn([process.execPath, '-e', script], { env: { ...process.env, ...peer.childEnv() }, stdout: 'pipe', stderr: 'pipe' })
      const reader = child.stdout.getReader()
      let seen = ''
      while (!seen.includes('provisioned')) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`provisioning child ended: ${await new Response(child.stderr).text()}`)
        seen += new TextDecoder().decode(value)
      }
      child.kill('SIGKILL')
      await child.exited
      // No handle was ever returned; the resources are found by the cluster's name on cloud.
      expect((await p.query(r)).some((n) => n.state !== 'terminated')).toBe(true)
      expect(await p.listClusters()).toContain(r.nameOnCloud)
      await p.terminate(r, {})
      expect((await p.query(r)).every((n) => n.state === 'terminated')).toBe(true)
      expect(await peer.leftovers(r.nameOnCloud)).toEqual([])
    }, 60_000)

    test('a request the infra cannot hold fails with a typed capacity/quota error and a failover scope', async () => {
      const r = track(ref('conf-big', peer.tooBig()))
      const e = await provision(p, r).then(() => null, (x) => x)
      expect(e).not.toBeNull()
      const f = failureOf(e)!
      expect(['capacity', 'quota']).toContain(f.kind)
      expect(['zone', 'region']).toContain(f.scope)
      await p.terminate(r, {})
      expect(await peer.leftovers(r.nameOnCloud)).toEqual([])
    }, 60_000)

    test('ports: open, endpoints on the head, clean up (where supported)', async () => {
      if (!p.capabilities.ports) return
      const r = track(ref('conf-ports', { ...peer.resources(1), ports: ['8080', '9000-9001'] }))
      const h = await provision(p, r)
      const full = { ...r, handle: h }
      await p.openPorts(full, r.resources.ports, {})
      const eps = await p.endpoints(full, r.resources.ports)
      expect(eps.map((e) => e.port)).toEqual([8080, 9000, 9001])
      if (peer.checkEndpoint) await peer.checkEndpoint(p, h, 8080, eps[0]!.address)
      else expect(eps[0]!.address).toBe(`${h.headIp}:8080`)
      await p.cleanupPorts(full, {})
    }, 60_000)
  })
}
