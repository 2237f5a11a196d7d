// ed25519 key pairs that ssh2 can read back. ssh2's generateKeyPairSync drops leading zero bytes
// of the public key, so about one pair in 256 comes out malformed (mscdex/ssh2 issues 1390,
// 1513): such a pair would fail every later connection with "Malformed OpenSSH ... key". Pairs
// that do not parse are made again.
import { utils } from 'ssh2'

export interface KeyPair {
  /** OpenSSH private key (PEM text). */
  private: string
  /** `ssh-ed25519 AAAA... comment` */
  public: string
}

export function newEd25519KeyPair(comment: string): KeyPair {
  for (let i = 0; i < 32; i++) {
    const k = utils.generateKeyPairSync('ed25519', { comment })
    if (!(utils.parseKey(k.private) instanceof Error) && !(utils.parseKey(k.public) instanceof Error)) return { private: k.private, public: k.public.trim() }
  }
  throw new Error('Could not make an ed25519 key pair that parses (ssh2 keygen).')
}
