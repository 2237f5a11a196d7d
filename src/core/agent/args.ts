// Flag parsing for `sky _agent <subcommand> ...`: `--name value`, `--name=value`, boolean flags.
import { UsageError } from '../errors'

interface FlagSpec {
  values: string[]
  bools: string[]
}

export const SUBCOMMANDS: Record<string, FlagSpec> = {
  init: { values: ['root'], bools: ['no-daemon'] },
  submit: { values: ['root'], bools: [] },
  queue: { values: ['root', 'user-hash'], bools: ['all-users', 'skip-finished'] },
  status: { values: ['root', 'ids'], bools: [] },
  cancel: { values: ['root', 'ids', 'user-hash', 'key'], bools: ['all'] },
  lookup: { values: ['root', 'key'], bools: [] },
  logs: { values: ['root', 'job', 'tail'], bools: ['follow', 'no-follow'] },
  autostop: { values: ['root', 'idle-minutes', 'wait-for'], bools: ['down', 'cancel', 'hooks'] },
  daemon: { values: ['root'], bools: [] },
  health: { values: ['root'], bools: [] },
  'stop-all': { values: ['root'], bools: [] },
  host: { values: ['dir'], bools: [] },
}

export const USAGE = `Usage: sky _agent <subcommand> --root DIR [flags]   (node agent; JSON on stdout)
  init [--no-daemon]                       stdin: cluster.json; create/upgrade the DB, start the daemon
  submit                                   stdin: job JSON -> {"jobId": N, "existing": bool}
  lookup --key K                           the job submitted with idempotency key K -> {"jobId": N|null, "status": S|null}
  queue [--all-users | --user-hash H] [--skip-finished]
  status --ids 1,2                         -> {"1": "RUNNING", "2": null}
  cancel (--ids 1,2 | --all | --key K) [--user-hash H]
  logs [--job N] [--follow] [--tail N]     raw log on stdout; exit 0/100/101/102/103
  autostop --idle-minutes N [--down] [--wait-for jobs_and_ssh|jobs|none] [--hooks]   (N = -1 cancels; --hooks: lifecycle hooks as JSON on stdin)
  daemon                                   the long-running loop (started by init)
  host --dir D                             one process running the daemons of every local cluster registered in D
  health
  stop-all                                 kill every job and the daemon
`

export interface Parsed {
  cmd: string
  values: Record<string, string>
  bools: Set<string>
}

export function parseArgs(argv: string[]): Parsed {
  const [cmd, ...rest] = argv
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') throw new UsageError(USAGE)
  const spec = SUBCOMMANDS[cmd]
  if (!spec) throw new UsageError(`Unknown agent subcommand '${cmd}'.\n${USAGE}`)
  const values: Record<string, string> = {}
  const bools = new Set<string>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument '${arg}' for '${cmd}'.`)
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq < 0 ? undefined : eq)
    if (spec.bools.includes(name) && eq < 0) {
      bools.add(name)
    } else if (spec.values.includes(name)) {
      const v = eq >= 0 ? arg.slice(eq + 1) : rest[++i]
      if (v === undefined) throw new UsageError(`--${name} needs a value.`)
      values[name] = v
    } else {
      throw new UsageError(`Unknown flag --${name} for '${cmd}'.`)
    }
  }
  return { cmd, values, bools }
}

export function intFlag(values: Record<string, string>, name: string): number | null {
  const v = values[name]
  if (v === undefined) return null
  const n = Number(v)
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got '${v}'.`)
  return n
}

export function idsFlag(values: Record<string, string>, name = 'ids'): number[] | null {
  const v = values[name]
  if (v === undefined) return null
  const ids = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)
  if (!ids.length || ids.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--${name} must be a comma-separated list of job ids, got '${v}'.`)
  return ids
}
