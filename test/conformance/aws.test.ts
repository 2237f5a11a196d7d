// The conformance suite against the aws provisioner: moto's EC2 behind the fault proxy, each
// instance mapped to its own sshd host through `aws.ssh_proxy_command`, so the agent really runs
// "on" the instances. Instances that are stopped or terminated lose their processes (power).
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { resetConfig } from '../../src/core/config'
import type { LaunchedResources } from '../../src/core/provision/types'
import { setEnv } from '../harness/cloud/env'
import { startAwsWorld } from '../harness/aws/world'
import { conformance } from './suite'

const base = (numNodes: number): LaunchedResources => ({
  infra: 'aws',
  region: 'us-east-1',
  zone: 'us-east-1a',
  instanceType: 'm6i.large',
  useSpot: false,
  numNodes,
  cpus: 2,
  memoryGb: 8,
  accelerators: null,
  diskSizeGb: null,
  diskTier: null,
  networkTier: null,
  imageId: null,
  ports: [],
  labels: {},
  hosts: null,
  hourlyPrice: 0.096,
})

conformance(async () => {
  const world = await startAwsWorld({ hosts: 3, regions: ['us-east-1'] })
  const restore = setEnv(world.env)
  writeFileSync(join(process.env.SKY_HOME!, 'config.yaml'), world.configYaml())
  resetConfig()
  // The instance type the peer never has capacity for.
  world.peer.proxy.fail({ fault: 'InsufficientInstanceCapacity', instanceType: 'p5.48xlarge' })
  return {
    infra: 'aws',
    resources: base,
    tooBig: () => ({ ...base(1), instanceType: 'p5.48xlarge', cpus: 192, memoryGb: 2048, accelerators: { name: 'H100', count: 8 } }),
    async leftovers(nameOnCloud) {
      await world.power.sweep()
      return (await world.instances(nameOnCloud)).filter((i) => i.state !== 'terminated').map((i) => `${i.id}: ${i.state}`)
    },
    childEnv: () => ({ SKY_HOME: process.env.SKY_HOME!, ...world.env }),
    async cleanup() {
      rmSync(join(process.env.SKY_HOME!, 'config.yaml'), { force: true })
      resetConfig()
      restore()
      await world.stop()
    },
  }
})
