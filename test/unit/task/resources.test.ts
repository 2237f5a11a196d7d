import { describe, expect, test } from 'bun:test'
import { resourcesSpecToString, resourcesToString } from '../../../src/core/task/display'
import type { Resources } from '../../../src/core/task/types'
import { res, task } from './helpers'

describe('resources: infra and legacy location', () => {
  test.each<[string, Resources['infra']]>([
    ['infra: aws', { cloud: 'aws' }],
    ['infra: AWS', { cloud: 'aws' }],
    ['infra: aws/us-east-1', { cloud: 'aws', region: 'us-east-1' }],
    ['infra: aws/us-east-1/us-east-1a', { cloud: 'aws', region: 'us-east-1', zone: 'us-east-1a' }],
    ['infra: k8s', { cloud: 'kubernetes' }],
    ['infra: kubernetes', { cloud: 'kubernetes' }],
    ['infra: k8s/my-ctx', { cloud: 'kubernetes', region: 'my-ctx' }],
    [
      'infra: kubernetes/arn:aws:eks:us-east-1:123456789012:cluster/my-cluster',
      { cloud: 'kubernetes', region: 'arn:aws:eks:us-east-1:123456789012:cluster/my-cluster' },
    ],
    ['infra: ssh/my-pool', { cloud: 'ssh', region: 'my-pool' }],
    ['infra: local', { cloud: 'local' }],
    ['infra: "*/us-east-1"', { region: 'us-east-1' }],
    ['infra: "aws/*/us-east-1a"', { cloud: 'aws', zone: 'us-east-1a' }],
    ['infra: "*/*/us-east-1a"', { zone: 'us-east-1a' }],
    ['infra: gcp/us-central1/', { cloud: 'gcp', region: 'us-central1' }],
    ['infra: azure/eastus', { cloud: 'azure', region: 'eastus' }],
    ['infra: lambda', { cloud: 'lambda' }],
    ['infra: RunPod', { cloud: 'runpod' }],
    ['infra: nebius/eu-north1', { cloud: 'nebius', region: 'eu-north1' }],
    ['infra: oci', { cloud: 'oci' }],
    ['infra: slurm/mycluster', { cloud: 'slurm', region: 'mycluster' }],
    ['cloud: aws', { cloud: 'aws' }],
    ['cloud: GCP\nregion: us-central1\nzone: us-central1-a', { cloud: 'gcp', region: 'us-central1', zone: 'us-central1-a' }],
    ['region: us-west-2', { region: 'us-west-2' }],
    ['cloud: kubernetes', { cloud: 'kubernetes' }],
  ])('%s', (yaml, infra) => {
    expect(res(yaml).infra).toEqual(infra)
  })

  test('"*" alone means anywhere', () => {
    expect(res('infra: "*"').infra).toBeUndefined()
  })
})

describe('resources: hardware', () => {
  test.each<[string, Partial<Resources>]>([
    ['cpus: 4', { cpus: { value: 4, orMore: false } }],
    ['cpus: 0.5', { cpus: { value: 0.5, orMore: false } }],
    ['cpus: "4"', { cpus: { value: 4, orMore: false } }],
    ['cpus: 4+', { cpus: { value: 4, orMore: true } }],
    ['memory: 16', { memory: { value: 16, orMore: false } }],
    ['memory: 16+', { memory: { value: 16, orMore: true } }],
    ['memory: 32GB+', { memory: { value: 32, orMore: true } }],
    ['memory: 1TB', { memory: { value: 1024, orMore: false } }],
    ['memory: 512MB', { memory: { value: 0.5, orMore: false } }],
    ['memory: 4x', { memory: { value: 4, orMore: false, perCpu: true } }],
    ['instance_type: p4d.24xlarge', { instanceType: 'p4d.24xlarge' }],
    ['instance_type: 4CPU--16GB--H100:1', { instanceType: '4CPU--16GB--H100:1' }],
    ['use_spot: true', { useSpot: true }],
    ['use_spot: false', { useSpot: false }],
    ['disk_size: 100', { diskSize: 100 }],
    ['disk_size: 100GB', { diskSize: 100 }],
    ['disk_size: "256"', { diskSize: 256 }],
    ['disk_size: 1TB', { diskSize: 1024 }],
    ['disk_size: 2Ti', { diskSize: 2048 }],
    ['disk_size: 1500MB', { diskSize: 1 }],
    ['disk_size: "100.5"', { diskSize: 100 }],
    ['disk_size: 1.5TB', { diskSize: 1536 }],
    ['disk_tier: best', { diskTier: 'best' }],
    ['disk_tier: HIGH', { diskTier: 'high' }],
    ['network_tier: best', { networkTier: 'best' }],
    ['network_tier: standard', { networkTier: 'standard' }],
    ['local_disk: nvme:500GB+', { localDisk: 'nvme:500GB+' }],
    ['max_hourly_cost: 10.5', { maxHourlyCost: 10.5 }],
    ['priority: -1000', { priority: -1000 }],
    ['priority: 1000', { priority: 1000 }],
    ['priority_class: high', { priorityClass: 'high' }],
  ])('%s', (yaml, want) => {
    expect(res(yaml)).toEqual(want as Resources)
  })
})

