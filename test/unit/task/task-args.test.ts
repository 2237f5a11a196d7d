import { describe, expect, test } from 'bun:test'
import { parseArgs } from 'citty'
import { overridesFromArgs, rawValues, repeatableTaskArgs, taskArgs, hiddenTaskArgs } from '../../../src/cli/task-args'

const parse = (raw: string[]) => overridesFromArgs(parseArgs(raw, { ...taskArgs, yaml: { type: 'positional', required: false } }) as Record<string, unknown>, raw)

describe('task args → TaskOverrides', () => {
  test('every option', () => {
    const o = parse([
      'task.yaml',
      '--workdir', '.',
      '--infra', 'aws/us-east-1',
      '--num-nodes', '2',
      '--cpus', '4+',
      '--memory', '32+',
      '--gpus', 'H100:8',
      '-t', 'p5.48xlarge',
      '--use-spot',
      '--disk-size', '512',
      '--disk-tier', 'best',
      '--network-tier', 'best',
      '--local-disk', 'nvme:100GB',
      '--image-id', 'docker:img',
      '--ports', '8080',
      '--ports=9000-9010',
      '--env', 'A=1',
      '--env=B',
      '--env-file', 'a.env',
      '--secret', 'S=x',
      '--secret', 'T',
      '--secret-file', 's.env',
      '-n', 'job',
      '--priority', '100',
    ])
    expect(o).toEqual({
      workdir: '.',
      infra: 'aws/us-east-1',
      numNodes: '2',
      cpus: '4+',
      memory: '32+',
      gpus: 'H100:8',
      instanceType: 'p5.48xlarge',
      useSpot: true,
      diskSize: '512',
      diskTier: 'best',
      networkTier: 'best',
      localDisk: 'nvme:100GB',
      imageId: 'docker:img',
      ports: ['8080', '9000-9010'],
      envs: ['A=1', 'B'],
      envFile: 'a.env',
      secrets: ['S=x', 'T'],
      secretFile: 's.env',
      name: 'job',
      priority: '100',
    })
  })

  test('--no-use-spot, legacy location flags, nothing else set', () => {
    expect(parse(['--no-use-spot', '--cloud', 'gcp', '--region', 'us-central1', '--zone', 'us-central1-a'])).toEqual({
      useSpot: false,
      cloud: 'gcp',
      region: 'us-central1',
      zone: 'us-central1-a',
    })
    expect(parse([])).toEqual({})
  })

  test('values after -- are not options', () => {
    expect(parse(['--env', 'A=1', '--', 'echo', '--env', 'B=2'])).toEqual({ envs: ['A=1'] })
  })

  test('without raw argv, string | string[] values from citty both work', () => {
    expect(overridesFromArgs({ env: ['A=1', 'B=2'], ports: '80', 'use-spot': 'false', numNodes: 3 })).toEqual({
      envs: ['A=1', 'B=2'],
      ports: ['80'],
      useSpot: false,
      numNodes: '3',
    })
    expect(overridesFromArgs({ gpus: ['A100', 'H100'], cpus: '' })).toEqual({ gpus: 'H100' })
  })

  test('rawValues', () => {
    expect(rawValues(['--env', 'A', '--env=B', '-e', 'C', '--env'], 'env', 'e')).toEqual(['A', 'B', 'C'])
  })

  test('metadata lists', () => {
    for (const k of [...repeatableTaskArgs, ...hiddenTaskArgs]) expect(Object.keys(taskArgs)).toContain(k)
  })
})
