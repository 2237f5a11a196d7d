// Text for `sky check`: one line per infra with its capabilities or the reason it is off, then the
// summary of enabled infra with their contexts / pools as a small tree.
import type { InfraCheck } from './check'
import { infraDisplayName } from './types'

export interface RenderCheckOptions {
  /** Wrap text in colours (green enabled, dim reasons); default none. */
  color?: boolean
}

function tree(items: string[], indent: string): string[] {
  return items.map((it, i) => `${indent}${i === items.length - 1 ? '└── ' : '├── '}${it}`)
}

function regionLabel(c: InfraCheck): string | undefined {
  if (c.infra === 'kubernetes') return 'Allowed contexts:'
  if (c.infra === 'ssh') return 'Node pools:'
  return undefined
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
