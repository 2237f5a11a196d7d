// SSH keys of cloud VMs. Each user gets one ed25519 key pair, made by sky on first use and kept
// on the API server ($SKY_HOME/clients/<user hash>/ssh/sky-key, as SkyPilot keeps it): its public
// half goes to every VM the user launches (an EC2 key pair imported per region, GCE instance
// metadata), its private half never leaves the server. Nodes of one cluster reach each other with
// a second key made for that cluster alone (clusterKeyPair), so a compromised node holds no key to
// any other cluster.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createOnce } from '../../../lib/create-once'
import { utils } from 'ssh2'
import { paths } from '../../paths'
import { newEd25519KeyPair } from '../../ssh/keygen'

export interface UserKey {
  /** Private key file on the API server (OpenSSH format, 0600). */
  privateKeyPath: string
  /** `ssh-ed25519 AAAA… sky-key-<user>` */
  publicKey: string
  /** First 12 hex digits of the public key's SHA-256: names the key where a provider needs a name. */
  fingerprint: string
}

function fingerprintOf(publicKey: string): string {
  const blob = publicKey.split(/\s+/)[1] ?? publicKey
  return createHash('sha256').update(blob).digest('hex').slice(0, 12)
}

export function userKeyDir(userHash: string): string {
  const safe = userHash.replace(/[^A-Za-z0-9_-]/g, '_') || 'default'
  return join(paths.home(), 'clients', safe, 'ssh')
}

/** The user's key pair, made on first use. */
export function userKey(userHash: string): UserKey {
  const dir = userKeyDir(userHash)
  const priv = join(dir, 'sky-key')
  const pub = `${priv}.pub`
  if (!existsSync(priv)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const k = newEd25519KeyPair(`sky-key-${userHash}`)
    createOnce(priv, k.private)
  }
  if (!existsSync(pub)) {
    // Derived from the private key that won (another process may have made it).
    const parsed = utils.parseKey(readFileSync(priv))
    if (parsed instanceof Error) throw new Error(`${priv}: ${parsed.message}`)
    const one = Array.isArray(parsed) ? parsed[0]! : parsed
    createOnce(pub, `${one.type} ${one.getPublicSSH().toString('base64')} sky-key-${userHash}\n`)
  }
  const publicKey = readFileSync(pub, 'utf8').trim()
  return { privateKeyPath: priv, publicKey, fingerprint: fingerprintOf(publicKey) }
}

/** A fresh key pair for node-to-node SSH inside one cluster. */
export function clusterKeyPair(name: string): { privateKey: string; publicKey: string } {
  const k = newEd25519KeyPair(`sky-cluster-${name}`)
  return { privateKey: k.private, publicKey: k.public }
}
