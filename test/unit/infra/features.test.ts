// Which infra can run a task's docker image, cloud storage mounts and volumes; the optimizer
// rejects the rest with the reason, before anything is provisioned.
import { describe, expect, test } from 'bun:test'
import { featureFilter, taskNeeds, unsupportedReason } from '../../../src/core/infra/features'
import { optimize } from '../../../src/core/optimizer'
import { parseDag } from '../../../src/core/task/dag-parse'
import { ResourcesUnavailableError } from '../../../src/core/errors'
import { applyAllowLists, type InfraCheck } from '../../../src/core/infra/check'
import { exitForJobStatus, jobOutcomeMessage } from '../../../src/cli/job-exit'

const task = (yaml: string) => parseDag(yaml).tasks[0]!
const live = [{ infra: 'local' as const, region: 'local', name: 'localhost', cpus: 8, memoryGb: 32 }]

describe('task features per infra', () => {
  test('a docker image runs on Kubernetes, not on local, SSH, AWS or GCP (tasks run on the host or VM there)', () => {
    const t = task('resources:\n  image_id: docker:ubuntu:22.04\nrun: echo ok\n')
    const r = t.resources.candidates[0]!
    expect(unsupportedReason([], 'local', r)).toBe('cannot run image_id docker:ubuntu:22.04: Local runs tasks directly on the host, not in containers')
    expect(unsupportedReason([], 'ssh', r)).toContain('SSH runs tasks directly on the host')
    expect(unsupportedReason([], 'aws', r)).toBe('cannot run image_id docker:ubuntu:22.04: AWS runs tasks directly on the host, not in containers')
    expect(unsupportedReason([], 'gcp', r)).toBe('cannot run image_id docker:ubuntu:22.04: GCP runs tasks directly on the host, not in containers')
    expect(unsupportedReason([], 'kubernetes', r)).toBeUndefined()
    expect(unsupportedReason([], 'local', { imageId: 'ami-123' })).toBeUndefined()
  })

  test('cloud storage mounts and volumes are needs of the whole task', () => {
    const t = task('file_mounts:\n  /data: s3://bucket/path\n  /ckpt:\n    name: my-bucket\n    mode: MOUNT\nvolumes:\n  /mnt/vol: vol1\nrun: echo ok\n')
    const needs = taskNeeds(t)
    expect(needs.map((n) => n.feature)).toEqual(['storage', 'storage', 'volumes'])
    expect(unsupportedReason(needs, 'local', {})).toContain('cannot mount cloud storage (file_mounts./data: s3://bucket/path)')
    expect(unsupportedReason(needs, 'aws', {})).toContain('cannot mount volumes')
    // Kubernetes pods launch in this build, without bucket mounts or PVCs yet.
    expect(unsupportedReason(needs, 'kubernetes', {})).toContain('cannot mount cloud storage')
    expect(unsupportedReason(needs.filter((n) => n.feature === 'volumes'), 'kubernetes', {})).toContain('cannot mount volumes')
  })

  test('the optimizer rejects infra without the feature, with the reason, and plans elsewhere', () => {
    const t = task('resources:\n  image_id: docker:python:3.11\nrun: echo ok\n')
    expect(() => optimize({ spec: t.resources, enabled: { infra: ['local'] }, liveNodes: live, unsupported: featureFilter(t) })).toThrow(ResourcesUnavailableError)
    try {
      optimize({ spec: t.resources, enabled: { infra: ['local'] }, liveNodes: live, unsupported: featureFilter(t) })
    } catch (e) {
      expect((e as Error).message).toContain('local: cannot run image_id docker:python:3.11')
    }
    const k8s = [...live, { infra: 'kubernetes' as const, region: 'ctx', name: 'node-1', cpus: 8, memoryGb: 32 }]
    const plan = optimize({ spec: t.resources, enabled: { infra: ['local', 'aws', 'gcp', 'kubernetes'], regions: { kubernetes: ['ctx'] } }, liveNodes: k8s, unsupported: featureFilter(t) })
    expect(plan.chosen.infra).toBe('kubernetes')
  })
})

describe('allow-lists from the config', () => {
  const checks: InfraCheck[] = [
    { infra: 'local', enabled: true, reason: 'this machine', regions: ['local'], capabilities: ['compute'] },
    { infra: 'ssh', enabled: true, reason: '2 pools', regions: ['a', 'b'], capabilities: ['compute'] },
    { infra: 'kubernetes', enabled: true, reason: 'kubeconfig', regions: ['dev', 'prod'], capabilities: ['compute'] },
    { infra: 'aws', enabled: true, reason: 'env', capabilities: ['compute', 'storage'] },
  ]
  test('allowed_clouds disables what it does not list (k8s spelling accepted)', () => {
    const out = applyAllowLists(checks, { allowed_clouds: ['k8s', 'ssh'] })
    expect(out.filter((c) => c.enabled).map((c) => c.infra)).toEqual(['ssh', 'kubernetes'])
    expect(out.find((c) => c.infra === 'local')!.reason).toContain('not in allowed_clouds')
  })
  test('allowed_contexts (in its order) and allowed_node_pools narrow, and say what they left out', () => {
    const out = applyAllowLists(checks, { kubernetes: { allowed_contexts: ['prod', 'gone'] }, ssh: { allowed_node_pools: ['b'] } })
    expect(out.find((c) => c.infra === 'kubernetes')).toMatchObject({ regions: ['prod'], details: ['dev: skipped, not in kubernetes.allowed_contexts'] })
    expect(out.find((c) => c.infra === 'ssh')!.regions).toEqual(['b'])
    const none = applyAllowLists(checks, { ssh: { allowed_node_pools: ['zzz'] } }).find((c) => c.infra === 'ssh')!
    expect(none.enabled).toBe(false)
    expect(none.reason).toContain('ssh.allowed_node_pools')
    expect(applyAllowLists(checks, { kubernetes: { allowed_contexts: 'all' } })).toEqual(checks)
  })
})

describe('job outcomes', () => {
  test("SkyPilot's JobExitCode", () => {
    expect([null, 'SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'FAILED_DRIVER', 'CANCELLED', 'RUNNING', 'PENDING'].map((s) => exitForJobStatus(s))).toEqual([102, 0, 100, 100, 100, 103, 101, 101])
    expect(jobOutcomeMessage('c1', { job_id: 4, job_status: 'FAILED', exit_code: 3 })).toBe("Job 4 on cluster 'c1' failed with exit code 3 (status: FAILED).")
    expect(jobOutcomeMessage('c1', { job_status: null })).toBe("No job found on cluster 'c1'.")
  })
})
