// Text for `sky check`: one line per infra with its capabilities or the reason it is off, then the
// summary of enabled infra with their contexts / pools as a small tree.
import { descriptor } from '../provision/registry'
import type { InfraCheck } from './check'
import { infraDisplayName } from './types'

export interface RenderCheckOptions {
  /** Wrap text in colours (green enabled, dim reasons); default none. */
  color?: boolean
  /** `sky check -v`: also what was looked at (this machine's size, contexts or pools left out). */
  verbose?: boolean
}

function verboseLines(c: InfraCheck & { capacity?: { cpus: number; memoryGb: number; gpus?: { name: string; count: number } | null } }): string[] {
  const out: string[] = []
  if (c.capacity) {
    const g = c.capacity.gpus ? `${c.capacity.gpus.count}x ${c.capacity.gpus.name}` : 'no GPUs'
    out.push(`${c.capacity.cpus} CPUs, ${c.capacity.memoryGb} GB memory, ${g}`)
  }
  if (c.regions?.length && !(c.regions.length === 1 && c.regions[0] === c.infra)) out.push(`${descriptor(c.infra)?.regionsNoun ?? 'Regions'}: ${c.regions.join(', ')}`)
  out.push(...(c.details ?? []))
  return out
}

function tree(items: string[], indent: string): string[] {
  return items.map((it, i) => `${indent}${i === items.length - 1 ? '└── ' : '├── '}${it}`)
}

function regionLabel(c: InfraCheck): string | undefined {
  const label = descriptor(c.infra)?.regionsLabel
  return label ? `${label}:` : undefined
}

export function renderCheck(checks: InfraCheck[], opts: RenderCheckOptions = {}): string {
  const green = (s: string) => (opts.color ? `\x1b[32m${s}\x1b[0m` : s)
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[0m` : s)
  const lines = ['Checking credentials to enable infra for sky.']
  for (const c of checks) {
    const name = infraDisplayName(c.infra)
    if (c.enabled) {
      lines.push(`  ${name}: ${green('enabled')} [${c.capabilities.join(', ')}]`)
      lines.push(dim(`    ${c.reason}`))
    } else {
      lines.push(`  ${name}: disabled`)
      lines.push(dim(`    Reason: ${c.reason}`))
    }
    if (opts.verbose) for (const l of verboseLines(c)) lines.push(dim(`    ${l}`))
  }
  const enabled = checks.filter((c) => c.enabled)
  lines.push('')
  if (enabled.length === 0) {
    lines.push('No infra is enabled. Add credentials (see the reasons above) and run sky check again.')
    return lines.join('\n')
  }
  lines.push('Enabled infra:')
  for (const c of enabled) {
    lines.push(`  ${infraDisplayName(c.infra)} [${c.capabilities.join(', ')}]`)
    const label = regionLabel(c)
    if (label && c.regions?.length) {
      lines.push(`    ${label}`)
      lines.push(...tree(c.regions, '    '))
    }
  }
  return lines.join('\n')
}
