import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../../src/core/errors'
import { idsFlag, parseArgs } from '../../../src/core/agent/args'
import { parseClusterSpec } from '../../../src/core/agent/cluster-spec'
import { parseSubmitSpec } from '../../../src/core/agent/submit-spec'

describe('cluster.json validation', () => {
  test('fills defaults', () => {
    const s = parseClusterSpec({ name: 'c', nodes: [{ home: '/h', ip: '1.2.3.4' }], capacity: { cpus: 4, memoryGb: 8, gpus: null } })
    expect(s).toEqual({
      name: 'c',
      cloud: null,
      region: null,
      zone: null,
      nodes: [{ rank: 0, ip: '1.2.3.4', home: '/h', kind: 'local' }],
      capacity: { cpus: 4, memoryGb: 8, gpus: null },
      onAutostop: null,
      tag: null,
      agentHost: null,
    })
  })

  test('reports every problem with its path', () => {
    try {
      parseClusterSpec({ nodes: [{ rank: 3, kind: 'vm' }, { home: '/w', kind: 'ssh' }], capacity: { cpus: -1, gpus: { name: 'L4', count: 1.5 } } })
      throw new Error('no error')
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError)
      const paths = (e as ValidationError).issues.map((i) => i.path)
      expect(paths).toEqual(expect.arrayContaining(['name', 'nodes[0].kind', 'nodes[0].rank', 'nodes[0].home', 'nodes[1].ssh', 'capacity.cpus', 'capacity.gpus.count']))
    }
  })

  test('ssh workers keep their target; port defaults to 22', () => {
    const s = parseClusterSpec({
      name: 'c',
      nodes: [
        { home: '/home/u', kind: 'ssh' },
        { home: '/home/u', kind: 'ssh', ip: '10.0.0.2', ssh: { host: '10.0.0.2', user: 'u', keyPath: '/k' } },
      ],
      capacity: { cpus: 1, memoryGb: 1 },
    })
    expect(s.nodes[1]!.ssh).toEqual({ host: '10.0.0.2', port: 22, user: 'u', keyPath: '/k' })
  })
})

describe('submit validation', () => {
  test('defaults and normalisation', () => {
    const s = parseSubmitSpec({ user: 'a', userHash: 'h', run: 'echo', setup: '  ', envs: { A: 1, B: null } })
    expect(s).toMatchObject({ numNodes: 1, priority: 0, setup: null, run: 'echo', envs: { A: '1', B: '' }, secrets: {}, demand: {} })
  })

  test('rejects bad fields', () => {
    expect(() => parseSubmitSpec({ numNodes: 1.5 })).toThrow('numNodes')
    expect(() => parseSubmitSpec({ priority: 5000 })).toThrow('priority')
    expect(() => parseSubmitSpec({ envs: { 'BAD-NAME': 'x' } })).toThrow('envs.BAD-NAME')
    expect(() => parseSubmitSpec({ demand: { gpus: { name: 'L4', count: 1.5 } } })).toThrow('whole number')
    expect(() => parseSubmitSpec({ demand: { cpus: -1 } })).toThrow('demand.cpus')
    expect(() => parseSubmitSpec([])).toThrow(ValidationError)
  })
})

describe('agent args', () => {
  test('values, = form and booleans', () => {
    const p = parseArgs(['queue', '--root', '/r', '--user-hash=abc', '--skip-finished'])
    expect(p.cmd).toBe('queue')
    expect(p.values).toEqual({ root: '/r', 'user-hash': 'abc' })
    expect([...p.bools]).toEqual(['skip-finished'])
  })

  test('usage errors', () => {
    expect(() => parseArgs(['nope'])).toThrow("Unknown agent subcommand 'nope'")
    expect(() => parseArgs(['queue', '--follow'])).toThrow('Unknown flag --follow')
    expect(() => parseArgs(['logs', '--job'])).toThrow('--job needs a value')
    expect(() => parseArgs(['logs', 'extra'])).toThrow('Unexpected argument')
    expect(() => idsFlag({ ids: '1,x' })).toThrow('comma-separated')
    expect(idsFlag({ ids: '3, 4,' })).toEqual([3, 4])
  })
})
