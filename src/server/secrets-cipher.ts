// Request bodies that carry secrets (`--secret`, a task's `secrets:`) are stored sealed with
// AES-256-GCM under a server key, so no secret value is written in clear to the state database,
// its WAL or its free pages. The key: SKYPILOT_SECRETS_KEY (64 hex digits or base64 of 32 bytes;
// replicas sharing a PostgreSQL database must share it), else `api_server.secrets_key_file`, else
// $SKY_HOME/api_server/secrets.key, created 0600 on first start.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { configGet } from '../core/config'
import { UsageError } from '../core/errors'
import { ensureSecretFile } from '../core/home-perms'
import { paths } from '../core/paths'
import type { BodyCipher } from '../core/state/requests'

const PREFIX = 'sealed:v1:'
/** What a sealed body opens to when this server's key cannot open it. */
export const UNREADABLE_BODY = '{"sealed_body_unreadable":true}'

function parseKey(text: string, where: string): Buffer {
  const t = text.trim()
  const k = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (k.length !== 32) throw new UsageError(`${where}: the secrets key must be 32 bytes (64 hex digits or base64).`)
  return k
}

export function loadSecretsKey(): Buffer {
  const env = process.env.SKYPILOT_SECRETS_KEY
  if (env) return parseKey(env, 'SKYPILOT_SECRETS_KEY')
  const file = configGet<string>('api_server.secrets_key_file')
  if (file) {
    if (!existsSync(file)) throw new UsageError(`api_server.secrets_key_file: ${file} does not exist.`)
    return parseKey(readFileSync(file, 'utf8'), file)
  }
  return Buffer.from(ensureSecretFile(paths.secretsKey(), 32), 'hex')
}

/** Whether a body may hold a secret (conservative: any mention of `secrets`). */
export function mayHoldSecrets(json: string): boolean {
  return json.includes('secrets')
}

export function bodyCipher(key: Buffer): BodyCipher {
  return {
    seal(json) {
      if (!mayHoldSecrets(json)) return undefined
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', key, iv)
      const ct = Buffer.concat([c.update(json, 'utf8'), c.final()])
      return PREFIX + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64')
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored
      try {
        const raw = Buffer.from(stored.slice(PREFIX.length), 'base64')
        const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
        d.setAuthTag(raw.subarray(12, 28))
        return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')
      } catch {
        return UNREADABLE_BODY
      }
    },
  }
}