describe('resources: accelerators', () => {
  test.each<[string, Resources['accelerator']]>([
    ['accelerators: H100', { name: 'H100', count: 1 }],
    ['accelerators: H100:8', { name: 'H100', count: 8 }],
    ['accelerators: V100:0.5', { name: 'V100', count: 0.5 }],
    ['accelerators: A100-80GB:4', { name: 'A100-80GB', count: 4 }],
    ['accelerators: tpu-v5e-8', { name: 'tpu-v5e-8', count: 1 }],
    ['accelerators: {A100: 1}', { name: 'A100', count: 1 }],
    ['accelerators: {A100: 0.25}', { name: 'A100', count: 0.25 }],
    ['accelerators: {L4}', { name: 'L4', count: 1 }],
    ['accelerators: [A100:2]', { name: 'A100', count: 2 }],
    ['gpus: L4:2', { name: 'L4', count: 2 }],
    ['accelerators: 80GB+', { name: '80GB+', count: 1, byMemory: { memoryGb: 80, orMore: true } }],
    ['accelerators: 48GB:2', { name: '48GB', count: 2, byMemory: { memoryGb: 48, orMore: false } }],
    ['accelerators: nvidia:80GB+', { name: 'nvidia:80GB+', count: 1, byMemory: { memoryGb: 80, orMore: true, manufacturer: 'nvidia' } }],
    ['accelerators: nvidia:24GB+:4', { name: 'nvidia:24GB+', count: 4, byMemory: { memoryGb: 24, orMore: true, manufacturer: 'nvidia' } }],
  ])('%s', (yaml, accel) => {
    expect(res(yaml).accelerator).toEqual(accel)
  })

  test.each([
    ['list → ordered alternatives', "accelerators: ['L4:1', 'A100:1']", 'ordered', ['L4', 'A100']],
    ['set literal → unordered', "accelerators: {'L4:1', 'A100:1'}", 'any_of', ['L4', 'A100']],
    ['plain set → unordered', 'accelerators: {L4:1, A10G:1, A100:1}', 'any_of', ['L4', 'A10G', 'A100']],
    ['multi-key mapping → unordered', 'accelerators: {A100: 1, V100: 2}', 'any_of', ['A100', 'V100']],
    ['string set from CLI', 'accelerators: "{A100:1, V100:1}"', 'any_of', ['A100', 'V100']],
    ['duplicates collapse', 'accelerators: [L4:1, L4:1]', 'single', ['L4']],
    ['list of one-key mappings → ordered', 'accelerators: [{T4: 1}, {L4: 2}]', 'ordered', ['T4', 'L4']],
    ['list item mapping with null count', 'accelerators: [{T4: 1}, {V100: null}]', 'ordered', ['T4', 'V100']],
    ['list mixing strings and mappings', "accelerators: [{T4: 1}, 'V100:2', {A100: 1}]", 'ordered', ['T4', 'V100', 'A100']],
  ])('%s', (_, yaml, mode, names) => {
    const t = task(`resources:\n  cpus: 4\n  ${yaml}\n`)
    expect(t.resources.mode).toBe(mode as 'single')
    expect(t.resources.candidates.map((c) => c.accelerator!.name)).toEqual(names)
    for (const c of t.resources.candidates) expect(c.cpus).toEqual({ value: 4, orMore: false })
  })

  test('accelerator_args', () => {
    expect(res('accelerators: tpu-v4-8\naccelerator_args: {runtime_version: tpu-vm-base, tpu_vm: true, tpu_name: t, gcp_queued_resource: false}').acceleratorArgs).toEqual({
      runtime_version: 'tpu-vm-base',
      tpu_vm: true,
      tpu_name: 't',
      gcp_queued_resource: false,
    })
  })
})

