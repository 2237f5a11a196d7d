// Clusters on SSH node pools: real OpenSSH servers, each in its own network namespace (or on its
// own loopback address), reached by the compiled binary through ssh2.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { authedFetch, pidAlive, requestRow, tempHome, waitFor, type TempHome } from '../harness'
import { startSshHosts, type SshHosts } from '../harness/sshd'

let hosts: SshHosts
const PASSWORD = 'pool-Passw0rd'
let h: TempHome
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

/** The 2-node cluster `c2` on my-pool, launched by whichever test needs it first (any order works). */
let c2Launched: Promise<void> | undefined
function c2(): Promise<void> {
  c2Launched ??= (async () => {
    if ((await h.sky(['status', 'c2'])).stdout.includes('UP')) return
    const r = await h.sky(['launch', '-y', '-c', 'c2', '--infra', 'ssh/my-pool', '--num-nodes', '2', '--', 'echo ready'], { timeoutMs: 180_000 })
    if (r.code !== 0) throw new Error(`launching c2 failed: ${out(r)}`)
  })()
  return c2Launched
}

function poolYaml(list: { ip: string; port: number }[], user: string, key: string, extra = ''): string {
  return `my-pool:\n  user: ${user}\n  identity_file: ${key}\n  hosts:\n${list.map((x) => `    - ip: ${x.ip}\n      port: ${x.port}\n`).join('')}${extra}`
}

beforeAll(async () => {
  hosts = await startSshHosts(3, { password: PASSWORD })
  h = await tempHome()
  const [a, b] = hosts.hosts
  // pw-pool: the same two hosts reached with a password only (no key anywhere).
  const pwPool = `pw-pool:\n  user: ${a!.user}\n  password: ${PASSWORD}\n  hosts:\n${[a!, b!].map((x) => `    - ip: ${x.ip}\n      port: ${x.port}\n`).join('')}`
  writeFileSync(
    join(h.dir, 'ssh_node_pools.yaml'),
    poolYaml([a!, b!], a!.user, hosts.keyPath) + `lonely:\n  user: ${a!.user}\n  identity_file: ${hosts.keyPath}\n  hosts:\n    - ip: ${hosts.hosts[2]!.ip}\n      port: ${hosts.hosts[2]!.port}\n` + pwPool,
  )
}, 60_000)

afterAll(async () => {
  await h?.sky(['down', '-a', '-y'], { timeoutMs: 60_000 }).catch(() => {})
  await h?.cleanup()
  await hosts?.stop()
})

