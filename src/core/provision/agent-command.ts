// How to run this same binary as the node agent. In the compiled binary that is the binary
// itself; under `bun run` it is bun plus src/main.ts (so tests of the source tree work too).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { selfCommand } from '../../lib/self-exec'
import { IS_COMPILED } from '../../version'

export function localAgentCommand(): string[] {
  return selfCommand([])
}

/** A compiled binary to copy onto remote nodes: this one, or dist/sky when running from source. */
export function binaryForRemote(): string | undefined {
  if (IS_COMPILED) return process.execPath
  const built = fileURLToPath(new URL('../../../dist/sky', import.meta.url))
  return existsSync(built) ? built : undefined
}

export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_\/.:=@%+,-]+$/.test(s)) return s
  return `'${s.replace(/'/g, `'\\''`)}'`
}
