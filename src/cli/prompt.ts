// Interactive confirmations, read the way SkyPilot (click) reads them: from a terminal with line
// editing, or one line from a pipe (`yes | sky launch ...`, `echo y | sky down x`). Only a closed
// stdin, or one at end of input, is refused: then nothing can answer, and -y is the way.
import { readSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { UsageError } from '../core/errors'

/** One line from a non-terminal stdin (without its newline); null when stdin is closed or at EOF. */
export function readLineSync(fd = 0): string | null {
  const buf = Buffer.alloc(1)
  const bytes: number[] = []
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (;;) {
    let n: number
    try {
      n = readSync(fd, buf, 0, 1, null)
    } catch (e) {
      const code = (e as { code?: string }).code
      // A non-blocking pipe with nothing in it yet: wait for the writer.
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 10)
        continue
      }
      return bytes.length ? Buffer.from(bytes).toString('utf8') : null
    }
    if (n === 0) return bytes.length ? Buffer.from(bytes).toString('utf8') : null
    if (buf[0] === 10) return Buffer.from(bytes).toString('utf8').replace(/\r$/, '')
    bytes.push(buf[0]!)
  }
}

async function askTerminal(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return await new Promise<string>((resolve) => rl.question(prompt, resolve))
  } finally {
    rl.close()
  }
}

/**
 * Ask a yes/no question on stderr (or for an exact phrase with `expect`). Throws a UsageError
 * telling the user about -y when stdin has no answer to give.
 */
export async function confirm(question: string, expect?: string, defaultYes = true): Promise<boolean> {
  const suffix = expect ? ': ' : defaultYes ? ' [Y/n]: ' : ' [y/N]: '
  let answer: string
  if (process.stdin.isTTY) answer = await askTerminal(question + suffix)
  else {
    process.stderr.write(question + suffix)
    const line = readLineSync()
    if (line === null) {
      process.stderr.write('\n')
      throw new UsageError(`${question} — no answer: stdin is closed or empty; pass -y to confirm.`)
    }
    process.stderr.write('\n')
    answer = line
  }
  const a = answer.trim()
  if (expect) return a === expect
  if (!a) return defaultYes
  return /^y(es)?$/i.test(a)
}
