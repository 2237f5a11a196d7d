// CLI driver: resolves the command chain, prints help, rejects unknown options, runs the command,
// and maps every error to its exit code (the CLI owns exit codes, not citty).
import { renderUsage, runCommand, type ArgsDef, type CommandDef } from 'citty'
import { SkyError, UsageError, formatIssue, toSkyError, ValidationError } from '../core/errors'
import { VERSION, COMMIT } from '../version'
import { rootCommand, rootHelpCommand } from './commands'
import { info } from './output'

type AnyCmd = CommandDef<ArgsDef>

/** SkyPilot command groups users will type that this build does not have yet. */
const NOT_IN_THIS_BUILD: Record<string, string> = {
  storage: 'storage buckets',
  volumes: 'volumes',
}

async function resolve<T>(v: unknown): Promise<T> {
  return (typeof v === 'function' ? await (v as () => unknown)() : await v) as T
}

/** Walk subcommands: returns the leaf command, its parent, and the args left for it. */
export async function resolveChain(root: AnyCmd, argv: string[]): Promise<{ cmd: AnyCmd; parent?: AnyCmd; rest: string[]; path: string[] }> {
  let cmd = root
  let parent: AnyCmd | undefined
  let rest = argv
  const path: string[] = []
  for (;;) {
    const subs = await resolve<Record<string, unknown> | undefined>(cmd.subCommands)
    if (!subs || Object.keys(subs).length === 0) break
    const i = rest.findIndex((a) => !a.startsWith('-'))
    if (i < 0 || rest.slice(0, i).includes('--')) break
    const name = rest[i]!
    let sub = subs[name]
    if (!sub) {
      for (const s of Object.values(subs)) {
        const meta = await resolve<{ alias?: string | string[] } | undefined>((await resolve<AnyCmd>(s)).meta)
        const aliases = meta?.alias === undefined ? [] : Array.isArray(meta.alias) ? meta.alias : [meta.alias]
        if (aliases.includes(name)) sub = s
      }
    }
    if (!sub && path.length === 0 && name in NOT_IN_THIS_BUILD) {
      throw new UsageError(`'sky ${name}' (${NOT_IN_THIS_BUILD[name]}) is not part of this build of sky yet.`, {
        hint: 'Run tasks on a cluster with: sky launch -c NAME TASK.yaml, then sky exec NAME ... (see sky --help).',
      })
    }
    if (!sub) {
      const known = Object.keys(subs).filter((k) => !k.startsWith('_'))
      const near = known.find((k) => k.startsWith(name.slice(0, 3)))
      throw new UsageError(`Unknown command '${[...path, name].join(' ')}'.${near ? ` Did you mean '${[...path, near].join(' ')}'?` : ''}`, {
        hint: `Run: sky ${path.join(' ')}${path.length ? ' ' : ''}--help`,
      })
    }
    parent = cmd
    cmd = await resolve<AnyCmd>(sub)
    path.push(name)
    rest = [...rest.slice(0, i), ...rest.slice(i + 1)]
  }
  return { cmd, parent, rest, path }
}

/** Reject options the command does not define (citty silently accepts them). */
async function checkOptions(cmd: AnyCmd, rest: string[], path: string[]): Promise<void> {
  const defs = (await resolve<ArgsDef | undefined>(cmd.args)) ?? {}
  const known = new Set<string>(['help', 'h'])
  const booleans = new Set<string>()
  const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === 'positional') continue
    const alias = (def as { alias?: string | string[] }).alias
    const names = [name, kebab(name), ...(alias === undefined ? [] : Array.isArray(alias) ? alias : [alias])]
    for (const n of names) {
      known.add(n)
      if (def.type === 'boolean') booleans.add(n)
    }
  }
  for (const tok of rest) {
    if (tok === '--') break
    if (!tok.startsWith('-') || tok === '-' || /^-\d/.test(tok)) continue
    const name = tok.replace(/^--?/, '').split('=')[0]!
    if (known.has(name)) continue
    if (name.startsWith('no-') && booleans.has(name.slice(3))) continue
    if (!tok.startsWith('--') && name.length > 1 && [...name].every((c) => booleans.has(c))) continue
    const near = [...known].find((k) => k.length > 1 && (k.startsWith(name) || name.startsWith(k)))
    throw new UsageError(`Unknown option '${tok.split('=')[0]}' for 'sky ${path.join(' ')}'.${near ? ` Did you mean '--${near}'?` : ''}`, {
      hint: `Run: sky ${path.join(' ')} --help`,
    })
  }
}

