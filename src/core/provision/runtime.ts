// Installing the sky runtime on a node reached over a runner, without root: this binary goes to
// ~/.sky-runtime/bin/sky in the login user's home (skipped when the same build is already there).
// Shared by every infra whose nodes are machines with a shell (ssh; AWS and GCP VMs next).
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProvisionError } from '../errors'
import type { CommandRunner } from '../runner/types'
import { paths } from '../paths'
import { VERSION } from '../../version'
import { binaryForRemote, shellQuote } from './agent-command'
import { FatalProvisionError } from './errors'

export const RUNTIME_DIR = '.sky-runtime'

/** Put `text` in a 0600 file on the host (created 0600 before any byte is written). */
export async function uploadSecret(r: CommandRunner, text: string, remotePath: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sky-secret-'))
  const local = join(dir, 'secret')
  try {
    writeFileSync(local, text, { mode: 0o600 })
    await r.run(`(umask 077 && : > ${shellQuote(remotePath)})`)
    await r.upload(local, remotePath)
    await r.run(`chmod 600 ${shellQuote(remotePath)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let digest: string | undefined
/** First 16 hex digits of the SHA-256 of the runtime binary (one binary per process: computed once). */
export function binaryDigest(path: string): string {
  return (digest ??= createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16))
}

/** Make sure the host has this binary at ~/.sky-runtime/bin/sky; returns its path there. */
export async function installBinary(r: CommandRunner, home: string, log: (l: string) => void): Promise<string> {
  const bin = binaryForRemote()
  if (!bin) throw new FatalProvisionError('No compiled sky binary to install on the node; build one first (bun scripts/build.ts).')
  const target = `${home}/${RUNTIME_DIR}/bin/sky`
  const stamp = `${home}/${RUNTIME_DIR}/bin/.digest`
  const want = `${VERSION}-${binaryDigest(bin)}`
  const have = await r.run(`cat ${shellQuote(stamp)} 2>/dev/null`)
  if (have.stdout.trim() === want) return target
  log(`├── Installing the sky runtime on ${r.label}.`)
  await r.run(`mkdir -p ${shellQuote(`${home}/${RUNTIME_DIR}/bin`)}`)
  await r.upload(bin, `${target}.tmp`)
  const mv = await r.run(`chmod 755 ${shellQuote(`${target}.tmp`)} && mv -f ${shellQuote(`${target}.tmp`)} ${shellQuote(target)} && echo ${shellQuote(want)} > ${shellQuote(stamp)}`)
  if (mv.code !== 0) throw new ProvisionError(`${r.label}: could not install the runtime: ${mv.stderr.trim()}`)
  return target
}

/** A build of the binary: version, size and mtime (cheap; names its compressed copies). */
export function buildStamp(bin: string): string {
  const st = statSync(bin)
  return `${VERSION}-${st.size}-${Math.round(st.mtimeMs)}`
}

export type RuntimeCodec = 'zstd' | 'gzip'

const compressing = new Map<string, Promise<string | null>>()

/**
 * This binary compressed for the trip to a node (about half the bytes): zstd, or gzip for nodes
 * without zstd. Made once per build and kept in $SKY_HOME/cache/runtime (older builds' copies are
 * removed); null when it cannot be made (then the binary goes as it is).
 */
export function compressedBinary(bin: string, stamp: string, codec: RuntimeCodec = 'zstd'): Promise<string | null> {
  const ext = codec === 'zstd' ? 'zst' : 'gz'
  const key = `${stamp}.${ext}`
  let p = compressing.get(key)
  if (!p) {
    p = (async () => {
      const dir = join(paths.home(), 'cache', 'runtime')
      const file = join(dir, `sky-${key}`)
      if (existsSync(file)) return file
      if (codec === 'zstd' && typeof Bun.zstdCompress !== 'function') return null
      mkdirSync(dir, { recursive: true })
      // One maker at a time (the server's start-up warm-up, request threads, other processes).
      const lock = `${file}.lock`
      if (!takeLock(lock)) return (await waitFor(file, lock)) ? file : null
      try {
        for (const old of readdirSync(dir)) if (old.endsWith(`.${ext}`) && !old.startsWith(`sky-${stamp}`)) rmSync(join(dir, old), { force: true })
        const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
        const data = await Bun.file(bin).bytes()
        await Bun.write(tmp, codec === 'zstd' ? await Bun.zstdCompress(data, { level: 3 }) : Bun.gzipSync(data, { level: 6 }))
        renameSync(tmp, file)
        return file
      } finally {
        rmSync(lock, { force: true })
      }
    })().catch(() => null)
    // A copy that could not be made is tried again next time.
    p.then((f) => f ?? compressing.delete(key))
    compressing.set(key, p)
  }
  return p
}

/** Create `lock` (exclusively); one left by a maker that died over two minutes ago is taken over. */
function takeLock(lock: string): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      closeSync(openSync(lock, 'wx'))
      return true
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0)
      if (age < 120_000) return false
      rmSync(lock, { force: true })
    }
  }
  return false
}

/** Until another maker's `file` exists (true) or its lock is gone without it (false). */
async function waitFor(file: string, lock: string): Promise<boolean> {
  for (const until = Date.now() + 120_000; Date.now() < until; ) {
    if (existsSync(file)) return true
    if (!existsSync(lock)) return existsSync(file)
    await Bun.sleep(50)
  }
  return false
}
