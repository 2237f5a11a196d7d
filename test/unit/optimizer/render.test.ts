import { describe, expect, test } from 'bun:test'
import { optimize, planRows, renderPlan } from '../../../src/core/optimizer'
import type { LiveNode } from '../../../src/core/optimizer'
import type { Resources } from '../../../src/core/task/types'
import { renderTable, stripAnsi, visibleWidth } from '../../../src/lib/table'

const single = (r: Resources = {}) => ({ mode: 'single' as const, candidates: [r] })

describe('renderTable', () => {
  test('auto widths, two-space gap, no trailing spaces', () => {
    const t = renderTable(['NAME', 'N'], [
      ['a', 1],
      ['longer', 22],
    ])
    expect(t).toBe('NAME    N\na       1\nlonger  22')
  })

  test('right alignment, indent, empty cells', () => {
    const t = renderTable([{ header: 'X' }, { header: 'COST', align: 'right' }], [['a', '1.5'], [null, '10.25']], { indent: 1 })
    expect(t).toBe(' X   COST\n a    1.5\n    10.25')
  })

  test('ANSI colours do not change the layout', () => {
    const plain = renderTable(['A', 'B'], [['red', 'x'], ['y', 'z']])
    const colored = renderTable(['A', 'B'], [['\x1b[31mred\x1b[0m', 'x'], ['y', '\x1b[1mz\x1b[0m']], {
      headerStyle: (s) => `\x1b[1m${s}\x1b[0m`,
    })
    expect(stripAnsi(colored)).toBe(plain)
    expect(visibleWidth('\x1b[32m✔\x1b[0m')).toBe(1)
    expect(visibleWidth('日本')).toBe(4)
  })
})

describe('renderPlan', () => {
  test('default request across AWS and GCP', () => {
    const p = optimize({ spec: single(), enabled: { infra: ['aws', 'gcp'] } })
    expect(renderPlan(p)).toBe(
      [
        'Target: minimizing cost',
        'Estimated cost: $0.4 / hour',
        '',
        'Considered resources (1 node):',
        'INFRA              INSTANCE       vCPUs  Mem(GB)  GPUS  COST ($)  CHOSEN',
        'AWS (us-east-1)    m6i.2xlarge    8      32       -     0.38      ✔',
        'GCP (us-central1)  n2-standard-8  8      32       -     0.39',
      ].join('\n'),
    )
  })

  test('one row per (infra, GPUs, market) group, cheapest kept', () => {
    const p = optimize({ spec: single({ accelerator: { name: 'A10G', count: 1 } }), enabled: { infra: ['aws'] } })
    const rows = planRows(p)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ infra: 'AWS (us-east-1)', instance: 'g5.xlarge', gpus: 'A10G:1', cost: '1.01', chosen: true })
    expect(planRows(p, { verbose: true }).length).toBe(p.candidates.length)
    // A single row: no "Target" header.
    expect(renderPlan(p).split('\n')[0]).toBe('Considered resources (1 node):')
  })

  test('spot suffix, node count, task name', () => {
    const p = optimize({ spec: single({ useSpot: true, infra: { cloud: 'aws' } }), numNodes: 2, enabled: { infra: ['aws'] } })
    const text = renderPlan(p, { taskName: 'train' })
    expect(text).toContain("Considered resources for task 'train' (2 nodes):")
    expect(text).toMatch(/AWS \(us-east-1\)\s+m6i\.2xlarge\[Spot\]\s+8\s+32\s+-\s+0\.32\s+✔/)
  })

  test('Kubernetes and SSH rows per context / pool with "-" instance; local first at zero cost', () => {
    const liveNodes: LiveNode[] = [
      { infra: 'kubernetes', region: 'ctx-a', name: 'n1', cpus: 16, memoryGb: 64 },
      { infra: 'kubernetes', region: 'ctx-b', name: 'n2', cpus: 16, memoryGb: 64 },
      { infra: 'ssh', region: 'lab', name: 'h1', cpus: 16, memoryGb: 64 },
    ]
    const p = optimize({
      spec: single({ cpus: { value: 4, orMore: true } }),
      enabled: { infra: ['kubernetes', 'ssh', 'aws'], regions: { kubernetes: ['ctx-a', 'ctx-b'], ssh: ['lab'] } },
      liveNodes,
    })
    const lines = renderPlan(p).split('\n')
    expect(lines[0]).toBe('Target: minimizing cost')
    expect(lines[1]).toBe('Estimated cost: $0.0 / hour')
    const body = lines.slice(4)
    expect(body[0].split(/\s{2,}/)).toEqual(['INFRA', 'INSTANCE', 'vCPUs', 'Mem(GB)', 'GPUS', 'COST ($)', 'CHOSEN'])
    expect(body[1].split(/\s{2,}/)).toEqual(['Kubernetes (ctx-a)', '-', '4', '4', '-', '0.00', '✔'])
    expect(body[2].split(/\s{2,}/)).toEqual(['Kubernetes (ctx-b)', '-', '4', '4', '-', '0.00'])
    expect(body[3].split(/\s{2,}/)).toEqual(['SSH (lab)', '-', '4', '4', '-', '0.00'])
    expect(body[4].split(/\s{2,}/)).toEqual(['AWS (us-east-1)', 'm6i.xlarge', '4', '16', '-', '0.19'])
  })

  test('local row, pinned zone label, ordered note, colours', () => {
    const local = optimize({
      spec: single(),
      enabled: { infra: ['local'] },
      liveNodes: [{ infra: 'local', region: 'local', name: 'localhost', cpus: 8, memoryGb: 31.3, shared: true, defaults: { cpus: 0.5, memoryGbPerCpu: 1, memoryGbPerCpuWithGpus: 4 } }],
    })
    expect(planRows(local)[0]).toMatchObject({ infra: 'Local', instance: '-', vcpus: '0.5', memory: '0.5', cost: '0.00' })
    const zone = optimize({ spec: single({ infra: { cloud: 'aws', zone: 'us-east-1c' } }), enabled: { infra: ['aws'] } })
    expect(planRows(zone)[0].infra).toBe('AWS (us-east-1c)')
    const ordered = optimize({
      spec: { mode: 'ordered', candidates: [{ accelerator: { name: 'H100', count: 8 } }, { accelerator: { name: 'A100', count: 8 } }] },
      enabled: { infra: ['aws'] },
    })
    const text = renderPlan(ordered)
    expect(text).toContain('Using user-specified resources list (will be tried in the listed order).')
    const rows = planRows(ordered)
    expect(rows.map((r) => r.gpus)).toEqual(['H100:8', 'A100:8'])
    const colored = renderPlan(ordered, { color: true })
    expect(colored).toContain('\x1b[32m✔\x1b[0m')
    expect(stripAnsi(colored)).toBe(text)
  })
})
