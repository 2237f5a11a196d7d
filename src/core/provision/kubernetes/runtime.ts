// The node runtime in a pod: this binary at ~/.sky-runtime/bin/sky, stamped with its version and
// content hash (the same stamp as on SSH hosts), installed once per pod and skipped while the
// stamp matches. It travels compressed through the exec stream: zstd when the pod has zstd, else
// gzip, else as is. The compressed copies are made once per build and kept on the API server
// ($SKY_HOME/cache/runtime, shared with the cloud VMs: provision/runtime.ts), and compressing
// starts as soon as pods are created, while they are scheduled.
import { statSync } from 'node:fs'
import { VERSION } from '../../../version'
import { binaryForRemote, shellQuote } from '../agent-command'
import { FatalProvisionError } from '../errors'
import { binaryDigest, buildStamp, compressedBinary, RUNTIME_DIR } from '../runtime'
import type { KubeExecRunner } from './exec-runner'

export type Codec = 'zstd' | 'gzip' | 'raw'

/** What one exec tells about a pod before anything is installed. */
export interface PodFacts {
  home: string
  user: string
  codec: Codec
  /** The runtime stamp already there ('' when none). */
  stamp: string
}

export const PROBE = `printf '%s\\n' "$HOME" "$(id -un 2>/dev/null || echo root)" "$(command -v zstd || true)" "$(command -v gzip || true)" "$(cat "$HOME/${RUNTIME_DIR}/bin/.digest" 2>/dev/null || true)"`

export function parseProbe(out: string): PodFacts {
  const [home = '', user = '', zstd = '', gzip = '', stamp = ''] = out.split('\n')
  return { home: home || '/root', user: user || 'root', codec: zstd ? 'zstd' : gzip ? 'gzip' : 'raw', stamp: stamp.trim() }
}

function runtimeBinary(): string {
  const bin = binaryForRemote()
  if (!bin) throw new FatalProvisionError('No compiled sky binary to install in the pods; build one first (bun scripts/build.ts).')
  return bin
}

/** The stamp a pod with this build's runtime carries. */
export const runtimeStamp = (): string => `${VERSION}-${binaryDigest(runtimeBinary())}`

/** This binary as it travels with `codec` (compressed once per build, shared with the cloud VMs); its path. */
export async function runtimeArtifact(codec: Codec): Promise<{ path: string; codec: Codec }> {
  const bin = runtimeBinary()
  const packed = codec === 'raw' ? null : await compressedBinary(bin, buildStamp(bin), codec)
  return packed ? { path: packed, codec } : { path: bin, codec: 'raw' }
}

/** Start compressing the binary for pods (while they are scheduled and pull their image). */
export function prepareRuntime(): void {
  const bin = binaryForRemote()
  if (bin) void compressedBinary(bin, buildStamp(bin))
}

const DECODE: Record<Codec, string> = { zstd: 'zstd -dcq', gzip: 'gzip -dc', raw: 'cat' }

/** Make sure the pod has this build's runtime; returns its path there. */
export async function installRuntime(r: KubeExecRunner, facts: PodFacts, log: (l: string) => void): Promise<string> {
  const dir = `${facts.home}/${RUNTIME_DIR}/bin`
  const target = `${dir}/sky`
  const stamp = runtimeStamp()
  if (facts.stamp === stamp) return target
  log(`├── Installing the sky runtime in ${r.label}.`)
  const art = await runtimeArtifact(facts.codec)
  const q = shellQuote
  let stderr = ''
  const dec = new TextDecoder()
  const res = await r.exec(
    `set -e; mkdir -p ${q(dir)}; ${DECODE[art.codec]} > ${q(`${target}.tmp`)}; chmod 755 ${q(`${target}.tmp`)}; mv -f ${q(`${target}.tmp`)} ${q(target)}; echo ${q(stamp)} > ${q(`${dir}/.digest`)}`,
    { stdin: Bun.file(art.path).stream() as unknown as AsyncIterable<Uint8Array>, stdinBytes: statSync(art.path).size, onStderr: (b) => void (stderr += dec.decode(b, { stream: true })) },
  )
  if (res.code !== 0) throw new FatalProvisionError(`${r.label}: could not install the sky runtime: ${stderr.trim() || res.message || `exit ${res.code}`}`, { hint: 'The image needs /bin/sh, head and a writable home directory.' })
  return target
}
