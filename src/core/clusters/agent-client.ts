// Talking to a cluster's node agent: run `sky _agent <sub> --root R ...` on the head node through
// its CommandRunner and read the JSON it prints (errors come back as {"error": WireError}).
import { CommandError, fromWire, type WireError } from '../errors'
import { shellQuote } from '../provision/agent-command'
import type { ClusterHandle } from '../provision/legacy'
import type { CommandRunner } from '../runner/types'

/** Agent settings the API server passes on to nodes (an ops/test knob: the autostop minute). */
function forwardedEnv(): Record<string, string> | undefined {
  const m = process.env.SKY_AGENT_MINUTE_MS
  return m ? { SKY_AGENT_MINUTE_MS: m } : undefined
}

export class AgentClient {
  constructor(
    private runner: CommandRunner,
    private handle: ClusterHandle,
  ) {}

  private command(sub: string, args: string[]): string {
    return [...this.handle.agentCmd, '_agent', sub, '--root', this.handle.runtimeDir, ...args].map(shellQuote).join(' ')
  }

  async call<T>(sub: string, args: string[] = [], stdin?: unknown, signal?: AbortSignal): Promise<T> {
    const r = await this.runner.run(this.command(sub, args), {
      stdin: stdin === undefined ? undefined : JSON.stringify(stdin),
      env: forwardedEnv(),
      signal,
    })
    const line = r.stdout.trim().split('\n').pop() ?? ''
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      throw new CommandError(`The node agent on ${this.runner.label} failed (${sub}, exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-800)}`, {
        details: { returncode: r.code },
      })
    }
    const err = (parsed as { error?: WireError }).error
    if (err?.code) throw fromWire(err)
    return parsed as T
  }

  /** Stream a job's log; resolves with the agent's exit code (0/100/101/102/103). */
  async logs(o: { job?: number; follow: boolean; tail?: number; onChunk: (s: string) => void; onStderr?: (s: string) => void; signal?: AbortSignal }): Promise<number> {
    const args: string[] = []
    if (o.job !== undefined) args.push('--job', String(o.job))
    if (o.follow) args.push('--follow')
    if (o.tail) args.push('--tail', String(o.tail))
    const r = await this.runner.run(this.command('logs', args), { onStdout: o.onChunk, onStderr: o.onStderr ?? o.onChunk, signal: o.signal, env: forwardedEnv() })
    return r.code
  }
}
