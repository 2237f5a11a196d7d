// Clusters on GCP, end to end with the compiled binary against the Compute test server (driven by
// the real @google-cloud/compute client inside sky): every instance is mapped to its own sshd host
// through `gcp.ssh_proxy_command`, so the agent really runs "on" the instances, nodes reach each
// other on their internal IPs, and a stopped or deleted instance loses its processes. As root the
// whole file runs a second time inside a loopback-only network namespace (the outer test below),
// so a stray connect to an address the server handed out — or to Google's metadata server or
// token endpoint — fails at once instead of leaving the machine.
//
// The Compute test server runs in this process: everything here spawns asynchronously.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startGceWorld, type GceWorld } from '../harness/gce/world'
import { tempHome, waitFor, type TempHome } from '../harness'
import { loopbackNetnsSupport, rerunInLoopbackNetns } from '../harness/netns'

const INSIDE = process.env.SKY_TEST_GCP_NETNS === '1'
const netns = loopbackNetnsSupport()
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

if (netns.ok && !INSIDE) {
  rerunInLoopbackNetns(import.meta.path, 'SKY_TEST_GCP_NETNS', 'GCP e2e inside a loopback-only network namespace')
} else {
  describe('GCP clusters (Compute test server)', () => {
    let world: GceWorld
    let h: TempHome

    /** Instances of a cluster, by its display-name label (GCE label values are lower case). */
    const instances = (name: string) => world.gce.instances().filter((i) => i.labels?.['skypilot-display-name'] === name)
    const byRank = (name: string) => [...instances(name)].sort((a, b) => Number(a.labels['skypilot-node-rank']) - Number(b.labels['skypilot-node-rank']))
    type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    const zoneOf = (i: Json) => String(i.zone).split('/').pop()!
    const natIp = (i: Json) => i.networkInterfaces[0]!.accessConfigs?.[0]?.natIP as string | undefined
    /** The cluster's firewall rules, read from the server directly (no call log entry). */
    const firewalls = async (nameOnCloud: string) => (await fetchFirewalls()).filter((f) => f.name.startsWith(`sky-${nameOnCloud}-`))
    async function fetchFirewalls(): Promise<{ name: string; allowed?: { ports?: string[] }[]; targetTags?: string[] }[]> {
      const r = await fetch(`${world.gce.endpoint}/compute/v1/projects/${world.gce.project}/global/firewalls`, { headers: { authorization: `Bearer ${world.gce.token}` } })
      return ((await r.json()) as { items?: [] }).items ?? []
    }

    beforeAll(async () => {
      world = await startGceWorld({ hosts: 6 })
      h = await tempHome()
      Object.assign(h.env, world.env)
      // One autostop "minute" is 300 ms on the clusters this test home's server launches.
      h.config(world.configYaml() + 'testing:\n  agent_minute_ms: 300\n')
      const c = await h.sky(['check', 'gcp'], { timeoutMs: 60_000 })
      expect(out(c)).toContain('GCP: enabled')
    }, 120_000)

    afterAll(async () => {
      await h?.sky(['down', '-a', '-y'], { timeoutMs: 120_000 }).catch(() => {})
      await h?.cleanup()
      await world?.stop()
    }, 180_000)

    test('sky check gcp validates the credentials with a real call', async () => {
      const before = world.gce.callsOf('regions.list').length
      const r = await h.sky(['check', 'gcp'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('GCP: enabled [compute]')
      expect(r.stdout).toContain(`GOOGLE_OAUTH_ACCESS_TOKEN (an access token), project '${world.gce.project}'`)
      expect(r.stdout).toContain(`validated with Compute regions.list at ${world.endpoint}/compute/v1/ (6 regions)`)
      expect(world.gce.callsOf('regions.list').slice(before).map((c) => c.status)).toEqual([200])
    })

    test('sky gpus list --infra gcp from the catalog without credentials; no credentials: sky check says why, launch exits 3', async () => {
      const bare = await tempHome()
      try {
        const r = await bare.sky(['gpus', 'list', 'A100', '--infra', 'gcp'], { timeoutMs: 60_000 })
        expect(r.code).toBe(0)
        expect(r.stdout).toContain('a2-highgpu-1g')
        expect(r.stdout).toMatch(/GCP catalog of \d{4}-\d\d-\d\d: Approximate snapshot/)
        const chk = await bare.sky(['check', 'gcp'])
        expect(chk.stdout).toContain('GCP: disabled')
        expect(chk.stdout).toContain('gcloud auth application-default login')
        const l = await bare.sky(['launch', '-y', '-c', 'nocreds', '--infra', 'gcp', '--cpus', '2', '--', 'true'], { timeoutMs: 60_000 })
        expect(l.code).toBe(3)
        expect(out(l)).toContain('sky check')
      } finally {
        await bare.cleanup()
      }
    }, 120_000)

    test('a project that does not exist: sky check names it, launch exits 3 and makes nothing', async () => {
      const bad = await tempHome()
      Object.assign(bad.env, world.env, { GOOGLE_CLOUD_PROJECT: 'no-such-project' })
      bad.config(world.configYaml())
      try {
        const chk = await bad.sky(['check', 'gcp'], { timeoutMs: 60_000 })
        expect(chk.stdout).toContain('GCP: disabled')
        expect(chk.stdout).toContain("project not found: The resource 'projects/no-such-project' was not found")
        const inserts = world.gce.callsOf('instances.insert').length
        const l = await bad.sky(['launch', '-y', '-c', 'badproj', '--infra', 'gcp', '--cpus', '2', '--', 'true'], { timeoutMs: 60_000 })
        expect(l.code).toBe(3)
        expect(world.gce.callsOf('instances.insert').length).toBe(inserts)
      } finally {
        await bad.cleanup()
      }
    }, 120_000)

    test('one node: launch, the job runs on the instance, ssh <cluster> through the proxy command, exec, queue', async () => {
      const r = await h.sky(['launch', '-y', '-c', 'one', '--infra', 'gcp/us-central1', '--cpus', '2', '--', 'echo ran-on=$(hostname) ips=$SKYPILOT_NODE_IPS user=$(id -un)'], { timeoutMs: 180_000 })
      if (r.code !== 0) console.log(out(r))
      expect(out(r)).toContain('⚙︎ Launching on GCP (us-central1-a).')
      expect(r.code).toBe(0)
      const [inst] = instances('one')
      expect(inst?.status).toBe('RUNNING')
      expect(out(r)).toContain(`ips=${inst!.networkInterfaces[0]!.networkIP}`)
      expect(inst!.labels['skypilot-user']).toMatch(/^[0-9a-f]{8}$/)
      expect(inst!.labels['skypilot-node-rank']).toBe('0')
      expect(inst!.labels['skypilot-head-node']).toBe('1')
      expect(inst!.machineType).toEndWith('/machineTypes/n2-standard-2')
      expect(inst!.disks[0].diskSizeGb).toBe('256')
      expect(inst!.scheduling).toMatchObject({ provisioningModel: 'STANDARD', onHostMaintenance: 'MIGRATE' })
      // The user's key went in as ssh-keys metadata for the login user; OS Login is off for the instance.
      const meta = Object.fromEntries((inst!.metadata.items as { key: string; value: string }[]).map((m) => [m.key, m.value]))
      expect(meta['ssh-keys']).toMatch(/^gcpuser:ssh-ed25519 \S+ sky-key-/)
      expect(meta['enable-oslogin']).toBe('FALSE')
      expect(inst!.tags.items).toEqual([`sky-${inst!.labels['skypilot-cluster-name']}`])
      const st = await h.sky(['status', 'one'])
      expect(st.stdout).toMatch(/one\s+GCP \(us-central1-a\)\s+1x.*UP/)
      // The generated OpenSSH config: the user's sky key and the proxy command.
      const ssh = Bun.spawn(['ssh', '-F', join(h.dir, '.ssh/config'), '-o', 'BatchMode=yes', 'one', 'echo via-ssh; ls ~/.sky-runtime/bin'], { env: { ...process.env, HOME: h.dir }, stdout: 'pipe', stderr: 'pipe' })
      const [so] = await Promise.all([new Response(ssh.stdout).text(), new Response(ssh.stderr).text()])
      expect(await ssh.exited).toBe(0)
      expect(so).toContain('via-ssh')
      const ex = await h.sky(['exec', 'one', '--', 'echo exec-ok'], { timeoutMs: 60_000 })
      expect(out(ex)).toContain('exec-ok')
      const q = await h.sky(['queue', 'one'])
      expect(q.stdout).toMatch(/2\s.*SUCCEEDED/)
      // Every dial went to an instance the server knows; nothing was refused.
      expect(world.map.dials().filter((d) => d.verdict === 'refused')).toEqual([])
      // Every insert's operation was waited on until DONE.
      expect(world.gce.callsOf('zoneOperations.wait').length).toBeGreaterThan(0)
    }, 240_000)

    test('stop keeps the disk; start brings the instance and its agent back', async () => {
      await h.sky(['exec', 'one', '--', 'echo kept > ~/disk.txt'], { timeoutMs: 60_000 })
      const s = await h.sky(['stop', 'one', '-y'], { timeoutMs: 120_000 })
      expect(s.code).toBe(0)
      expect(instances('one').map((i) => i.status)).toEqual(['TERMINATED'])
      expect((await h.sky(['status', 'one'])).stdout).toMatch(/one\s+GCP.*STOPPED/)
      await world.power.sweep()
      const st = await h.sky(['start', 'one', '-y'], { timeoutMs: 180_000 })
      expect(st.code).toBe(0)
      expect(instances('one').map((i) => i.status)).toEqual(['RUNNING'])
      const r = await h.sky(['exec', 'one', '--', 'cat ~/disk.txt'], { timeoutMs: 60_000 })
      expect(out(r)).toContain('kept')
    }, 300_000)

    test('two nodes in one zone: ranks, internal IPs, node-to-node, ports (firewall rule) and endpoints', async () => {
      const yaml = join(h.dir, 'two.yaml')
      writeFileSync(
        yaml,
        [
          'num_nodes: 2',
          'resources:',
          '  infra: gcp/us-central1',
          '  cpus: 2',
          '  ports: [8080, 9000-9001]',
          '  labels: {team: ml}',
          'run: |',
          '  echo "rank=$SKYPILOT_NODE_RANK ips=$(echo "$SKYPILOT_NODE_IPS" | tr "\\n" ,)"',
          '',
        ].join('\n'),
      )
      const r = await h.sky(['launch', '-y', '-c', 'two', yaml], { timeoutMs: 240_000 })
      expect(r.code).toBe(0)
      const insts = byRank('two')
      expect(insts).toHaveLength(2)
      expect(new Set(insts.map(zoneOf)).size).toBe(1)
      expect(insts.map((i) => i.labels.team)).toEqual(['ml', 'ml'])
      const ips = `ips=${insts.map((i) => i.networkInterfaces[0]!.networkIP).join(',')},`
      expect(insts.map((i) => i.networkInterfaces[0]!.networkIP.startsWith('10.128.'))).toEqual([true, true])
      expect(out(r)).toContain(`rank=0 ${ips}`)
      // Rank 1 ran on the worker, started by the head over SSH to the worker's internal IP.
      expect(out(r)).toContain(`rank=1 ${ips}`)
      const nameOnCloud = insts[0]!.labels['skypilot-cluster-name']
      const rules = await firewalls(nameOnCloud)
      const tag = `sky-${nameOnCloud}`
      expect(rules.map((f) => f.name.slice(tag.length + 1).replace(/^p[0-9a-f]+$/, 'ports')).sort()).toEqual(['internal', 'ports', 'ssh'])
      expect(rules.every((f) => f.targetTags?.[0] === tag)).toBe(true)
      expect(rules.find((f) => f.name.endsWith('-ssh'))!.allowed![0]!.ports).toEqual(['22'])
      expect(rules.find((f) => /-p[0-9a-f]+$/.test(f.name))!.allowed![0]!.ports).toEqual(['8080', '9000-9001'])
      const eps = await h.sky(['status', '--endpoints', 'two'])
      expect(eps.code).toBe(0)
      const head = natIp(insts[0]!)
      expect(eps.stdout.trim().split('\n')).toEqual([`8080: ${head}:8080`, `9000: ${head}:9000`, `9001: ${head}:9001`])
      const ex = await h.sky(['exec', 'two', '--num-nodes', '2', '--', 'echo exec-rank=$SKYPILOT_NODE_RANK'], { timeoutMs: 60_000 })
      expect(out(ex)).toContain('exec-rank=1')
    }, 300_000)

    test('an instance deleted behind sky’s back shows after a refresh; all gone: the record and the firewall rules go', async () => {
      const [, worker] = byRank('two')
      const nameOnCloud = worker!.labels['skypilot-cluster-name']
      world.gce.deleteInstance(zoneOf(worker!), worker!.name)
      const st = await h.sky(['status', '-r', 'two'], { timeoutMs: 60_000 })
      expect(st.stdout).toMatch(/two\s+GCP.*INIT/)
      for (const i of instances('two')) world.gce.deleteInstance(zoneOf(i), i.name)
      await waitFor(async () => !/^two\s/m.test((await h.sky(['status', '-r'], { timeoutMs: 60_000 })).stdout), 30_000, 500)
      await waitFor(async () => (await firewalls(nameOnCloud)).length === 0, 30_000, 300)
    }, 120_000)

    test('down deletes the instances and the firewall rules; down again finds nothing to do (exit 4)', async () => {
      const [inst] = instances('one')
      const r = await h.sky(['down', 'one', '-y'], { timeoutMs: 120_000 })
      expect(r.code).toBe(0)
      expect(out(r)).toContain(`Terminating 1 instance(s) of 'one'`)
      expect(instances('one')).toEqual([])
      expect(await firewalls(inst!.labels['skypilot-cluster-name'])).toEqual([])
      expect((await h.sky(['status'])).stdout).not.toMatch(/^one\s/m)
      const again = await h.sky(['down', 'one', '-y'], { timeoutMs: 60_000 })
      expect([again.code, out(again)]).toEqual([4, expect.stringContaining("Cluster 'one' not found")])
    }, 120_000)

    test('gcp.use_internal_ips (no external IP; reached on the internal IP), gcp.labels, image_id and disk_tier', async () => {
      const h2 = await tempHome()
      Object.assign(h2.env, world.env)
      h2.config(world.configYaml('  use_internal_ips: true\n  labels: {env: e2e}\n'))
      try {
        const image = 'projects/my-images/global/images/family/my-family'
        const r = await h2.sky(['launch', '-y', '-c', 'inner', '--infra', 'gcp/us-central1', '--cpus', '2', '--image-id', image, '--disk-tier', 'high', '--', 'echo inner-ok'], { timeoutMs: 180_000 })
        expect(out(r)).toContain('inner-ok')
        expect(r.code).toBe(0)
        const [inst] = instances('inner')
        expect(inst!.networkInterfaces[0]!.accessConfigs).toEqual([])
        expect(inst!.labels.env).toBe('e2e')
        expect(inst!.disks[0].diskSizeGb).toBe('256')
        const internal = inst!.networkInterfaces[0]!.networkIP
        // The API server dialled the internal IP (through the proxy command), never an external one.
        expect(world.map.dials().some((d) => d.address === internal && d.verdict === 'connected')).toBe(true)
        const insert = world.gce.callsOf('instances.insert').filter((c) => c.status === 200).at(-1)
        expect(insert?.machineType).toBe('n2-standard-2')
        expect(JSON.stringify(world.gce.instance(zoneOf(inst!), inst!.name))).not.toContain('natIP')
        // image_id and disk_tier went into the insert as asked (the server keeps no images; its call log keeps the request).
        const boot = insert!.body!.disks[0].initializeParams
        expect([boot.sourceImage, boot.diskType]).toEqual([image, `zones/${zoneOf(inst!)}/diskTypes/pd-ssd`])
        expect((await h2.sky(['down', 'inner', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
      } finally {
        await h2.sky(['down', '-a', '-y'], { timeoutMs: 120_000 }).catch(() => {})
        await h2.cleanup()
      }
    }, 300_000)

    test('spot: provisioningModel SPOT, deleted when preempted; stop is refused clearly', async () => {
      const r = await h.sky(['launch', '-y', '-c', 'sp', '--infra', 'gcp/us-central1', '--cpus', '2', '--use-spot', '--', 'true'], { timeoutMs: 180_000 })
      expect(r.code).toBe(0)
      const calls = world.gce.callsOf('instances.insert').filter((c) => c.status === 200)
      expect(calls.at(-1)?.spot).toBe(true)
      const [inst] = instances('sp')
      expect(inst!.scheduling).toMatchObject({ provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE', onHostMaintenance: 'TERMINATE', automaticRestart: false })
      const s = await h.sky(['stop', 'sp', '-y'])
      expect(s.code).toBe(2)
      expect(out(s)).toContain('spot instances, which cannot be stopped')
      expect(instances('sp').map((i) => i.status)).toEqual(['RUNNING'])
      // Preempted: the VM is deleted (instanceTerminationAction DELETE); a refresh drops the cluster.
      world.gce.preempt(zoneOf(inst!), inst!.name)
      await waitFor(async () => !/^sp\s/m.test((await h.sky(['status', '-r'], { timeoutMs: 60_000 })).stdout), 30_000, 500)
    }, 300_000)

    test('GPUs: guest accelerators on an N1 host, built into G2; on-host maintenance TERMINATE', async () => {
      const t4 = await h.sky(['launch', '-y', '-c', 'gt4', '--infra', 'gcp/us-central1', '--gpus', 'T4:1', '--', 'true'], { timeoutMs: 180_000 })
      expect(t4.code).toBe(0)
      const [a] = instances('gt4')
      expect(a!.machineType.split('/').pop()).toMatch(/^n1-/)
      expect(a!.guestAccelerators).toEqual([{ acceleratorType: expect.stringMatching(/\/zones\/us-central1-[a-f]\/acceleratorTypes\/nvidia-tesla-t4$/), acceleratorCount: 1 }])
      expect(a!.scheduling.onHostMaintenance).toBe('TERMINATE')
      expect(a!.disks[0].diskSizeGb).toBe('256')
      const l4 = await h.sky(['launch', '-y', '-c', 'gl4', '--infra', 'gcp/us-central1', '--gpus', 'L4:1', '--disk-size', '100', '--', 'true'], { timeoutMs: 180_000 })
      expect(l4.code).toBe(0)
      const [b] = instances('gl4')
      expect(b!.machineType.split('/').pop()).toMatch(/^g2-standard-/)
      expect(b!.guestAccelerators).toBeUndefined()
      expect(b!.scheduling.onHostMaintenance).toBe('TERMINATE')
      expect(b!.disks[0].diskSizeGb).toBe('100')
      expect(world.gce.callsOf('instances.insert').filter((c) => c.status === 200).slice(-2).map((c) => c.accelerator)).toEqual(['nvidia-tesla-t4', 'nvidia-l4'])
      for (const n of ['gt4', 'gl4']) expect((await h.sky(['down', n, '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 400_000)

    test('failover: stockout (inside the finished operation) in two zones → the third zone; the log says where and why', async () => {
      const rule = world.gce.fail({ fault: 'ZONE_RESOURCE_POOL_EXHAUSTED', zone: ['us-central1-a', 'us-central1-b'] })
      try {
        const r = await h.sky(['launch', '-y', '-c', 'fo', '--infra', 'gcp/us-central1', '--cpus', '2', '--', 'echo landed'], { timeoutMs: 180_000 })
        expect(r.code).toBe(0)
        const text = out(r)
        expect(text).toMatch(/↺ GCP \(us-central1-a\) failed \(capacity\): .*ZONE_RESOURCE_POOL_EXHAUSTED/)
        expect(text).toMatch(/↺ GCP \(us-central1-b\) failed \(capacity\): .*ZONE_RESOURCE_POOL_EXHAUSTED/)
        expect(text).toContain('⚙︎ Launching on GCP (us-central1-c).')
        expect(text).toContain('landed')
        expect(rule.hits).toBe(2)
        expect(instances('fo').map(zoneOf)).toEqual(['us-central1-c'])
      } finally {
        rule.remove()
      }
      expect((await h.sky(['down', 'fo', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 240_000)

    test('failover: a quota error (immediate 403) → the next region; GPUS_ALL_REGIONS → GCP skipped (exit 3)', async () => {
      const rule = world.gce.fail({ fault: 'QUOTA_EXCEEDED', region: 'us-central1' })
      try {
        const r = await h.sky(['launch', '-y', '-c', 'qt', '--infra', 'gcp', '--cpus', '2', '--', 'echo moved'], { timeoutMs: 180_000 })
        expect(r.code).toBe(0)
        expect(out(r)).toMatch(/↺ GCP \(us-central1-a\) failed \(quota\): .*Quota 'CPUS' exceeded/)
        expect(rule.hits).toBe(1) // quota blocks the region: its other zones are not tried
        const [inst] = instances('qt')
        expect(zoneOf(inst!)).not.toMatch(/^us-central1-/)
      } finally {
        rule.remove()
      }
      expect((await h.sky(['down', 'qt', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
      const all = world.gce.fail({ fault: 'QUOTA_EXCEEDED', quotaMetric: 'GPUS_ALL_REGIONS' })
      try {
        const g = await h.sky(['launch', '-y', '-c', 'gq', '--infra', 'gcp', '--gpus', 'L4:1', '--', 'true'], { timeoutMs: 180_000 })
        expect(g.code).toBe(3)
        expect(out(g)).toMatch(/failed \(quota\): .*GPUS_ALL_REGIONS/)
        expect(all.hits).toBe(1) // the whole infra is blocked after the first attempt
        expect(instances('gq')).toEqual([])
      } finally {
        all.remove()
      }
    }, 300_000)

    test('an auth error skips GCP with the reason (exit 3); sky check says why', async () => {
      const rule = world.gce.fail({ fault: 'UNAUTHENTICATED' })
      try {
        const r = await h.sky(['launch', '-y', '-c', 'au', '--infra', 'gcp', '--cpus', '2', '--', 'true'], { timeoutMs: 120_000 })
        expect(r.code).toBe(3)
        expect(out(r)).toMatch(/failed \(auth\): .*credentials refused/)
        expect((await h.sky(['status'])).stdout).not.toMatch(/^au\s/m)
        const c = await h.sky(['check', 'gcp'])
        expect(c.stdout).toContain('GCP: disabled')
        expect(c.stdout).toContain('Request had invalid authentication credentials')
      } finally {
        rule.remove()
      }
      expect((await h.sky(['check', 'gcp'])).stdout).toContain('GCP: enabled')
    }, 180_000)

    test('API server SIGKILLed mid-provision: after restart the instance is adopted, none leaked', async () => {
      world.gce.setOperationDelay(1500)
      const before = world.gce.callsOf('instances.insert').length
      try {
        const launch = h.spawn(['launch', '-y', '-c', 'crash', '--infra', 'gcp/us-central1', '--cpus', '2', '--', 'echo survived-crash'])
        await waitFor(() => world.gce.callsOf('instances.insert').slice(before).some((c) => c.status === 200), 120_000, 10)
        process.kill(h.serverPid()!, 'SIGKILL')
        await launch.exited
      } finally {
        world.gce.setOperationDelay(50)
      }
      expect(instances('crash')).toHaveLength(1) // made, not yet handed over
      // Any command starts the server again; the interrupted launch is re-run and adopts the instance.
      await waitFor(async () => /crash\s+GCP.*UP/.test((await h.sky(['status', '-r'], { timeoutMs: 60_000 })).stdout), 120_000, 500)
      expect(instances('crash')).toHaveLength(1)
      expect(world.gce.callsOf('instances.insert').slice(before).filter((c) => c.status === 200)).toHaveLength(1)
      // Nothing of any cluster is running without a record.
      const st = (await h.sky(['status'])).stdout
      for (const i of world.gce.instances().filter((x) => x.status === 'RUNNING')) expect(st).toMatch(new RegExp(`^${i.labels['skypilot-display-name']}\\s`, 'm'))
      expect((await h.sky(['down', 'crash', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 300_000)

    test('autostop stops the instances from the node itself; autodown deletes them', async () => {
      const r = await h.sky(['launch', '-y', '-c', 'as', '--infra', 'gcp/us-central1', '--cpus', '2', '-i', '1', '--', 'true'], { timeoutMs: 180_000 })
      expect(r.code).toBe(0)
      const stopsBefore = world.gce.callsOf('instances.stop').length
      // The head called instances.stop itself (through the node's own token and endpoint).
      await waitFor(() => instances('as').every((i) => i.status === 'TERMINATED'), 60_000, 300)
      expect(world.gce.callsOf('instances.stop').length).toBeGreaterThan(stopsBefore)
      await waitFor(async () => /as\s+GCP.*STOPPED/.test((await h.sky(['status', '-r', 'as'])).stdout), 60_000, 500)
      await world.power.sweep()
      const d = await h.sky(['launch', '-y', '-c', 'ad', '--infra', 'gcp/us-central1', '--cpus', '2', '-i', '1', '--down', '--', 'true'], { timeoutMs: 180_000 })
      expect(d.code).toBe(0)
      await waitFor(() => instances('ad').length === 0, 60_000, 300)
      await waitFor(async () => !/^ad\s/m.test((await h.sky(['status', '-r'])).stdout), 60_000, 500)
      expect((await h.sky(['down', 'as', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 400_000)
  })
}
