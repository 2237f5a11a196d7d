// The argv that runs this same program again with other arguments. In the compiled binary
// process.execPath is `sky` itself; under `bun run src/main.ts` it is bun and the script path
// must come along.
import { IS_COMPILED } from '../version'

export function selfCommand(args: string[]): string[] {
  if (IS_COMPILED) return [process.execPath, ...args]
  return [process.execPath, Bun.main, ...args]
}
