// Clusters on AWS, end to end with the compiled binary against moto's EC2 (behind the fault
// proxy): every instance is mapped to its own sshd host through `aws.ssh_proxy_command`, so the
// agent really runs "on" the instances, nodes reach each other on their private IPs, and a
// stopped or terminated instance loses its processes. As root the whole file runs a second time
// inside a loopback-only network namespace (the outer test below), so a stray connect to an
// address moto handed out fails at once instead of leaving the machine.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ec2Query } from '../harness/aws/ec2-raw'
import { startAwsWorld, type AwsWorld } from '../harness/aws/world'
import { childText, find, items } from '../harness/aws/xml'
import { tempHome, waitFor, type TempHome } from '../harness'
import { loopbackNetnsSupport, rerunInLoopbackNetns } from '../harness/netns'

const INSIDE = process.env.SKY_TEST_AWS_NETNS === '1'
const netns = loopbackNetnsSupport()
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

if (netns.ok && !INSIDE) {
  rerunInLoopbackNetns(import.meta.path, 'SKY_TEST_AWS_NETNS', 'AWS e2e inside a loopback-only network namespace')
} else {
  describe('AWS clusters (moto)', () => {
    let world: AwsWorld
    let h: TempHome

    /** The instances moto holds for a cluster, by its display-name tag. */
    async function instances(name: string, region = 'us-east-1') {
      const { describeInstances } = await import('../harness/aws/ec2-raw')
      return (await describeInstances(world.peer.moto.endpoint, region)).filter((i) => i.tags['skypilot-display-name'] === name)
    }
    const live = async (name: string, region?: string) => (await instances(name, region)).filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')

    async function groupPorts(groupName: string): Promise<number[]> {
      const doc = await ec2Query(world.peer.moto.endpoint, 'us-east-1', { Action: 'DescribeSecurityGroups', 'Filter.1.Name': 'group-name', 'Filter.1.Value.1': groupName })
      const groups = items(find(doc, 'DescribeSecurityGroupsResponse'), 'securityGroupInfo')
      return groups.flatMap((g) => items(g, 'ipPermissions').map((p) => Number(childText(p, 'fromPort'))))
    }

    beforeAll(async () => {
      world = await startAwsWorld({ hosts: 6 })
      h = await tempHome()
      Object.assign(h.env, world.env)
      // One autostop "minute" is 300 ms for this test home's clusters.
      h.config(world.configYaml() + 'testing:\n  agent_minute_ms: 300\n')
      const c = await h.sky(['check', 'aws'], { timeoutMs: 60_000 })
      expect(c.code).toBe(0)
    }, 120_000)

    afterAll(async () => {
      await h?.sky(['down', '-a', '-y'], { timeoutMs: 120_000 }).catch(() => {})
      await h?.cleanup()
      await world?.stop()
    }, 180_000)

    test('sky check aws validates the credentials with a real call', async () => {
      const r = await h.sky(['check', 'aws'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('AWS: enabled [compute]')
      expect(r.stdout).toContain(`validated with EC2 DescribeRegions in us-east-1 at ${world.endpoint}`)
      expect(world.peer.proxy.callsOf('DescribeRegions').length).toBeGreaterThan(0)
    })

    test('sky gpus list --infra aws works from the catalog without credentials, with its date and source', async () => {
      const bare = await tempHome()
      try {
        const r = await bare.sky(['gpus', 'list', 'A100', '--infra', 'aws'], { timeoutMs: 60_000 })
        expect(r.code).toBe(0)
        expect(r.stdout).toContain('p4d.24xlarge')
        expect(r.stdout).toMatch(/AWS catalog of \d{4}-\d\d-\d\d: Approximate snapshot/)
        const chk = await bare.sky(['check', 'aws'])
        expect(chk.stdout).toContain('AWS: disabled')
        expect(chk.stdout).toContain('aws configure')
      } finally {
        await bare.cleanup()
      }
    }, 90_000)

    test('one node: launch, the job runs on the instance, ssh <cluster> through the proxy command, exec, queue', async () => {
      const r = await h.sky(['launch', '-y', '-c', 'one', '--infra', 'aws/us-east-1', '--cpus', '2', '--', 'echo ran-on=$(cat /etc/hostname 2>/dev/null || hostname) ips=$SKYPILOT_NODE_IPS'], { timeoutMs: 180_000 })
      expect(out(r)).toContain('⚙︎ Launching on AWS (us-east-1a).')
      expect(r.code).toBe(0)
      const [inst] = await live('one')
      expect(inst?.state).toBe('running')
      expect(out(r)).toContain(`ips=${inst!.privateIp}`)
      expect(inst!.tags['skypilot-user']).toMatch(/^[0-9a-f]{8}$/)
      expect(inst!.tags['skypilot-node-rank']).toBe('0')
      const st = await h.sky(['status', 'one'])
      expect(st.stdout).toMatch(/one\s+AWS \(us-east-1a\)\s+1x.*UP/)
      // The generated OpenSSH config: the user's sky key and the proxy command.
      const ssh = Bun.spawn(['ssh', '-F', join(h.dir, '.ssh/config'), '-o', 'BatchMode=yes', 'one', 'echo via-ssh; ls ~/.sky-runtime/bin'], { env: { ...process.env, HOME: h.dir }, stdout: 'pipe', stderr: 'pipe' })
      const [so, se] = await Promise.all([new Response(ssh.stdout).text(), new Response(ssh.stderr).text()])
      expect(await ssh.exited).toBe(0)
      expect(so).toContain('via-ssh')
      expect(so).toContain('sky')
      expect(se).not.toContain('refusing')
      const ex = await h.sky(['exec', 'one', '--', 'echo exec-ok'], { timeoutMs: 60_000 })
      expect(out(ex)).toContain('exec-ok')
      const q = await h.sky(['queue', 'one'])
      expect(q.stdout).toMatch(/2\s.*SUCCEEDED/)
      // Every dial went to an instance moto knows; nothing was refused.
      expect(world.map.dials().filter((d) => d.verdict === 'refused')).toEqual([])
    }, 240_000)

    test('stop keeps the disk; start brings the instance and its agent back', async () => {
      await h.sky(['exec', 'one', '--', 'echo kept > ~/disk.txt'], { timeoutMs: 60_000 })
      const s = await h.sky(['stop', 'one', '-y'], { timeoutMs: 120_000 })
      expect(s.code).toBe(0)
      expect((await live('one')).map((i) => i.state)).toEqual(['stopped'])
      expect((await h.sky(['status', 'one'])).stdout).toMatch(/one\s+AWS.*STOPPED/)
      await world.power.sweep()
      const st = await h.sky(['start', 'one', '-y'], { timeoutMs: 180_000 })
      expect(st.code).toBe(0)
      expect((await live('one')).map((i) => i.state)).toEqual(['running'])
      const r = await h.sky(['exec', 'one', '--', 'cat ~/disk.txt'], { timeoutMs: 60_000 })
      expect(out(r)).toContain('kept')
    }, 300_000)

    test('two nodes in one zone: ranks, private IPs, node-to-node, ports and endpoints', async () => {
      const yaml = join(h.dir, 'two.yaml')
      writeFileSync(
        yaml,
        [
          'num_nodes: 2',
          'resources:',
          '  infra: aws/us-east-1',
          '  cpus: 2',
          '  ports: [8080, 9000-9001]',
          'run: |',
          '  echo "rank=$SKYPILOT_NODE_RANK ips=$(echo "$SKYPILOT_NODE_IPS" | tr "\\n" ,)"',
          '  if [ "$SKYPILOT_NODE_RANK" = 0 ]; then ip -o -4 addr show | grep -c "$(echo "$SKYPILOT_NODE_IPS" | head -1)/32" | sed "s/^/head-has-own-ip=/"; fi',
          '',
        ].join('\n'),
      )
      const r = await h.sky(['launch', '-y', '-c', 'two', yaml], { timeoutMs: 240_000 })
      expect(r.code).toBe(0)
      const insts = await live('two')
      expect(insts).toHaveLength(2)
      expect(new Set(insts.map((i) => i.zone)).size).toBe(1)
      const byRank = [...insts].sort((a, b) => Number(a.tags['skypilot-node-rank']) - Number(b.tags['skypilot-node-rank']))
      const ips = `ips=${byRank.map((i) => i.privateIp).join(',')},`
      expect(byRank.map((i) => i.privateIp!.startsWith('172.31.'))).toEqual([true, true])
      expect(out(r)).toContain(`rank=0 ${ips}`)
      // Rank 1 ran on the worker, started by the head over SSH to the worker's private IP.
      expect(out(r)).toContain(`rank=1 ${ips}`)
      expect(out(r)).toContain('head-has-own-ip=1')
      // A security group of its own: SSH plus the task's ports.
      const nameOnCloud = byRank[0]!.tags['skypilot-cluster-name']!
      expect((await groupPorts(`sky-sg-${nameOnCloud}`)).sort((a, b) => a - b)).toEqual([22, 8080, 9000])
      const eps = await h.sky(['status', '--endpoints', 'two'])
      expect(eps.code).toBe(0)
      expect(eps.stdout.trim().split('\n')).toEqual([`8080: ${byRank[0]!.publicIp}:8080`, `9000: ${byRank[0]!.publicIp}:9000`, `9001: ${byRank[0]!.publicIp}:9001`])
      expect((await h.sky(['status', '--endpoint', '9001', 'two'])).stdout.trim()).toBe(`${byRank[0]!.publicIp}:9001`)
      const ex = await h.sky(['exec', 'two', '--num-nodes', '2', '--', 'echo exec-rank=$SKYPILOT_NODE_RANK'], { timeoutMs: 60_000 })
      expect(out(ex)).toContain('exec-rank=1')
    }, 300_000)

    test('an instance terminated behind sky’s back shows after a refresh; all gone: the record goes', async () => {
      const [, worker] = [...(await live('two'))].sort((a, b) => Number(a.tags['skypilot-node-rank']) - Number(b.tags['skypilot-node-rank']))
      await ec2Query(world.peer.moto.endpoint, 'us-east-1', { Action: 'TerminateInstances', 'InstanceId.1': worker!.id })
      const st = await h.sky(['status', '-r', 'two'], { timeoutMs: 60_000 })
      expect(st.stdout).toMatch(/two\s+AWS.*INIT/)
      const [row] = JSON.parse((await h.sky(['status', '-o', 'json', 'two'])).stdout) as { last_event: string }[]
      expect(row!.last_event).toContain(`${worker!.id}: terminated`)
      for (const i of await live('two')) await ec2Query(world.peer.moto.endpoint, 'us-east-1', { Action: 'TerminateInstances', 'InstanceId.1': i.id })
      // (A listing is shared by the queries of one refresh, for up to a second.)
      await waitFor(async () => !/^two\s/m.test((await h.sky(['status', '-r'], { timeoutMs: 60_000 })).stdout), 30_000, 500)
      // Its security group went with it.
      expect(await groupPorts(`sky-sg-${worker!.tags['skypilot-cluster-name']}`)).toEqual([])
    }, 120_000)

    test('down terminates the instances and the security group; down again is fine', async () => {
      const [inst] = await live('one')
      const r = await h.sky(['down', 'one', '-y'], { timeoutMs: 120_000 })
      expect(r.code).toBe(0)
      expect(out(r)).toContain(`Terminating 1 instance(s) of 'one'`)
      expect(await live('one')).toEqual([])
      expect(await groupPorts(`sky-sg-${inst!.tags['skypilot-cluster-name']}`)).toEqual([])
      expect((await h.sky(['status'])).stdout).not.toMatch(/^one\s/m)
    }, 120_000)

    test('spot GPUs: spot market options, a Deep Learning image, the GPUs given to the job; stop is refused clearly', async () => {
      const r = await h.sky(['launch', '-y', '-c', 'sp', '--infra', 'aws/us-east-1', '--gpus', 'A100:8', '--use-spot', '--', 'echo gpus=$CUDA_VISIBLE_DEVICES'], { timeoutMs: 180_000 })
      expect(r.code).toBe(0)
      expect(out(r)).toContain('gpus=0,1,2,3,4,5,6,7')
      const calls = world.peer.proxy.callsOf('RunInstances').filter((c) => c.status === 200)
      expect(calls.at(-1)).toMatchObject({ market: 'spot', instanceType: 'p4d.24xlarge' })
      const [inst] = await live('sp')
      expect(inst!.market).toBe('spot')
      const doc = await ec2Query(world.peer.moto.endpoint, 'us-east-1', { Action: 'DescribeImages', 'ImageId.1': find(await ec2Query(world.peer.moto.endpoint, 'us-east-1', { Action: 'DescribeInstances', 'InstanceId.1': inst!.id }), 'imageId')!.text })
      expect(childText(find(doc, 'item'), 'name')).toMatch(/^Deep Learning .*Ubuntu/)
      const s = await h.sky(['stop', 'sp', '-y'])
      expect(s.code).toBe(2)
      expect(out(s)).toContain('spot instances, which cannot be stopped')
      expect((await live('sp')).map((i) => i.state)).toEqual(['running'])
      const a = await h.sky(['autostop', 'sp', '-i', '5', '-y'])
      expect(a.code).toBe(2)
      expect(out(a)).toContain('--down')
      expect((await h.sky(['down', 'sp', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 300_000)

    test('failover: no capacity in two zones → the third zone; the log says where and why', async () => {
      const rule = world.peer.proxy.fail({ fault: 'InsufficientInstanceCapacity', zone: ['us-east-1a', 'us-east-1b'] })
      try {
        const r = await h.sky(['launch', '-y', '-c', 'fo', '--infra', 'aws/us-east-1', '--cpus', '2', '--', 'echo landed'], { timeoutMs: 180_000 })
        expect(r.code).toBe(0)
        const text = out(r)
        expect(text).toMatch(/↺ AWS \(us-east-1a\) failed \(capacity\): .*InsufficientInstanceCapacity/)
        expect(text).toMatch(/↺ AWS \(us-east-1b\) failed \(capacity\): .*InsufficientInstanceCapacity/)
        expect(text).toContain('⚙︎ Launching on AWS (us-east-1c).')
        expect(text).toContain('landed')
        expect(rule.hits).toBe(2) // one attempt per zone: no SDK retries of a capacity error
        expect((await live('fo')).map((i) => i.zone)).toEqual(['us-east-1c'])
      } finally {
        rule.remove()
      }
      expect((await h.sky(['down', 'fo', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 240_000)

    test('failover: a vCPU quota error → the next region', async () => {
      const rule = world.peer.proxy.fail({ fault: 'VcpuLimitExceeded', region: 'us-east-1' })
      try {
        const r = await h.sky(['launch', '-y', '-c', 'qt', '--infra', 'aws', '--cpus', '2', '--', 'echo moved'], { timeoutMs: 180_000 })
        expect(r.code).toBe(0)
        expect(out(r)).toMatch(/↺ AWS \(us-east-1a\) failed \(quota\): .*VcpuLimitExceeded/)
        expect(rule.hits).toBe(1) // quota blocks the region: its other zones are not tried
        const st = await h.sky(['status', 'qt'])
        expect(st.stdout).toMatch(/qt\s+AWS \((us-east-2|us-west-2)[a-d]\)/)
      } finally {
        rule.remove()
      }
      expect((await h.sky(['down', 'qt', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 240_000)

    test('an auth error skips AWS with the reason (exit 3); sky check says why', async () => {
      const rule = world.peer.proxy.fail({ fault: 'AuthFailure' })
      try {
        const r = await h.sky(['launch', '-y', '-c', 'au', '--infra', 'aws', '--cpus', '2', '--', 'true'], { timeoutMs: 120_000 })
        expect(r.code).toBe(3)
        expect(out(r)).toMatch(/failed \(auth\): .*AuthFailure/)
        expect(out(r)).toContain('AWS was not able to validate the provided access credentials')
        expect((await h.sky(['status'])).stdout).not.toMatch(/^au\s/m)
        const c = await h.sky(['check', 'aws'])
        expect(c.stdout).toContain('AWS: disabled')
        expect(c.stdout).toContain('AuthFailure')
      } finally {
        rule.remove()
      }
      expect((await h.sky(['check', 'aws'])).stdout).toContain('AWS: enabled')
    }, 180_000)

    test('a launch that fails after creating instances terminates them before reporting, and says so', async () => {
      // Tagging the new instances fails (after RunInstances made them): a bug-class error, not failed over.
      const rule = world.peer.proxy.fail({ fault: { status: 400, code: 'InvalidParameterValue', message: 'injected: tag rejected' }, action: 'CreateTags' })
      try {
        const r = await h.sky(['launch', '-y', '-c', 'wst', '--infra', 'aws/us-east-1', '--cpus', '2', '--', 'true'], { timeoutMs: 120_000 })
        expect(r.code).not.toBe(0)
        expect(out(r)).toMatch(/Terminating 1 instance\(s\) of 'wst'/)
        expect(out(r)).toContain('tag rejected')
      } finally {
        rule.remove()
      }
      expect(await live('wst')).toEqual([])
      expect((await h.sky(['status'])).stdout).not.toMatch(/^wst\s/m)
    }, 180_000)

    test('API server SIGKILLed mid-provision: after restart the instances are adopted, none leaked', async () => {
      const before = world.peer.proxy.callsOf('RunInstances').length
      const launch = h.spawn(['launch', '-y', '-c', 'crash', '--infra', 'aws/us-east-1', '--cpus', '2', '--', 'echo survived-crash'])
      await waitFor(() => world.peer.proxy.callsOf('RunInstances').slice(before).some((c) => c.status === 200), 120_000, 10)
      const pid = h.serverPid()!
      process.kill(pid, 'SIGKILL')
      await launch.exited
      expect((await live('crash')).length).toBe(1) // made, not yet handed over
      // Any command starts the server again; the interrupted launch is re-run and adopts the instance.
      await waitFor(async () => /crash\s+AWS.*UP/.test((await h.sky(['status', '-r'], { timeoutMs: 60_000 })).stdout), 120_000, 500)
      const insts = await live('crash')
      expect(insts).toHaveLength(1)
      expect(world.peer.proxy.callsOf('RunInstances').slice(before).filter((c) => c.status === 200)).toHaveLength(1)
      // Nothing of any cluster is running without a record.
      const { describeInstances } = await import('../harness/aws/ec2-raw')
      const running = (await describeInstances(world.peer.moto.endpoint, 'us-east-1')).filter((i) => i.state === 'running').map((i) => i.tags['skypilot-display-name'])
      const st = (await h.sky(['status'])).stdout
      for (const name of running) expect(st).toMatch(new RegExp(`^${name}\\s`, 'm'))
      expect((await h.sky(['down', 'crash', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 300_000)

    test('autostop stops the instances from the node itself; autodown terminates them', async () => {
      const env = {}
      const r = await h.sky(['launch', '-y', '-c', 'as', '--infra', 'aws/us-east-1', '--cpus', '2', '-i', '1', '--', 'true'], { env, timeoutMs: 180_000 })
      expect(r.code).toBe(0)
      // The head called StopInstances itself (through the node's own credentials and endpoint).
      await waitFor(async () => (await live('as')).every((i) => i.state === 'stopped'), 60_000, 300)
      const stops = world.peer.proxy.callsOf('StopInstances')
      expect(stops.at(-1)?.instanceIds).toEqual((await live('as')).map((i) => i.id))
      await waitFor(async () => /as\s+AWS.*STOPPED/.test((await h.sky(['status', '-r', 'as'], { env })).stdout), 60_000, 500)
      await world.power.sweep()
      const d = await h.sky(['launch', '-y', '-c', 'ad', '--infra', 'aws/us-east-1', '--cpus', '2', '-i', '1', '--down', '--', 'true'], { env, timeoutMs: 180_000 })
      expect(d.code).toBe(0)
      await waitFor(async () => (await live('ad')).length === 0, 60_000, 300)
      await waitFor(async () => !/^ad\s/m.test((await h.sky(['status', '-r'], { env })).stdout), 60_000, 500)
      expect((await h.sky(['down', 'as', '-y'], { timeoutMs: 120_000 })).code).toBe(0)
    }, 400_000)

    test('a node without cloud access (remote_identity NO_UPLOAD): the API server does the autostop', async () => {
      const env = {}
      const h2 = await tempHome()
      Object.assign(h2.env, world.env)
      h2.config(world.configYaml('  remote_identity: NO_UPLOAD\n') + 'testing:\n  agent_minute_ms: 300\n')
      try {
        const r = await h2.sky(['launch', '-y', '-c', 'nu', '--infra', 'aws/us-east-1', '--cpus', '2', '-i', '1', '--', 'true'], { env, timeoutMs: 180_000 })
        expect(r.code).toBe(0)
        const stopsBefore = world.peer.proxy.callsOf('StopInstances').length
        // The hook fails on the node (no credentials there); a refresh has the server stop it.
        await waitFor(async () => /nu\s+AWS.*STOPPED/.test((await h2.sky(['status', '-r', 'nu'], { env })).stdout), 90_000, 1000)
        expect((await live('nu')).map((i) => i.state)).toEqual(['stopped'])
        expect(world.peer.proxy.callsOf('StopInstances').length).toBeGreaterThan(stopsBefore)
      } finally {
        await h2.sky(['down', '-a', '-y'], { timeoutMs: 120_000 })
        await h2.cleanup()
      }
    }, 300_000)
  })
}
