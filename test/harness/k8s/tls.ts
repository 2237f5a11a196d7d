// TLS material for one harness run, made with openssl: a CA of its own, a server certificate for
// 127.0.0.1/localhost, client certificates (CN = user, O = system:masters), and an unrelated CA
// with a client certificate of its own for tests that must be refused.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface KeyPair {
  cert: string
  key: string
  certPath: string
  keyPath: string
}

export interface TlsFiles {
  dir: string
  ca: string
  caPath: string
  server: KeyPair
  /** Client certificate signed by the CA (CN=tester). */
  client: KeyPair
  /** Make another client certificate signed by this run's CA. */
  clientFor(user: string): KeyPair
  /** A CA this server does not trust, and a client certificate signed by it. */
  untrusted(): { ca: string; client: KeyPair }
}

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(['openssl', ...args], { cwd, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr.toString().trim()}`)
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function makeCA(dir: string, name: string, cn: string): string {
  openssl(['req', '-x509', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '7', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
  return readFileSync(join(dir, `${name}.crt`), 'utf8')
}

function signed(dir: string, ca: string, name: string, subject: string, ext: string): KeyPair {
  openssl(['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir)
  writeFileSync(join(dir, `${name}.ext`), ext)
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '7', '-extfile', `${name}.ext`], dir)
  const certPath = join(dir, `${name}.crt`)
  const keyPath = join(dir, `${name}.key`)
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath, keyPath }
}

const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'

export function makeTls(dir: string, runId: string): TlsFiles {
  mkdirSync(dir, { recursive: true })
  if (!Bun.which('openssl')) throw new Error('k8s harness: TLS mode needs openssl (apt-get install openssl)')
  const ca = makeCA(dir, 'ca', `sky-test-ca-${runId}`)
  const server = signed(dir, 'ca', 'server', '/CN=kube-apiserver', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n')
  const clientFor = (user: string) => signed(dir, 'ca', `client-${user.replace(/[^a-z0-9-]/gi, '_')}`, `/CN=${user}/O=system:masters`, CLIENT_EXT)
  let other: { ca: string; client: KeyPair } | undefined
  return {
    dir,
    ca,
    caPath: join(dir, 'ca.crt'),
    server,
    client: clientFor('tester'),
    clientFor,
    untrusted() {
      if (!other) {
        const otherCa = makeCA(dir, 'other-ca', 'not-the-cluster-ca')
        other = { ca: otherCa, client: signed(dir, 'other-ca', 'other-client', '/CN=intruder/O=system:masters', CLIENT_EXT) }
      }
      return other
    },
  }
}
