// AWS provisioner figures (issue 14) against moto on loopback, with the compiled binary: instances
// are mapped to sshd hosts (test/harness/aws/world.ts), so "agent ready" means the runtime was
// uploaded to the head over SSH and its agent answered. Real EC2 adds the VM's boot (see README).
//   1. provisioning to agent ready, 1 node            target <= 3 s
//   2. provisioning to agent ready, 4 nodes           target <= 4 s
//   3. failing over through 5 zones (capacity errors) target <= 1 s added
//   4. sky status -r of 20 AWS clusters               target <= 1.5 s, one DescribeInstances per region
// Usage (root, for the sshd hosts' network namespaces): bun scripts/build.ts && bun scripts/bench/aws.ts
import { startAwsWorld } from '../../test/harness/aws/world'
import { cloudBenchHome, median, report } from './lib'

if (process.getuid?.() !== 0) {
  console.error('scripts/bench/aws.ts needs root: every instance gets an sshd host in its own network namespace.')
  process.exit(2)
}

const world = await startAwsWorld({ hosts: 24, regions: ['us-east-1', 'us-east-2', 'us-west-2'] })
const bench = await cloudBenchHome(world.env, world.configYaml())
const sky = bench.sky

const launch = (name: string, extra: string[] = []) => sky(['launch', '-y', '-c', name, '--cpus', '2', ...extra])
const rows: [string, string, string, boolean][] = []

try {
  // Server up, AWS checked, the cloud SDK bundle loaded in the worker threads.
  await sky(['check', 'aws'])
  await launch('warm', ['--infra', 'aws/us-east-1'])
  await sky(['down', '-y', 'warm'])

  // 1. one node
  const one: number[] = []
  for (let i = 0; i < 3; i++) {
    one.push((await launch(`one${i}`, ['--infra', 'aws/us-east-1'])).ms)
    await sky(['down', '-y', `one${i}`])
  }
  const m1 = median(one)
  rows.push(['launch to agent ready, 1 node (sky launch, no job)', `${(m1 / 1000).toFixed(2)} s`, '<= 3 s', m1 <= 3000])

  // 2. four nodes
  const four: number[] = []
  for (let i = 0; i < 2; i++) {
    four.push((await launch(`four${i}`, ['--infra', 'aws/us-east-1', '--num-nodes', '4'])).ms)
    await sky(['down', '-y', `four${i}`])
  }
  const m4 = median(four)
  rows.push(['launch to agent ready, 4 nodes', `${(m4 / 1000).toFixed(2)} s`, '<= 4 s', m4 <= 4000])

  // 3. five zones out of capacity before one has it
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1f']
  const base: number[] = []
  const over: number[] = []
  for (let i = 0; i < 3; i++) {
    base.push((await launch(`base${i}`, ['--infra', 'aws/us-east-2'])).ms)
    await sky(['down', '-y', `base${i}`])
    const rule = world.peer.proxy.fail({ fault: 'InsufficientInstanceCapacity', zone: zones, region: 'us-east-1' })
    const r = await launch(`fo${i}`, ['--infra', 'aws'])
    rule.remove()
    if (rule.hits !== 5 || !/us-east-2|us-west-2/.test(r.out)) throw new Error(`expected 5 failed zones, saw ${rule.hits}:\n${r.out}`)
    over.push(r.ms)
    await sky(['down', '-y', `fo${i}`])
  }
  const added = median(over) - median(base)
  rows.push(['failing over through 5 zones adds', `${(added / 1000).toFixed(2)} s`, '<= 1 s', added <= 1000])

  // 4. status -r of 20 clusters
  const N = 20
  for (let i = 0; i < N; i += 4) await Promise.all(Array.from({ length: 4 }, (_, k) => launch(`s${i + k}`, ['--infra', 'aws/us-east-1'])))
  const times: number[] = []
  let describes = 0
  for (let i = 0; i < 3; i++) {
    const before = world.peer.proxy.callsOf('DescribeInstances').length
    const r = await sky(['status', '-r'])
    describes = Math.max(describes, world.peer.proxy.callsOf('DescribeInstances').length - before)
    if ((r.out.match(/\bUP\b/g) ?? []).length < N) throw new Error(`expected ${N} UP clusters:\n${r.out}`)
    times.push(r.ms)
  }
  const ms = median(times)
  rows.push([`sky status -r, ${N} AWS clusters`, `${(ms / 1000).toFixed(2)} s`, '<= 1.5 s', ms <= 1500])
  rows.push([`  DescribeInstances calls per refresh (1 region, most seen)`, String(describes), '1', describes === 1])
} finally {
  await bench.close()
  await world.stop()
}
report(rows)
