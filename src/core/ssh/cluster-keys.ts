// Per-cluster SSH key pairs. A cluster on SSH machines gets its own ed25519 key pair, kept in
// $SKY_HOME/keys/clusters/<cluster>/ (0600); its public key is authorised on every node (a marked
// line in ~/.ssh/authorized_keys, added once, removed at teardown). The head reaches its workers
// with that key, and `ssh <cluster>` uses it: the user's own key (or password) never leaves the
// machine it is on.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { privateDir, writePrivateFile } from '../home-perms'
import { paths } from '../paths'
import { newEd25519KeyPair } from './keygen'

export interface ClusterKey {
  privatePath: string
  publicKey: string
  /** The comment on the authorized_keys line that marks it as this cluster's. */
  marker: string
}

const dirOf = (cluster: string) => join(paths.keysDir(), 'clusters', cluster)

export function clusterKeyMarker(cluster: string): string {
  return `sky-cluster:${cluster}`
}

/** The cluster's key pair, made on first use. */
export function ensureClusterKey(cluster: string): ClusterKey {
  const dir = dirOf(cluster)
  const priv = join(dir, 'id_ed25519')
  const pub = join(dir, 'id_ed25519.pub')
  const marker = clusterKeyMarker(cluster)
  if (!existsSync(priv) || !existsSync(pub)) {
    privateDir(dir)
    const k = newEd25519KeyPair(marker)
    writePrivateFile(priv, k.private)
    writePrivateFile(pub, `${k.public}\n`)
  }
  return { privatePath: priv, publicKey: readFileSync(pub, 'utf8').trim(), marker }
}

export function removeClusterKey(cluster: string): void {
  rmSync(dirOf(cluster), { recursive: true, force: true })
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** Shell that adds the key to ~/.ssh/authorized_keys once (idempotent, keeps the file's other lines). */
export function authorizeKeyCommand(k: Pick<ClusterKey, 'publicKey' | 'marker'>): string {
  const line = k.publicKey.includes(k.marker) ? k.publicKey : `${k.publicKey} ${k.marker}`
  return [
    'umask 077',
    'mkdir -p ~/.ssh',
    'touch ~/.ssh/authorized_keys',
    `grep -qxF ${q(line)} ~/.ssh/authorized_keys || printf '%s\\n' ${q(line)} >> ~/.ssh/authorized_keys`,
  ].join(' && ')
}

/** Shell that removes the cluster's lines from ~/.ssh/authorized_keys (and nothing else). */
export function deauthorizeKeyCommand(marker: string): string {
  const f = '~/.ssh/authorized_keys'
  return `if [ -f ${f} ]; then umask 077; grep -vF ${q(` ${marker}`)} ${f} > ${f}.sky-tmp; mv -f ${f}.sky-tmp ${f}; fi`
}
