// What a cloud VM gets before its agent starts, all without root and inside the login user's home:
// this binary in ~/.sky-runtime/bin (uploaded once per build: a stamp of the build is kept next to
// it), the cluster's node-to-node key on the head (its public half authorized on every worker), and
// what the head needs to stop or terminate its own instances (autostop) when the cloud allows it.
import type { CommandRunner } from '../../runner/types'
import { binaryForRemote, shellQuote as q } from '../agent-command'
import { ProvisionError } from '../../errors'
import { FatalProvisionError } from '../errors'
import { buildStamp, compressedBinary } from '../runtime'
import type { NodeRelease } from './driver'
import { clusterKeyPair } from './keys'

export const RUNTIME = '.sky-runtime'

/** Start compressing the binary for nodes (while their VMs boot). */
export function prepareRuntime(): void {
  const bin = binaryForRemote()
  if (bin) void compressedBinary(bin, buildStamp(bin))
}

/** Make sure the node has this binary at ~/.sky-runtime/bin/sky; returns its path there. */
export async function installRuntime(r: CommandRunner, home: string, infra: string, log: (l: string) => void): Promise<string> {
  const bin = binaryForRemote()
  if (!bin) throw new FatalProvisionError('No compiled sky binary to install on the node; build one first (bun scripts/build.ts).', { infra })
  const dir = `${home}/${RUNTIME}/bin`
  const target = `${dir}/sky`
  const stampFile = `${dir}/.build`
  const want = buildStamp(bin)
  const packed = compressedBinary(bin, want)
  const have = await r.run(`cat ${q(stampFile)} 2>/dev/null; mkdir -p ${q(dir)}; command -v zstd >/dev/null 2>&1 && echo have-zstd`)
  const lines = have.stdout.trim().split('\n')
  if (lines[0] === want) return target
  log(`├── Installing the sky runtime on ${r.label}.`)
  const tmp = `${target}.${Date.now().toString(36)}.tmp`
  const zst = lines.includes('have-zstd') ? await packed : null
  let place: string
  if (zst) {
    await r.upload(zst, `${tmp}.zst`)
    place = `zstd -d -q -f -o ${q(tmp)} ${q(`${tmp}.zst`)} && rm -f ${q(`${tmp}.zst`)} && chmod 755 ${q(tmp)}`
  } else {
    await r.upload(bin, tmp)
    place = `chmod 755 ${q(tmp)}`
  }
  const mv = await r.run(`${place} && mv -f ${q(tmp)} ${q(target)} && printf '%s\\n' ${q(want)} > ${q(stampFile)}`)
  if (mv.code !== 0) throw new ProvisionError(`${r.label}: could not install the runtime: ${mv.stderr.trim()}`)
  return target
}

/**
 * The cluster's node-to-node key: made once on the head (kept across stop/start), its public half
 * added to every worker's authorized_keys. Returns the key's path on the head.
 */
export async function ensureClusterKey(head: CommandRunner, workers: CommandRunner[], runtimeDir: string, name: string): Promise<string> {
  const dir = `${runtimeDir}/keys`
  const key = `${dir}/cluster-key`
  let pub = (await head.run(`cat ${q(key)}.pub 2>/dev/null && test -s ${q(key)}`)).stdout.trim()
  if (!pub.startsWith('ssh-')) {
    const k = clusterKeyPair(name)
    const w = await head.run(`umask 077 && mkdir -p ${q(dir)} && cat > ${q(key)}.tmp && mv -f ${q(key)}.tmp ${q(key)} && printf '%s\\n' ${q(k.publicKey)} > ${q(key)}.pub`, { stdin: k.privateKey })
    if (w.code !== 0) throw new ProvisionError(`${head.label}: could not write the cluster key: ${w.stderr.trim()}`)
    pub = k.publicKey
  }
  await Promise.all(
    workers.map(async (w) => {
      const r = await w.run('umask 077 && mkdir -p ~/.ssh && touch ~/.ssh/authorized_keys && { grep -qxF "$SKY_KEY" ~/.ssh/authorized_keys || printf \'%s\\n\' "$SKY_KEY" >> ~/.ssh/authorized_keys; }', { env: { SKY_KEY: pub } })
      if (r.code !== 0) throw new ProvisionError(`${w.label}: could not authorize the cluster key: ${r.stderr.trim()}`)
    }),
  )
  return key
}

/** Where the head keeps what it needs to release its instances (see NodeRelease). */
export const releaseDir = (runtimeDir: string) => `${runtimeDir}/cloud`

/**
 * Write the release files and an `env` file (sourced by the autostop hook) under the head's
 * runtime dir; with `null`, remove them (the API server releases the cluster).
 */
export async function writeNodeRelease(head: CommandRunner, runtimeDir: string, rel: NodeRelease | null): Promise<void> {
  const dir = releaseDir(runtimeDir)
  if (!rel) {
    await head.run(`rm -rf ${q(dir)}`)
    return
  }
  const lines = Object.entries(rel.env).map(([k, v]) => `export ${k}=${q(v.replaceAll('$RELEASE_DIR', dir))}`)
  const files = [...rel.files, { name: 'env', content: lines.join('\n') + '\n' }]
  // Contents go through stdin, never a command line another process on the node could read.
  for (const f of files) {
    const path = q(`${dir}/${f.name}`)
    const r = await head.run(`umask 077 && mkdir -p ${q(dir)} && cat > ${path}.tmp && mv -f ${path}.tmp ${path}`, { stdin: f.content })
    if (r.code !== 0) throw new ProvisionError(`${head.label}: could not write the node's cloud settings: ${r.stderr.trim()}`)
  }
}
