// Orphan reconciliation against moto: instances this API server made for a cluster it has no
// record of are terminated; clusters with a record, and instances another API server made in the
// same account, are left alone.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { intentRecord } from '../../../src/core/clusters/record'
import { reconcileOrphans } from '../../../src/core/provision/cloud-vm/reconcile'
import { clusterTags, nameOnCloud } from '../../../src/core/provision/naming'
import { provisionerFor } from '../../../src/core/provision/registry'
import type { LaunchedResources } from '../../../src/core/provision/types'
import { openStore, type Store } from '../../../src/core/state/store'
import { describeInstances, ec2Query } from '../../harness/aws/ec2-raw'
import { startAwsPeer, type AwsPeer } from '../../harness/aws/peer'
import { setEnv } from '../../harness/cloud/env'

const USER = { id: 'feedbeef', name: 'alice' }
let peer: AwsPeer
let store: Store
let dir: string
let restore = () => {}

const resources: LaunchedResources = {
  infra: 'aws', region: 'us-east-1', zone: 'us-east-1b', instanceType: 'm6i.large', useSpot: false, numNodes: 1, cpus: 2, memoryGb: 8,
  accelerators: null, diskSizeGb: null, diskTier: null, networkTier: null, imageId: null, ports: [], labels: {}, hosts: null, hourlyPrice: 0.096,
}

beforeAll(async () => {
  peer = await startAwsPeer()
  restore = setEnv(peer.env)
  dir = mkdtempSync(join(tmpdir(), 'sky-reconcile-'))
  store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') })
}, 60_000)
afterAll(async () => {
  await store?.close()
  restore()
  await peer?.stop()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

async function provision(name: string): Promise<string> {
  const p = await provisionerFor('aws')
  const onCloud = nameOnCloud(name, USER.id)
  await p.provision({ cluster: { name, nameOnCloud: onCloud, userHash: USER.id }, resources, tags: clusterTags(name, onCloud, USER.id), resume: null, signal: new AbortController().signal, log: () => {} })
  return onCloud
}

const stateOf = async (onCloud: string) => (await describeInstances(peer.moto.endpoint, 'us-east-1')).filter((i) => i.tags['skypilot-cluster-name'] === onCloud).map((i) => i.state)

test('terminates only the clusters this server made and has no record of', async () => {
  const kept = await provision('kept')
  await store.clusters.upsert(intentRecord('kept', USER, resources, null))
  const orphan = await provision('orphan')
  // Another API server's instance in the same account: tagged, but not with this server's id.
  await ec2Query(peer.moto.endpoint, 'us-east-1', {
    Action: 'RunInstances', ImageId: 'ami-1', InstanceType: 't3.micro', MinCount: '1', MaxCount: '1',
    'TagSpecification.1.ResourceType': 'instance',
    'TagSpecification.1.Tag.1.Key': 'skypilot-cluster-name', 'TagSpecification.1.Tag.1.Value': 'theirs-0000',
    'TagSpecification.1.Tag.2.Key': 'skypilot-server', 'TagSpecification.1.Tag.2.Value': '0123456789ab',
  })
  const lines: string[] = []
  const [r] = await reconcileOrphans(store, ['aws'], (l) => lines.push(l))
  expect(r).toEqual({ infra: 'aws', terminated: [orphan], errors: [] })
  expect(lines.join('\n')).toContain(`Terminating orphaned aws instances of '${orphan}' in us-east-1 (no cluster record)`)
  expect(await stateOf(orphan)).toEqual(['terminated'])
  expect(await stateOf(kept)).toEqual(['running'])
  expect(await stateOf('theirs-0000')).toEqual(['running'])
  // Nothing left to do the second time.
  expect((await reconcileOrphans(store, ['aws']))[0]!.terminated).toEqual([])
}, 60_000)
