// Orphan reconciliation against the Compute test server: instances this API server made for a
// cluster it has no record of are deleted (with the cluster's firewall rules); clusters with a
// record, and instances another API server made in the same project, are left alone.
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
import { waitFor } from '../../harness'
import { setEnv } from '../../harness/cloud/env'
import { createGceServer, type GceServer } from '../../harness/gce/server'

const USER = { id: 'feedbeef', name: 'alice' }
let gce: GceServer
let store: Store
let dir: string
let restore = () => {}

const resources: LaunchedResources = {
  infra: 'gcp', region: 'us-east1', zone: 'us-east1-c', instanceType: 'n2-standard-2', useSpot: false, numNodes: 1, cpus: 2, memoryGb: 8,
  accelerators: null, diskSizeGb: null, diskTier: null, networkTier: null, imageId: null, ports: [], labels: {}, hosts: null, hourlyPrice: 0.097,
}

beforeAll(async () => {
  gce = createGceServer()
  restore = setEnv({ GOOGLE_COMPUTE_CUSTOM_ENDPOINT: gce.endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: gce.token, GOOGLE_CLOUD_PROJECT: gce.project })
  dir = mkdtempSync(join(tmpdir(), 'sky-reconcile-'))
  store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') })
})
afterAll(async () => {
  await store?.close()
  restore()
  await gce?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function provision(name: string): Promise<string> {
  const p = await provisionerFor('gcp')
  const onCloud = nameOnCloud(name, USER.id)
  await p.provision({ cluster: { name, nameOnCloud: onCloud, userHash: USER.id }, resources, tags: clusterTags(name, onCloud, USER.id), resume: null, signal: new AbortController().signal, log: () => {} })
  return onCloud
}

const statusOf = (onCloud: string) => gce.instances().filter((i) => i.labels?.['skypilot-cluster-name'] === onCloud).map((i) => i.status)
async function rules(onCloud: string): Promise<string[]> {
  const r = await fetch(`${gce.endpoint}/compute/v1/projects/${gce.project}/global/firewalls`, { headers: { authorization: `Bearer ${gce.token}` } })
  return (((await r.json()) as { items?: { name: string }[] }).items ?? []).map((f) => f.name).filter((n) => n.startsWith(`sky-${onCloud}-`))
}

test('deletes only the clusters this server made and has no record of, with their firewall rules', async () => {
  const kept = await provision('kept')
  await store.clusters.upsert(intentRecord('kept', USER, resources, null))
  const orphan = await provision('orphan')
  expect((await rules(orphan)).sort()).toEqual([`sky-${orphan}-internal`, `sky-${orphan}-ssh`])
  // Another API server's instance in the same project: labelled, but not with this server's id.
  const other = await fetch(`${gce.endpoint}/compute/v1/projects/${gce.project}/zones/us-east1-b/instances`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gce.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'theirs-0000-head', machineType: 'zones/us-east1-b/machineTypes/e2-small', labels: { 'skypilot-cluster-name': 'theirs-0000', 'skypilot-server': '0123456789ab' },
      disks: [{ boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } }], networkInterfaces: [{ network: 'global/networks/default' }],
    }),
  })
  expect(other.status).toBe(200)
  const lines: string[] = []
  const [r] = await reconcileOrphans(store, ['gcp'], (l) => lines.push(l))
  expect(r).toEqual({ infra: 'gcp', terminated: [orphan], errors: [] })
  expect(lines.join('\n')).toContain(`Terminating orphaned gcp instances of '${orphan}' in us-east1 (no cluster record)`)
  expect(statusOf(orphan)).toEqual([])
  expect(await rules(orphan)).toEqual([])
  expect(statusOf(kept)).toEqual(['RUNNING'])
  expect(await waitRunning('theirs-0000')).toEqual(['RUNNING'])
  // Nothing left to do the second time.
  expect((await reconcileOrphans(store, ['gcp']))[0]!.terminated).toEqual([])
}, 60_000)

/** The instance's statuses once the first is RUNNING (or whatever they are at the deadline, for the assertion). */
async function waitRunning(onCloud: string): Promise<string[]> {
  await waitFor(() => statusOf(onCloud)[0] === 'RUNNING', 5_000, 20).catch(() => undefined)
  return statusOf(onCloud)
}
