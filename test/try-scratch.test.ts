import { test, expect } from 'bun:test'
import { tempHome } from '/work/wt/aws/test/harness'
import { startAwsWorld } from '/work/wt/aws/test/harness/aws/world'

test('try', async () => {
  const world = await startAwsWorld({ hosts: 3 })
  const h = await tempHome()
  Object.assign(h.env, world.env)
  h.config(world.configYaml())
  try {
    let r = await h.sky(['check', 'aws'])
    console.log(r.code, r.stdout, r.stderr)
    r = await h.sky(['gpus', 'list', '--infra', 'aws'])
    console.log(r.code, r.stdout.slice(0, 800), r.stderr)
    let t = Date.now()
    r = await h.sky(['launch', '-y', '-c', 'one', '--infra', 'aws', '--', 'echo hello; hostname; echo $SKYPILOT_NODE_IPS'], { timeoutMs: 120000 })
    console.log('launch ms', Date.now() - t, r.code, r.stdout, r.stderr)
    r = await h.sky(['status'])
    console.log(r.stdout)
    r = await h.sky(['down', '-y', 'one'], { timeoutMs: 120000 })
    console.log(r.code, r.stdout, r.stderr)
  } finally {
    await h.cleanup()
    await world.stop()
  }
}, 300000)
