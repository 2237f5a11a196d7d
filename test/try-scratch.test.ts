import { test } from 'bun:test'
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { tempHome, waitFor } from './harness'
import { startAwsWorld } from './harness/aws/world'

test('try', async () => {
  const world = await startAwsWorld({ hosts: 3 })
  const h = await tempHome()
  Object.assign(h.env, world.env)
  h.config(world.configYaml())
  try {
    await h.sky(['check', 'aws'])
    const rule = world.peer.proxy.fail({ fault: 'AuthFailure' })
    let r = await h.sky(['launch', '-y', '-c', 'au', '--infra', 'aws', '--cpus', '2', '--', 'true'], { timeoutMs: 120000 })
    console.log('AUTH', r.code, r.stdout, r.stderr)
    rule.remove()
    return
    const env = { SKY_AGENT_MINUTE_MS: '300' }
    r = await h.sky(['launch', '-y', '-c', 'as', '--infra', 'aws/us-east-1', '--cpus', '2', '-i', '1', '--', 'true'], { env, timeoutMs: 180_000 })
    console.log(r.code, r.stdout.slice(-300))
    await Bun.sleep(8000)
    for (const [k, host] of Object.entries(world.map.assignments())) {
      const f = join(host.home, '.sky-runtime/logs/autostop.log')
      console.log(k, host.name, existsSync(f) ? readFileSync(f, 'utf8') : 'no log', existsSync(f + '.exit') ? readFileSync(f + '.exit', 'utf8') : '')
      const ag = join(host.home, '.sky-runtime/agent.log')
      console.log(existsSync(ag) ? readFileSync(ag, 'utf8').slice(-1500) : 'no agent log')
    }
    console.log(world.peer.proxy.calls.slice(-10))
  } finally {
    await h.sky(['down', '-a', '-y'], { timeoutMs: 120000 })
    await h.cleanup()
    await world.stop()
  }
}, 300000)
