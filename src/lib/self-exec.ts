import { IS_COMPILED } from '../version'

// The argv that runs this same program again with other arguments (used to start the agent
// daemon detached). A compiled binary embeds its entry under Bun's virtual `/$bunfs/` (or
// `B:/~BUN/` on Windows) and process.execPath is `sky` itself, so argv passes straight through;
// under `bun src/main.ts` execPath is bun and the script path must come along.
// SKY_SELF_EXEC (a JSON array, e.g. `["/usr/bin/bun", "/repo/src/core/agent/cli-entry.ts"]`)
// replaces that prefix: used by tests and by dev entry points other than src/main.ts.

export function isCompiledBinary(): boolean {
  if (IS_COMPILED) return true
  const main = typeof Bun !== 'undefined' ? Bun.main : (process.argv[1] ?? '')
  return main.startsWith('/$bunfs/') || main.startsWith('B:/~BUN/') || main.startsWith('B:\\~BUN\\')
}

export function selfCommand(args: string[]): string[] {
  const override = process.env.SKY_SELF_EXEC
  if (override) {
    const prefix = JSON.parse(override) as unknown
    if (Array.isArray(prefix) && prefix.length > 0 && prefix.every((p) => typeof p === 'string')) return [...prefix, ...args]
    throw new Error('SKY_SELF_EXEC must be a JSON array of strings')
  }
  if (isCompiledBinary()) return [process.execPath, ...args]
  const script = typeof Bun !== 'undefined' ? Bun.main : process.argv[1]
  return script ? [process.execPath, script, ...args] : [process.execPath, ...args]
}
