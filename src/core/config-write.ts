// Writing ~/.sky/config.yaml: only the `api_server` block changes; everything else is kept.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseDocument } from 'yaml'
import { resetConfig } from './config'
import { paths } from './paths'

export function saveApiServerConfig(endpoint: string | undefined, token: string | undefined): void {
  const file = paths.config()
  const doc = parseDocument(existsSync(file) ? readFileSync(file, 'utf8') : '')
  if (!doc.contents) doc.contents = doc.createNode({}) as never
  if (endpoint === undefined) doc.delete('api_server')
  else doc.set('api_server', doc.createNode({ endpoint, ...(token ? { service_account_token: token } : {}) }))
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, doc.toString(), { mode: 0o600 })
  resetConfig()
}
