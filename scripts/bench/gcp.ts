// GCP provisioner figures (issue 15) against the Compute test server on loopback, with the compiled
// binary: instances are mapped to sshd hosts (test/harness/gce/world.ts), so "agent ready" means
// the insert's operation finished, the runtime was uploaded to the head over SSH and its agent
// answered. Real Compute Engine adds the VM's boot (see README).
//   1. provisioning to agent ready, 1 node                  target <= 3 s
//   2. provisioning to agent ready, 4 nodes                 (figure)
//   3. failing over through 3 zones (stockout in the op)    (figure)
//   4. sky status -r of 20 GCP clusters                     (figure; aggregated listings per refresh)
//   5. first GCP call in a fresh server (bundle + client)   (figure)
// `sky --help` with the GCP client in the build: scripts/bench/core.ts (target <= 25 ms).
// Usage (root, for the sshd hosts' network namespaces): bun scripts/build.ts && bun scripts/bench/gcp.ts
import { startGceWorld } from '../../test/harness/gce/world'
import { cloudBenchHome, median, report } from './lib'

if (process.getuid?.() !== 0) {
  console.error('scripts/bench/gcp.ts needs root: every instance gets an sshd host in its own network namespace.')
  process.exit(2)
}

// The Compute test server lives in this process: every sky command is spawned asynchronously.
const world = await startGceWorld({ hosts: 24 })
// No periodic refresh during the figures: it would add its own listings to the counts.
const bench = await cloudBenchHome(world.env, world.configYaml('api_server:\n  status_refresh_seconds: 3600\n'))
const sky = bench.sky

const launch = (name: string, extra: string[] = []) => sky(['launch', '-y', '-c', name, '--cpus', '2', ...extra])
const rows: [string, string, string, boolean][] = []

try {
  // 5. a fresh server's first GCP call: loading the GCP bundle and making a client (sky check gcp).
  await sky(['api', 'start'])
  const first = await sky(['check', 'gcp'])
  const again = await sky(['check', 'gcp'])
  rows.push(['sky check gcp, fresh server (GCP bundle + client)', `${(first.ms / 1000).toFixed(2)} s`, '(figure)', true])
  rows.push(['sky check gcp, again', `${(again.ms / 1000).toFixed(2)} s`, '(figure)', true])

  // Warm: the binary compressed for upload, a worker with the bundle loaded.
  await launch('warm', ['--infra', 'gcp/us-central1'])
  await sky(['down', '-y', 'warm'])

  // 1. one node
  const one: number[] = []
  for (let i = 0; i < 3; i++) {
    one.push((await launch(`one${i}`, ['--infra', 'gcp/us-central1'])).ms)
    await sky(['down', '-y', `one${i}`])
  }
  const m1 = median(one)
  rows.push(['launch to agent ready, 1 node (sky launch, no job)', `${(m1 / 1000).toFixed(2)} s`, '<= 3 s', m1 <= 3000])

  // 2. four nodes
  const four: number[] = []
  for (let i = 0; i < 2; i++) {
    four.push((await launch(`four${i}`, ['--infra', 'gcp/us-central1', '--num-nodes', '4'])).ms)
    await sky(['down', '-y', `four${i}`])
  }
  rows.push(['launch to agent ready, 4 nodes', `${(median(four) / 1000).toFixed(2)} s`, '(figure)', true])

  // 3. three zones out of capacity (inside the finished operation) before one has it
  const base: number[] = []
  const over: number[] = []
  for (let i = 0; i < 3; i++) {
    base.push((await launch(`base${i}`, ['--infra', 'gcp/us-east1'])).ms)
    await sky(['down', '-y', `base${i}`])
    const rule = world.gce.fail({ fault: 'ZONE_RESOURCE_POOL_EXHAUSTED', region: 'us-central1', zone: ['us-central1-a', 'us-central1-b', 'us-central1-c'] })
    const r = await launch(`fo${i}`, ['--infra', 'gcp/us-central1'])
    rule.remove()
    if (rule.hits !== 3 || !/us-central1-f/.test(r.out)) throw new Error(`expected 3 failed zones, saw ${rule.hits}:\n${r.out}`)
    over.push(r.ms)
    await sky(['down', '-y', `fo${i}`])
  }
  rows.push(['failing over through 3 zones adds', `${((median(over) - median(base)) / 1000).toFixed(2)} s`, '(figure)', true])

  // 4. status -r of 20 clusters
  const N = 20
  for (let i = 0; i < N; i += 4) await Promise.all(Array.from({ length: 4 }, (_, k) => launch(`s${i + k}`, ['--infra', 'gcp/us-central1'])))
  const times: number[] = []
  let lists = 0
  for (let i = 0; i < 3; i++) {
    const before = world.gce.callsOf('instances.aggregatedList').length
    const r = await sky(['status', '-r'])
    lists = Math.max(lists, world.gce.callsOf('instances.aggregatedList').length - before)
    if ((r.out.match(/\bUP\b/g) ?? []).length < N) throw new Error(`expected ${N} UP clusters:\n${r.out}`)
    times.push(r.ms)
  }
  rows.push([`sky status -r, ${N} GCP clusters`, `${(median(times) / 1000).toFixed(2)} s`, '(figure)', true])
  rows.push(['  instances.aggregatedList calls per refresh (most seen)', String(lists), '(figure)', true])
} finally {
  await bench.close()
  await world.stop()
}
report(rows)