describe('resources: networking, images, labels, lifecycle', () => {
  test.each<[string, Partial<Resources>]>([
    ['ports: 8080', { ports: ['8080'] }],
    ['ports: "8000-8010"', { ports: ['8000-8010'] }],
    ['ports: [8080, "9000-9002", 22]', { ports: ['22', '8080', '9000-9002'] }],
    ['ports: [8080, 8081, 8082]', { ports: ['8080-8082'] }],
    ['ports: "80,443"', { ports: ['80', '443'] }],
    ['ports: null', {}],
    ['image_id: ami-0868a20f5a3bf9702', { imageId: 'ami-0868a20f5a3bf9702' }],
    ['image_id: docker:nvcr.io/nvidia/pytorch:24.01-py3', { imageId: 'docker:nvcr.io/nvidia/pytorch:24.01-py3' }],
    ['image_id: {us-east-1: ami-1, us-west-2: ami-2}', { imageId: { 'us-east-1': 'ami-1', 'us-west-2': 'ami-2' } }],
    ['labels: {team: ml, cost-center: "42", version: 3}', { labels: { team: 'ml', 'cost-center': '42', version: '3' } }],
    ['autostop: true', { autostop: { enabled: true, idleMinutes: 5, down: false } }],
    ['autostop: false', { autostop: { enabled: false, idleMinutes: 0, down: false } }],
    ['autostop: 10', { autostop: { enabled: true, idleMinutes: 10, down: false } }],
    ['autostop: 30m', { autostop: { enabled: true, idleMinutes: 30, down: false } }],
    ['autostop: 2h', { autostop: { enabled: true, idleMinutes: 120, down: false } }],
    ['autostop: 1d', { autostop: { enabled: true, idleMinutes: 1440, down: false } }],
    [
      'autostop: {idle_minutes: 10, down: true, wait_for: none, hook: "git push", hook_timeout: 300}',
      { autostop: { enabled: true, idleMinutes: 10, down: true, waitFor: 'none', hook: 'git push', hookTimeout: 300 } },
    ],
    ['autostop: {down: true}', { autostop: { enabled: true, idleMinutes: 5, down: true } }],
    ['autostop: {wait_for: JOBS_AND_SSH}', { autostop: { enabled: true, idleMinutes: 5, down: false, waitFor: 'jobs_and_ssh' } }],
    ['job_recovery: failover', { jobRecovery: { strategy: 'FAILOVER' } }],
    ['job_recovery: none', {}],
    ['spot_recovery: EAGER_NEXT_REGION', { jobRecovery: { strategy: 'EAGER_NEXT_REGION' } }],
    [
      'job_recovery: {strategy: EAGER_NEXT_REGION, max_restarts_on_errors: 3, recover_on_exit_codes: [33, 34]}',
      { jobRecovery: { strategy: 'EAGER_NEXT_REGION', maxRestartsOnErrors: 3, recoverOnExitCodes: [33, 34] } },
    ],
    ['job_recovery: {max_restarts_on_errors: 1, recover_on_exit_codes: 7}', { jobRecovery: { maxRestartsOnErrors: 1, recoverOnExitCodes: [7] } }],
    ['job_recovery: {strategy: null, plugin_option: 5}', { jobRecovery: { extra: { plugin_option: 5 } } }],
    ['ephemeral_storage: 100GB', { extra: { ephemeral_storage: '100GB' } }],
    ['termination_hook: {command: ./save.sh, timeout: 90}', { extra: { termination_hook: { command: './save.sh', timeout: 90 } } }],
    ['termination_hook:\n  command: |\n    echo bye\n', { extra: { termination_hook: { command: 'echo bye\n' } } }],
    ['autostop: {idle_minutes: 5, down: true}\ntermination_hook: {command: x}', { autostop: { enabled: true, idleMinutes: 5, down: true }, extra: { termination_hook: { command: 'x' } } }],
    ['volumes: [{path: /mnt/disk, name: d1, disk_size: 100, disk_tier: best}]', { extra: { volumes: [{ path: '/mnt/disk', name: 'd1', disk_size: 100, disk_tier: 'best' }] } }],
    [
      '_docker_login_config: {username: u, password: p, server: s}\n_requires_fuse: true\n_anything_internal: 1',
      { extra: { _docker_login_config: { username: 'u', password: 'p', server: 's' }, _requires_fuse: true, _anything_internal: 1 } },
    ],
  ])('%s', (yaml, want) => {
    expect(res(yaml)).toEqual(want as Resources)
  })
})

