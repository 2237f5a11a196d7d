// `sky _agent <subcommand> ...`: dispatch, JSON output, errors as {"error": {...}} with the
// error's exit code.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { toSkyError, UsageError } from '../errors'
import { parseArgs } from './args'
import { cmdAutostop, cmdCancel, cmdHealth, cmdInit, cmdLogs, cmdLookup, cmdQueue, cmdStatus, cmdStopAll, cmdSubmit, type AgentIO, type CommandContext } from './commands'
import { runDaemon } from './daemon'
import { layout } from './layout'

export type { AgentIO }

export function defaultIO(): AgentIO {
  return {
    stdout: (chunk) =>
      new Promise<void>((res) => {
        process.stdout.write(chunk, () => res())
      }),
    stderr: (text) => void process.stderr.write(text),
    readStdin: () => Bun.stdin.text(),
  }
}

/** Run one agent subcommand; returns the process exit code. */
export async function runAgent(argv: string[], io: AgentIO = defaultIO()): Promise<number> {
  try {
    const args = parseArgs(argv)
    const root = resolve(args.values.root ?? join(homedir(), '.sky-runtime'))
    const ctx: CommandContext = { L: layout(root), args, io }
    const json = async (v: unknown) => {
      await io.stdout(JSON.stringify(v) + '\n')
      return 0
    }
    switch (args.cmd) {
      case 'init':
        return await json(await cmdInit(ctx))
      case 'submit':
        return await json(await cmdSubmit(ctx))
      case 'queue':
        return await json(cmdQueue(ctx))
      case 'status':
        return await json(cmdStatus(ctx))
      case 'lookup':
        return await json(cmdLookup(ctx))
      case 'cancel':
        return await json(await cmdCancel(ctx))
      case 'logs':
        return await cmdLogs(ctx)
      case 'autostop':
        return await json(await cmdAutostop(ctx))
      case 'health':
        return await json(cmdHealth(ctx))
      case 'stop-all':
        return await json(await cmdStopAll(ctx))
      case 'daemon':
        ignoreWakesUntilReady()
        return await runDaemon(root)
      case 'host': {
        if (!args.values.dir) throw new UsageError('host needs --dir.')
        ignoreWakesUntilReady()
        const { runHost } = await import('./host')
        return await runHost(resolve(args.values.dir))
      }
    }
    return 2
  } catch (e) {
    const err = toSkyError(e)
    await io.stdout(JSON.stringify({ error: err.toWire() }) + '\n')
    return err.exitCode || 1
  }
}

/**
 * A daemon (or host) is woken with SIGUSR1 as soon as its pid is recorded (the daemon row, the
 * host's lock file), which happens before it installs its own handler: without a listener the
 * signal's default action would kill it (a job submitted at that moment stayed PENDING). The
 * daemon scans once it is ready, so a wake that arrives before then loses nothing.
 */
function ignoreWakesUntilReady(): void {
  process.on('SIGUSR1', () => {})
}
