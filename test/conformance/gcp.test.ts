// The conformance suite against the gcp provisioner: the Compute test server driven through the
// real @google-cloud/compute client, each instance mapped to its own sshd host through
// `gcp.ssh_proxy_command`, so the agent really runs "on" the instances. Instances that are stopped
// or deleted lose their processes (power).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { resetConfig } from '../../src/core/config'
import type { LaunchedResources } from '../../src/core/provision/types'
import { setEnv } from '../harness/cloud/env'
import { startGceWorld } from '../harness/gce/world'
import { conformance } from './suite'

const base = (numNodes: number): LaunchedResources => ({
  infra: 'gcp',
  region: 'us-central1',
  zone: 'us-central1-a',
  instanceType: 'n2-standard-2',
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
  hourlyPrice: 0.097,
})

conformance(async () => {
  const world = await startGceWorld({ hosts: 3 })
  const restore = setEnv(world.env)
  writeFileSync(join(process.env.SKY_HOME!, 'config.yaml'), world.configYaml())
  resetConfig()
  // The machine type the server never has capacity for.
  world.gce.fail({ fault: 'ZONE_RESOURCE_POOL_EXHAUSTED', machineType: 'a3-highgpu-8g' })
  return {
    infra: 'gcp',
    resources: base,
    tooBig: () => ({ ...base(1), instanceType: 'a3-highgpu-8g', cpus: 208, memoryGb: 1872, accelerators: { name: 'H100', count: 8 } }),
    async leftovers(nameOnCloud) {
      await world.power.sweep()
      return world.instances(nameOnCloud).map((i) => `${i.name}: ${i.status}`)
    },
    childEnv: () => ({ SKY_HOME: process.env.SKY_HOME!, ...world.env }),
    async cleanup() {
      restore()
      await world.stop()
    },
  }
})
