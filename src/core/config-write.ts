// Writing ~/.sky/config.yaml: only `api_server.endpoint` and `api_server.service_account_token`
// change; every other key (and its comments) is kept. The file may hold a password or token, so
// it is readable by its owner only.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseDocument } from 'yaml'
import { resetConfig } from './config'
import { paths } from './paths'

export function saveApiServerConfig(endpoint: string | undefined, token: string | undefined): void {
  const file = paths.config()
  const doc = parseDocument(existsSync(file) ? readFileSync(file, 'utf8') : '')
  if (!doc.contents) doc.contents = doc.createNode({}) as never
  if (endpoint === undefined) doc.deleteIn(['api_server', 'endpoint'])
  else doc.setIn(['api_server', 'endpoint'], endpoint)
  if (token) doc.setIn(['api_server', 'service_account_token'], token)
  else doc.deleteIn(['api_server', 'service_account_token'])
  const block = doc.get('api_server') as { items?: unknown[] } | undefined
  if (block && Array.isArray(block.items) && block.items.length === 0) doc.delete('api_server')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, doc.toString(), { mode: 0o600 })
  chmodSync(file, 0o600)
  resetConfig()
}
