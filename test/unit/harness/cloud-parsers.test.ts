// Parsers inside the cloud test peers: the Compute list filter, cloud-config and ssh-keys key
// extraction, and the fault rule book.
import { expect, test } from 'bun:test'
import { cloudConfigKeys } from '../../harness/aws/ec2-raw.ts'
import { metadataKeys } from '../../harness/cloud/instance-sources.ts'
import { FaultBook } from '../../harness/cloud/faults.ts'
import { applyFilter, parseFilter } from '../../harness/gce/filter.ts'

const vms = [
  { name: 'sky-a-head', status: 'RUNNING', labels: { 'skypilot-cluster-name': 'a', role: 'head' }, scheduling: { provisioningModel: 'SPOT' }, zone: 'https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a' },
  { name: 'sky-a-w1', status: 'STOPPING', labels: { 'skypilot-cluster-name': 'a' }, scheduling: { provisioningModel: 'STANDARD' }, zone: 'https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-b' },
  { name: 'other', status: 'TERMINATED', labels: {}, scheduling: {}, zone: 'https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a' },
]
const names = (f: string) => applyFilter(vms, f).map((v) => v.name)

test('Compute list filters', () => {
  expect(names('labels.skypilot-cluster-name = a')).toEqual(['sky-a-head', 'sky-a-w1'])
  expect(names('labels.skypilot-cluster-name = "a" AND status = RUNNING')).toEqual(['sky-a-head'])
  expect(names('(labels.skypilot-cluster-name = a) (status != RUNNING)')).toEqual(['sky-a-w1'])
  expect(names('(status = RUNNING) OR (status = STOPPING)')).toEqual(['sky-a-head', 'sky-a-w1'])
  // OR binds tighter than AND: a AND (b OR c)
  expect(names('labels.skypilot-cluster-name = a AND status = TERMINATED OR status = STOPPING')).toEqual(['sky-a-w1'])
  expect(names('labels.role:*')).toEqual(['sky-a-head'])
  expect(names('NOT labels.role:*')).toEqual(['sky-a-w1', 'other'])
  expect(names('-labels.skypilot-cluster-name = a')).toEqual(['other'])
  expect(names('name eq sky-.*-head')).toEqual(['sky-a-head'])
  expect(names("name ne 'sky-.*'")).toEqual(['other'])
  expect(names('name = sky-*')).toEqual(['sky-a-head', 'sky-a-w1'])
  expect(names('zone = us-central1-a')).toEqual(['sky-a-head', 'other'])
  expect(names('scheduling.provisioningModel = SPOT')).toEqual(['sky-a-head'])
  expect(names('')).toEqual(['sky-a-head', 'sky-a-w1', 'other'])
  expect(() => parseFilter('labels.a = (')).toThrow(/Invalid list filter expression/)
  expect(() => parseFilter('labels.a')).toThrow(/expected an operator/)
  expect(() => parseFilter('(status = RUNNING')).toThrow(/expected '\)'/)
})

test('keys a booting VM would authorize', () => {
  const ud = '#cloud-config\nusers:\n  - name: ubuntu\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAA1 one\n      - "ssh-rsa AAAA2 two"\nruncmd:\n  - echo ssh-ed25519 not-a-key\n'
  expect(cloudConfigKeys(ud)).toEqual(['ssh-ed25519 AAAA1 one', 'ssh-rsa AAAA2 two'])
  expect(cloudConfigKeys('#cloud-config\nssh_authorized_keys: [ssh-ed25519 AAAA3 x]\n')).toEqual(['ssh-ed25519 AAAA3 x'])
  expect(cloudConfigKeys('#!/bin/bash\necho ssh-ed25519 AAAA')).toEqual([])
  expect(metadataKeys([{ key: 'ssh-keys', value: 'gcpuser:ssh-ed25519 AAAA4 a\nbad line\nroot:ssh-rsa AAAA5 b' }, { key: 'startup-script', value: 'x' }])).toEqual(['ssh-ed25519 AAAA4 a', 'ssh-rsa AAAA5 b'])
})

test('fault rules: first live match wins, times counts down, lists match any value', () => {
  const book = new FaultBook<{ zone?: string; action: string }, { zone?: string | string[]; action?: string; times?: number; fault: string }>(['zone', 'action'])
  const a = book.add({ zone: ['z1', 'z2'], fault: 'A', times: 2 })
  const b = book.add({ action: 'Run', fault: 'B' })
  expect(book.take({ zone: 'z2', action: 'Run' })?.fault).toBe('A')
  expect(book.take({ zone: 'z1', action: 'Run' })?.fault).toBe('A')
  expect(book.take({ zone: 'z1', action: 'Run' })?.fault).toBe('B')
  expect(book.take({ action: 'Describe' })).toBeUndefined()
  expect([a.hits, a.remaining, b.hits, b.remaining]).toEqual([2, 0, 1, undefined])
  b.remove()
  expect(book.take({ zone: 'z3', action: 'Run' })).toBeUndefined()
  expect(() => book.add({ fault: 'C', times: 0 })).toThrow(/positive integer/)
})
