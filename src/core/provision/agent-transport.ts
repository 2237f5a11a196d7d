// Two ways to reach a head node's agent (`sky _agent <sub> --root R ...`, JSON on stdout, errors
// as {"error": WireError}): over the node's CommandRunner (every remote infra), or in this
// process (the local infra: no process per call, so hundreds of local clusters stay cheap).
import { CommandError, fromWire, type WireError } from '../errors'
import type { CommandRunner } from '../runner/types'
import { shellQuote } from './agent-command'
import type { AgentTransport, ClusterHandle } from './types'

function parseReply<T>(stdout: string, what: string, sub: string, code: number, stderr: string): T {
  const line = stdout.trim().split('\n').pop() ?? ''
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    throw new CommandError(`The node agent on ${what} failed (${sub}, exit ${code}): ${(stderr || stdout).trim().slice(-800)}`, {
      details: { returncode: code },
    })
  }
  const err = (parsed as { error?: WireError } | null)?.error
  if (err?.code) throw fromWire(err)
  return parsed as T
}

/**
 * The agent over the head node's runner (closed with the transport). `env` is added to every
 * call: the cluster tag, so the daemon an `init` starts (and everything it starts) carries it.
 */
export function runnerTransport(runner: CommandRunner, handle: Pick<ClusterHandle, 'agentCmd' | 'runtimeDir'>, env: Record<string, string> = {}): AgentTransport {
  const callEnv = { ...env }
  const command = (sub: string, args: string[]) => [...handle.agentCmd, '_agent', sub, '--root', handle.runtimeDir, ...args].map(shellQuote).join(' ')
  return {
    async call<T>(sub: string, args: string[] = [], stdin?: unknown, signal?: AbortSignal): Promise<T> {
      const r = await runner.run(command(sub, args), { stdin: stdin === undefined ? undefined : JSON.stringify(stdin), env: callEnv, signal })
      return parseReply<T>(r.stdout, runner.label, sub, r.code, r.stderr)
    },
    async logs(o) {
      const r = await runner.run(command('logs', logArgs(o)), { onStdout: o.onChunk, onStderr: o.onStderr ?? o.onChunk, signal: o.signal, env: callEnv })
      return r.code
    },
    close: () => runner.close(),
  }
}

function logArgs(o: { job?: number; follow: boolean; tail?: number }): string[] {
  const args: string[] = []
  if (o.job !== undefined) args.push('--job', String(o.job))
  if (o.follow) args.push('--follow')
  if (o.tail) args.push('--tail', String(o.tail))
  return args
}

/** The agent run in this process against a runtime dir on this machine. */
export function inProcessTransport(runtimeDir: string, label = 'local'): AgentTransport {
  const agent = () => import('../agent/cli')
  const dec = new TextDecoder()
  return {
    async call<T>(sub: string, args: string[] = [], stdin?: unknown): Promise<T> {
      const { runAgent } = await agent()
      let out = ''
      let err = ''
      const code = await runAgent([sub, '--root', runtimeDir, ...args], {
        stdout: (c) => void (out += typeof c === 'string' ? c : dec.decode(c)),
        stderr: (t) => void (err += t),
        readStdin: async () => (stdin === undefined ? '' : JSON.stringify(stdin)),
      })
      return parseReply<T>(out, label, sub, code, err)
    },
    async logs(o) {
      const { runAgent } = await agent()
      return runAgent(['logs', '--root', runtimeDir, ...logArgs(o)], {
        stdout: (c) => o.onChunk(typeof c === 'string' ? c : dec.decode(c, { stream: true })),
        stderr: (t) => (o.onStderr ?? o.onChunk)(t),
        readStdin: async () => '',
        signal: o.signal,
      })
    },
    close: async () => {},
  }
}