function printError(e: SkyError): void {
  if (!e.message) return
  const msg = e instanceof ValidationError ? e.issues.map(formatIssue).join('\n') : e.message
  info(`Error: ${msg}`)
  if (e.hint) info(e.hint)
  if (e.code === 'INTERNAL' && process.env.SKY_DEBUG && e.cause instanceof Error) info(String(e.cause.stack))
}

/** Help text; plain (no colours) when stdout is not a terminal or NO_COLOR is set. */
async function printUsage(cmd: AnyCmd, parent?: AnyCmd): Promise<void> {
  let text = await renderUsage(cmd, parent)
  if (!process.stdout.isTTY || process.env.NO_COLOR) text = text.replace(/\x1b\[[0-9;]*m/g, '')
  process.stdout.write(text.replace(/[ \t]+$/gm, '') + '\n')
}

/** `--config` as SkyPilot has it on every command: its values, and argv without them. */
export function takeConfigFlags(argv: string[]): { specs: string[]; rest: string[] } {
  const specs: string[] = []
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      rest.push(...argv.slice(i))
      break
    }
    if (a === '--config') {
      const v = argv[i + 1]
      if (v === undefined || v === '--') throw new UsageError('--config needs a value: KEY=VALUE or a YAML file.')
      specs.push(v)
      i++
    } else if (a.startsWith('--config=')) specs.push(a.slice('--config='.length))
    else rest.push(a)
  }
  return { specs, rest }
}

const configArg = {
  config: { type: 'string', description: 'Config override for this command: KEY=VALUE (a.b=1,c=2) or a YAML file; repeatable.' },
} as const

/** Commands that act on infra print the config keys this build ignores (once per command). */
const WARNS_ON_CONFIG = new Set(['launch', 'exec', 'start', 'check'])

export async function runCli(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`sky, version ${VERSION} (commit ${COMMIT})\n`)
    return
  }
  try {
    const taken = takeConfigFlags(argv)
    argv = taken.rest
    const dashdash = argv.indexOf('--')
    const head = dashdash < 0 ? argv : argv.slice(0, dashdash)
    const root = rootCommand()
    const { cmd, rest, path } = await resolveChain(root as AnyCmd, argv)
    if (cmd.run) cmd.args = { ...((await resolve<ArgsDef | undefined>(cmd.args)) ?? {}), ...configArg }
    // Usage names the whole chain (`sky users token create`), not just the last two words.
    const parent = path.length ? ({ meta: { name: ['sky', ...path.slice(0, -1)].join(' ') } } as AnyCmd) : undefined
    if (head.includes('--help') || head.includes('-h') || (path.length === 0 && rest.length === 0)) {
      await printUsage(path.length === 0 ? (rootHelpCommand() as AnyCmd) : cmd, parent)
      return
    }
    if (path.length > 0 && !cmd.run && cmd.subCommands) {
      await printUsage(cmd, parent)
      return
    }
    await checkOptions(cmd, rest, path)
    // Every layer is checked before the command runs: a bad key fails here, naming file and key.
    const config = await import('../core/config')
    const notes = taken.specs.length ? config.addConfigOverrides(taken.specs) : []
    for (const n of notes) info(`Warning: ${n}`)
    const warnings = config.configWarnings()
    if (WARNS_ON_CONFIG.has(path[0] ?? '')) for (const w of warnings) info(`Warning: ${w}`)
    await runCommand(cmd, { rawArgs: rest })
  } catch (err) {
    const e = (err as { code?: string })?.code === 'EARG' || (err as { name?: string })?.name === 'CLIError'
      ? new UsageError((err as Error).message)
      : toSkyError(err)
    printError(e)
    process.exitCode = e.exitCode
  }
}
