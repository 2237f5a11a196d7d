// A password from an option, from stdin ('-'), or typed at a prompt (not echoed).
import { UsageError } from '../../../core/errors'

export async function readSecret(v: string | undefined, prompt: string, o: { optional?: boolean } = {}): Promise<string | undefined> {
  if (v === '-') return (await Bun.stdin.text()).replace(/\r?\n$/, '')
  if (v !== undefined) return v
  if (!process.stdin.isTTY) {
    if (o.optional) return undefined
    throw new UsageError('--password is required (or - to read it from stdin).')
  }
  process.stderr.write(prompt)
  const stdin = process.stdin
  stdin.setRawMode?.(true)
  let s = ''
  try {
    for await (const chunk of stdin) {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return s
        if (ch === '\u0003') throw new UsageError('Aborted.')
        if (ch === '\u007f') s = s.slice(0, -1)
        else s += ch
      }
    }
    return s
  } finally {
    stdin.setRawMode?.(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}
