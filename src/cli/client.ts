// The CLI's view of the API: one SkyClient per process, and the standard ways of finishing a
// request (wait quietly, stream its log, or return at once with --async), with Ctrl+C detaching.
import type { RequestId } from '../api/define'
import { apiCancel } from '../api/ops/requests'
import { InterruptedError } from '../core/errors'
import type { SkyClient } from '../sdk/client'
import { defaultClient } from '../sdk/default-client'
import { info, out } from './output'

/** The client every command uses (the SDK's default client: env, then config, then local). */
export function sky(): SkyClient {
  return defaultClient()
}

export function requestHints(c: SkyClient, id: string): string {
  const short = id.slice(0, 8)
  return [
    `├── View logs: sky api logs ${short}`,
    `├── Or, visit: ${c.endpoint.url}/api/stream?request_id=${short}`,
    `└── To cancel the request, run: sky api cancel ${short}`,
  ].join('\n')
}

export interface FinishOptions {
  /** Stream the request's log while waiting. */
  stream?: boolean
  /** Return right after submitting. */
  async?: boolean
  /** Request name for the --async message, e.g. `sky.launch`. */
  name?: string
  /** Where streamed log text goes (default stdout). */
  write?: (text: string) => void
  /** Ctrl+C cancels the request instead of leaving it running (log-follow requests). */
  cancelOnInterrupt?: boolean
}

/**
 * Wait for a submitted request (optionally streaming its log). Ctrl+C leaves it running on the
 * server and prints how to reattach or cancel. With --async returns undefined at once.
 */
export async function finish<T>(id: RequestId<T>, o: FinishOptions = {}): Promise<T | undefined> {
  const c = sky()
  if (o.async) {
    out(`Submitted ${o.name ?? 'request'}: ${id}`)
    info(`⚙︎ Request submitted; it runs in the background.\n${requestHints(c, id)}`)
    return undefined
  }
  const ctrl = ctrlC()
  try {
    if (o.stream) {
      try {
        const write = o.write ?? ((s: string) => void process.stdout.write(s))
        for await (const s of c.stream(id, { signal: ctrl.signal })) write(s)
      } catch (e) {
        if (!ctrl.interrupted) throw e
      }
    }
    if (ctrl.interrupted) throw new InterruptedError('Interrupted.')
    const result = await Promise.race([
      c.get<T>(id),
      new Promise<never>((_, rej) => ctrl.signal.addEventListener('abort', () => rej(new InterruptedError('Interrupted.')))),
    ])
    return result
  } catch (e) {
    if (ctrl.interrupted) {
      if (o.cancelOnInterrupt) {
        await apiCancel({ request_ids: [id] }, { client: c }).catch(() => undefined)
        throw new InterruptedError('')
      }
      info(`\n⚙︎ Request will continue running asynchronously.\n${requestHints(c, id)}`)
      throw new InterruptedError('')
    }
    throw e
  } finally {
    ctrl.dispose()
  }
}

/** Ctrl+C while a command waits: the first aborts `signal` (the caller says what that means), a second exits 130. */
export function ctrlC(): { signal: AbortSignal; readonly interrupted: boolean; dispose(): void } {
  const ac = new AbortController()
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(130)
    ac.abort()
  }
  process.on('SIGINT', onSigint)
  return {
    signal: ac.signal,
    get interrupted() {
      return ac.signal.aborted
    },
    dispose: () => void process.off('SIGINT', onSigint),
  }
}