describe('resources: any_of / ordered', () => {
  test('any_of entries are merged over the base fields', () => {
    const t = task(`resources:
  cpus: 8+
  labels: {team: a}
  any_of:
    - infra: aws/us-west-2
      accelerators: H100
    - infra: gcp
      accelerators: {A100: 8}
      labels: {billing: b}
      cpus: 16
`)
    expect(t.resources.mode).toBe('any_of')
    expect(t.resources.candidates).toEqual([
      { infra: { cloud: 'aws', region: 'us-west-2' }, cpus: { value: 8, orMore: true }, labels: { team: 'a' }, accelerator: { name: 'H100', count: 1 } },
      { infra: { cloud: 'gcp' }, cpus: { value: 16, orMore: false }, labels: { team: 'a', billing: 'b' }, accelerator: { name: 'A100', count: 8 } },
    ])
  })

  test('ordered keeps the order', () => {
    const t = task('resources:\n  accelerators: L4\n  ordered:\n    - infra: gcp/us-east4\n    - infra: aws/us-east-1\n      use_spot: true\n')
    expect(t.resources.mode).toBe('ordered')
    expect(t.resources.candidates.map((c) => c.infra?.cloud)).toEqual(['gcp', 'aws'])
    expect(t.resources.candidates[1]).toMatchObject({ useSpot: true, accelerator: { name: 'L4', count: 1 } })
  })

  test('an accelerator set times any_of entries', () => {
    const t = task('resources:\n  accelerators: {A100: 1, H100: 1}\n  any_of:\n    - infra: aws\n    - infra: gcp\n')
    expect(t.resources.mode).toBe('any_of')
    expect(t.resources.candidates.map((c) => `${c.infra!.cloud}:${c.accelerator!.name}`)).toEqual(['aws:A100', 'aws:H100', 'gcp:A100', 'gcp:H100'])
  })

  test('any_of with one entry stays any_of; empty any_of is the base alone', () => {
    expect(task('resources:\n  any_of:\n    - infra: aws\n').resources).toEqual({ mode: 'any_of', candidates: [{ infra: { cloud: 'aws' } }] })
    expect(task('resources:\n  cpus: 2\n  any_of: []\n').resources).toEqual({ mode: 'single', candidates: [{ cpus: { value: 2, orMore: false } }] })
  })

  test('legacy cloud in base, region in an entry', () => {
    const t = task('resources:\n  cloud: aws\n  any_of:\n    - region: us-east-1\n    - region: us-west-2\n')
    expect(t.resources.candidates.map((c) => c.infra)).toEqual([
      { cloud: 'aws', region: 'us-east-1' },
      { cloud: 'aws', region: 'us-west-2' },
    ])
  })
})

describe('display', () => {
  test('resourcesToString', () => {
    expect(resourcesToString(res('cpus: 4+\nmemory: 16+\naccelerators: L4:1'))).toBe('cpus=4+, mem=16+, L4:1')
    expect(resourcesToString(res('infra: aws/us-east-1\ninstance_type: p3.2xlarge\nuse_spot: true\ndisk_size: 100'))).toBe('aws/us-east-1, p3.2xlarge, spot, disk=100')
    expect(resourcesToString({})).toBe('any')
  })

  test('resourcesSpecToString', () => {
    expect(resourcesSpecToString(task("resources:\n  accelerators: ['L4', 'A100']").resources)).toBe('(L4:1) > (A100:1)')
    expect(resourcesSpecToString(task('resources:\n  accelerators: {L4, A100}').resources)).toBe('(L4:1) | (A100:1)')
    expect(resourcesSpecToString(task('run: x').resources)).toBe('any')
  })
})
