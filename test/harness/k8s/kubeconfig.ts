// Kubeconfig files for tests: one cluster/user/context entry per harness context, with the CA as
// certificate-authority-data and either a client certificate (client-certificate-data /
// client-key-data), a bearer token, or no credentials. Plain-HTTP clusters are marked
// insecure-skip-tls-verify, which @kubernetes/client-node requires before it talks to http://.
import { writeFileSync } from 'node:fs'
import YAML from 'yaml'

export type KubeAuth = 'cert' | 'token' | 'none'

export interface KubeconfigEntry {
  name: string
  server: string
  namespace?: string
  /** PEM of the CA (TLS clusters). */
  ca?: string
  auth: KubeAuth
  cert?: { cert: string; key: string }
  token?: string
  /** Skip server certificate checks (always set for http:// servers). */
  insecure?: boolean
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

export function kubeconfigYaml(entries: KubeconfigEntry[], current?: string): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': current ?? entries[0]?.name ?? '',
    clusters: entries.map((e) => ({
      name: e.name,
      cluster: {
        server: e.server,
        ...(e.ca && !e.insecure ? { 'certificate-authority-data': b64(e.ca) } : {}),
        ...(e.insecure || e.server.startsWith('http://') ? { 'insecure-skip-tls-verify': true } : {}),
      },
    })),
    users: entries.map((e) => ({
      name: `${e.name}-user`,
      user:
        e.auth === 'cert' && e.cert
          ? { 'client-certificate-data': b64(e.cert.cert), 'client-key-data': b64(e.cert.key) }
          : e.auth === 'token' && e.token
            ? { token: e.token }
            : {},
    })),
    contexts: entries.map((e) => ({
      name: e.name,
      context: { cluster: e.name, user: `${e.name}-user`, ...(e.namespace ? { namespace: e.namespace } : {}) },
    })),
  }
  return YAML.stringify(doc)
}

export function writeKubeconfig(path: string, entries: KubeconfigEntry[], current?: string): string {
  writeFileSync(path, kubeconfigYaml(entries, current), { mode: 0o600 })
  return path
}
