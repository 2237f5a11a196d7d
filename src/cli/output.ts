// Where CLI output goes: results (tables, JSON, ids) to stdout; progress and hints to stderr.
import { SkyError, toSkyError } from '../core/errors'
export function out(text = ''): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}

export function info(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n')
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2))
}

/**
 * A failure whose message was already printed (one of several targets failed): the CLI exits with
 * its code and prints nothing more.
 */
export function alreadyReported(e: unknown): SkyError {
  const s = toSkyError(e)
  const r = new SkyError('')
  r.code = s.code
  r.exitCode = s.exitCode
  return r
}
