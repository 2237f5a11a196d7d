// The argv that runs this same program again with other arguments (the API server auto-started
// by the CLI or the SDK, the node agent's daemon). In the compiled binary process.execPath is `sky`
// itself (Bun embeds the entry under its virtual `/$bunfs/`), so arguments follow it directly;
// from source it is bun plus this package's src/main.ts, whoever the caller is (the CLI, a test,
// or a program using the SDK).
import { fileURLToPath } from 'node:url'
import { IS_COMPILED } from '../version'

export function isCompiledBinary(): boolean {
  if (IS_COMPILED) return true
  const main = typeof Bun !== 'undefined' ? Bun.main : (process.argv[1] ?? '')
  return main.startsWith('/$bunfs/') || main.startsWith('B:/~BUN/') || main.startsWith('B:\\~BUN\\')
}

export function selfCommand(args: string[]): string[] {
  if (isCompiledBinary()) return [process.execPath, ...args]
  return [process.execPath, fileURLToPath(new URL('../main.ts', import.meta.url)), ...args]
}