describe('ssh node pools', () => {
  test('sky check lists the pools', async () => {
    const r = await h.sky(['check', 'ssh'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('my-pool')
  })

  test('a 2-node cluster: ranks, node IPs, file sync, runtime installed on the head', async () => {
    const wd = join(h.dir, 'proj')
    mkdirSync(wd, { recursive: true })
    writeFileSync(join(wd, 'hello.txt'), 'synced-file')
    const yaml = join(h.dir, 'two.yaml')
    writeFileSync(
      yaml,
      `num_nodes: 2\nworkdir: ${wd}\nrun: |\n  echo "rank=$SKYPILOT_NODE_RANK n=$SKYPILOT_NUM_NODES ips=$(echo "$SKYPILOT_NODE_IPS" | tr '\\n' ,) file=$(cat hello.txt)"\n`,
    )
    // From scratch, whatever ran before.
    await h.sky(['down', 'c2', '-y'], { timeoutMs: 60_000 })
    c2Launched = undefined
    const r = await h.sky(['launch', '-y', '-c', 'c2', '--infra', 'ssh/my-pool', yaml], { timeoutMs: 180_000 })
    c2Launched = Promise.resolve()
    expect(out(r)).toContain('⚙︎ Launching on SSH (my-pool).')
    expect(r.code).toBe(0)
    const [a, b] = hosts.hosts
    const ips = `ips=${a!.ip},${b!.ip},`
    expect(out(r)).toContain(`rank=0 n=2 ${ips} file=synced-file`)
    expect(out(r)).toContain(`rank=1 n=2 ${ips} file=synced-file`)
    expect(existsSync(join(a!.home, '.sky-runtime/bin/sky'))).toBe(true)
    const st = await h.sky(['status', 'c2'])
    expect(st.stdout).toMatch(/c2\s+SSH \(my-pool\)\s+2x/)
    // `ssh c2` works through the generated config.
    const ssh = Bun.spawnSync(['ssh', '-F', join(h.dir, '.ssh/config'), '-o', 'BatchMode=yes', 'c2', 'echo via-ssh-$SKY_UNSET; hostname'], { env: { ...process.env, HOME: h.dir } })
    expect(ssh.stdout.toString()).toContain('via-ssh-')
  }, 240_000)

  test('exec, and the job fails when one rank fails', async () => {
    await c2()
    const r = await h.sky(['exec', 'c2', '--num-nodes', '2', '--', 'if [ "$SKYPILOT_NODE_RANK" = 1 ]; then exit 5; fi; sleep 1; echo head-done'], { timeoutMs: 60_000 })
    expect(r.code).not.toBe(0)
    expect(out(r)).toContain('Job finished (status: FAILED)')
    const st = await h.sky(['logs', 'c2', '--status'])
    expect(st.code).toBe(100)
  }, 90_000)

  test('cancel kills the job on every node', async () => {
    // A per-run tag: only this run's processes are looked for.
    const tag = `sleep 777.${process.pid}${Date.now() % 10000}`
    await c2()
    const r = await h.sky(['exec', 'c2', '-d', '--num-nodes', '2', '--', tag], { timeoutMs: 60_000 })
    const id = /Job submitted, ID: (\d+)/.exec(out(r))![1]!
    const running = () => Bun.spawnSync(['pgrep', '-f', '-x', tag]).stdout.toString().trim().split('\n').filter(Boolean)
    await waitFor(() => running().length === 2, { timeoutMs: 30_000, stepMs: 200, what: 'the job to run on both nodes' })
    expect((await h.sky(['cancel', 'c2', id])).stdout).toContain(`Cancelled job: ${id}`)
    await waitFor(() => running().length === 0, { timeoutMs: 15_000, stepMs: 200, what: 'the job to be killed on both nodes' })
  }, 90_000)

  test('the agent is supervised: killed on the head, refresh starts it again and a running job finishes', async () => {
    await c2()
    const r0 = await h.sky(['exec', 'c2', '-d', '--', 'sleep 2; echo survived'], { timeoutMs: 60_000 })
    const id = /Job submitted, ID: (\d+)/.exec(out(r0))![1]!
    await waitFor(async () => (await h.sky(['queue', 'c2'])).stdout.includes('RUNNING'), 30_000, 200)
    // This cluster's daemon only, by the pid it recorded on the head.
    const pid = Number(readFileSync(join(hosts.hosts[0]!.home, '.sky-runtime/agent.pid'), 'utf8'))
    process.kill(pid, 'SIGKILL')
    const st = await h.sky(['status', '--refresh', 'c2'], { timeoutMs: 60_000 })
    expect(st.stdout).toMatch(/c2\s+SSH \(my-pool\).*UP/)
    await waitFor(async () => (await h.sky(['logs', 'c2', id, '--status'])).stdout.includes('SUCCEEDED'), 30_000, 300)
    expect((await h.sky(['logs', 'c2', id, '--no-follow'])).stdout).toContain('survived')
    const r = await h.sky(['exec', 'c2', '--', 'echo after-restart'], { timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    expect(out(r)).toContain('after-restart')
  }, 90_000)

  test('refresh with a host made briefly unreachable: the cluster stays UP', async () => {
    const head = hosts.hosts[0]!
    if (!head.netns) return // loopback mode cannot cut one host off
    const peer = Bun.spawnSync(['ip', '-n', head.netns, '-o', 'link', 'show']).stdout.toString().match(/\d+: (skyt[^@:]+)/)?.[1]
    expect(peer).toBeDefined()
    Bun.spawnSync(['ip', '-n', head.netns, 'link', 'set', peer!, 'down'])
    try {
      const st = await h.sky(['status', '--refresh', 'c2'], { timeoutMs: 90_000 })
      expect(st.stdout).toMatch(/c2\s+SSH \(my-pool\).*UP/)
    } finally {
      Bun.spawnSync(['ip', '-n', head.netns, 'link', 'set', peer!, 'up'])
    }
    const again = await h.sky(['status', '--refresh', 'c2'], { timeoutMs: 60_000 })
    expect(again.stdout).toMatch(/c2\s+SSH \(my-pool\).*UP/)
  }, 180_000)

  test('SSH clusters cannot be stopped, only taken down; autodown tears it down', async () => {
    await c2()
    const s = await h.sky(['stop', 'c2', '-y'])
    expect(s.code).toBe(2)
    expect(out(s)).toContain('sky down c2')
    const h2 = await tempHome({ config: 'testing:\n  agent_minute_ms: 300\n' })
    try {
      writeFileSync(join(h2.dir, 'ssh_node_pools.yaml'), `p3:\n  user: ${hosts.hosts[2]!.user}\n  identity_file: ${hosts.keyPath}\n  hosts:\n    - ip: ${hosts.hosts[2]!.ip}\n      port: ${hosts.hosts[2]!.port}\n`)
      const r = await h2.sky(['launch', '-y', '-c', 'auto', '--infra', 'ssh/p3', '-i', '1', '--down', '--', 'echo hi'], { timeoutMs: 180_000 })
      expect(r.code).toBe(0)
      await waitFor(async () => !(await h2.sky(['status', '--refresh'])).stdout.includes('auto'), { timeoutMs: 30_000, stepMs: 500, what: "SSH cluster 'auto' to be autodowned" })
    } finally {
      await h2.sky(['down', '-a', '-y'])
      await h2.cleanup()
    }
  }, 240_000)

  test('an unreachable host: clear error, nothing half-made', async () => {
    const h3 = await tempHome()
    try {
      writeFileSync(join(h3.dir, 'ssh_node_pools.yaml'), `dead:\n  user: root\n  identity_file: ${hosts.keyPath}\n  hosts:\n    - ip: ${hosts.unusedIp ?? '127.0.0.1'}\n      port: ${hosts.unusedIp ? 22 : 1}\n`)
      const r = await h3.sky(['launch', '-y', '-c', 'nope', '--infra', 'ssh/dead', '--', 'true'], { timeoutMs: 60_000 })
      expect(r.code).toBe(3)
      expect(r.stderr).toMatch(/dead|unreachable|refused|timed out/i)
      expect((await h3.sky(['status'])).stdout).toContain('No existing clusters.')
    } finally {
      await h3.cleanup()
    }
  }, 90_000)

  test('sky ssh up checks every host and installs the runtime', async () => {
    const r = await h.sky(['ssh', 'up', '--infra', 'lonely'], { timeoutMs: 120_000 })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`✓ ${hosts.hosts[2]!.ip}:`)
    expect(existsSync(join(hosts.hosts[2]!.home, '.sky-runtime/bin/sky'))).toBe(true)
    const d = await h.sky(['ssh', 'down', '--infra', 'lonely'], { timeoutMs: 60_000 })
    expect(d.code).toBe(0)
    expect(existsSync(join(hosts.hosts[2]!.home, '.sky-runtime'))).toBe(false)
  }, 180_000)

  test('down removes the cluster and frees the hosts', async () => {
    await c2()
    const d = await h.sky(['down', 'c2', '-y'], { timeoutMs: 60_000 })
    c2Launched = undefined
    expect(d.code).toBe(0)
    expect(existsSync(join(hosts.hosts[0]!.home, '.sky-runtime/cluster.json'))).toBe(false)
    const again = await h.sky(['launch', '-y', '-c', 'c3', '--infra', 'ssh/my-pool', '--', 'echo reuse'], { timeoutMs: 120_000 })
    expect(again.code).toBe(0)
    expect(out(again)).toContain('reuse')
    // Free the pool's hosts again for the other tests.
    expect((await h.sky(['down', 'c3', '-y'], { timeoutMs: 60_000 })).code).toBe(0)
  }, 180_000)

  test('hosts reached by password only: a 2-node cluster, the head reaches its worker with the cluster key', async () => {
    expect((await h.sky(['down', '-a', '-y'], { timeoutMs: 60_000 })).code).toBe(0)
    c2Launched = undefined
    const r = await h.sky(['launch', '-y', '-c', 'pw', '--infra', 'ssh/pw-pool', '--num-nodes', '2', '--', 'echo "pw-rank=$SKYPILOT_NODE_RANK"'], { timeoutMs: 180_000 })
    expect(r.code).toBe(0)
    expect(out(r)).toContain('pw-rank=0')
    expect(out(r)).toContain('pw-rank=1')
    // The password never leaves the API server: the head reaches its worker with the cluster's
    // own key (authorised there with the password), kept in a file only its owner can read.
    const keys = join(hosts.hosts[0]!.home, '.sky-runtime/keys')
    expect(existsSync(join(keys, 'node-1.password'))).toBe(false)
    expect(Bun.spawnSync(['stat', '-c', '%a', join(keys, 'cluster_key')]).stdout.toString().trim()).toBe('600')
    expect(Bun.spawnSync(['grep', '-rl', PASSWORD, keys]).stdout.toString()).toBe('')
    expect(readFileSync(join(hosts.hosts[1]!.home, '.ssh/authorized_keys'), 'utf8')).toContain('sky-cluster:pw-')
    expect(out(r)).not.toContain(PASSWORD)
    const row = await (await authedFetch(`${h.endpoint}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()
    const got = await waitFor(async () => {
      const g = await authedFetch(`${h.endpoint}/api/get?request_id=${row.request_id}`)
      return g.status === 200 ? g.text() : undefined
    }, 10_000, 50)
    expect(got).toContain('"pw"')
    expect(got).not.toContain(PASSWORD)
    expect((await h.sky(['status', '-v', '-o', 'json'])).stdout).not.toContain(PASSWORD)
    expect((await h.sky(['down', 'pw', '-y'], { timeoutMs: 60_000 })).code).toBe(0)
    // Taken down: the cluster key is no longer authorised anywhere.
    expect(readFileSync(join(hosts.hosts[1]!.home, '.ssh/authorized_keys'), 'utf8')).not.toContain('sky-cluster:pw-')
  }, 240_000)

  test("failover: the optimizer's chosen host is down, only that host is blocked and another one takes the cluster", async () => {
    const [a, b] = hosts.hosts
    if (!a!.netns) return // loopback mode cannot cut one host off
    const hf = await tempHome()
    const peer = Bun.spawnSync(['ip', '-n', a!.netns, '-o', 'link', 'show']).stdout.toString().match(/\d+: (skyt[^@:]+)/)?.[1]
    try {
      writeFileSync(join(hf.dir, 'ssh_node_pools.yaml'), poolYaml([a!, b!], a!.user, hosts.keyPath).replace('my-pool', 'fo'))
      expect((await hf.sky(['check', 'ssh'])).stdout).toContain('fo')
      Bun.spawnSync(['ip', '-n', a!.netns, 'link', 'set', peer!, 'down'])
      const r = await hf.sky(['launch', '-y', '-c', 'fo1', '--infra', 'ssh/fo', '--', 'echo on-$(hostname -I 2>/dev/null | cut -d" " -f1)'], { timeoutMs: 120_000 })
      if (r.code !== 0) throw new Error(out(r))
      expect(out(r)).toContain(`↺ SSH (fo) failed (capacity): ${a!.ip}`)
      expect(out(r)).toContain(`on-${b!.ip}`)
      expect((await hf.sky(['down', '-y', 'fo1'], { timeoutMs: 60_000 })).code).toBe(0)
    } finally {
      Bun.spawnSync(['ip', '-n', a!.netns, 'link', 'set', peer!, 'up'])
      await hf.sky(['down', '-a', '-y'], { timeoutMs: 60_000 })
      await hf.cleanup()
    }
  }, 240_000)
})

export { requestRow }
