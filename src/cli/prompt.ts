// Interactive confirmations. Without a terminal on stdin the answer is "no" unless -y was given,
// so scripts never hang on a prompt.
import { createInterface } from 'node:readline'

export async function confirm(question: string, expect?: string, defaultYes = true): Promise<boolean> {
  if (!process.stdin.isTTY) return false
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  const suffix = expect ? ': ' : defaultYes ? ' [Y/n]: ' : ' [y/N]: '
  const answer = await new Promise<string>((resolve) => rl.question(question + suffix, resolve))
  rl.close()
  const a = answer.trim()
  if (expect) return a === expect
  if (!a) return defaultYes
  return /^y(es)?$/i.test(a)
}
