import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { checkInfra, enabledInfraFromChecks, formatEnabledInfra, type InfraCheck } from '../../../src/core/infra/check'
import { renderCheck } from '../../../src/core/infra/render-check'
import { parseIni } from '../../../src/core/infra/cloud-credentials'
import { ValidationError } from '../../../src/core/errors'

let root: string
let home: string
let skyHome: string

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
  return path
}

/** An environment with only a temp HOME and SKY_HOME (plus extras). */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: home, SKY_HOME: skyHome, ...extra }
}

function byInfra(checks: InfraCheck[], infra: string): InfraCheck {
  return checks.find((c) => c.infra === infra)!
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sky-check-'))
  home = join(root, 'home')
  skyHome = join(root, 'sky')
  mkdirSync(home, { recursive: true })
  mkdirSync(skyHome, { recursive: true })
})

afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: prod
contexts:
  - name: dev
    context: {cluster: c1, user: u1, namespace: team}
  - name: prod
    context: {cluster: c2, user: u2}
  - name: ssh-lab
    context: {cluster: c3, user: u3}
clusters: []
users: []
`

describe('sky check', () => {
  const check = (o: Parameters<typeof checkInfra>[0] = {}) => checkInfra({ validate: false, ...o })

  test('nothing configured: only local is enabled, with reasons and fixes for the rest', async () => {
    const checks = await check({ env: env() })
    expect(checks.map((c) => c.infra)).toEqual(['local', 'ssh', 'kubernetes', 'aws', 'gcp'])
    expect(checks.filter((c) => c.enabled).map((c) => c.infra)).toEqual(['local'])
    expect(byInfra(checks, 'ssh').reason).toContain('ssh_node_pools.yaml')
    expect(byInfra(checks, 'kubernetes').reason).toContain('no kubeconfig contexts found')
    expect(byInfra(checks, 'aws').reason).toContain('aws configure')
    expect(byInfra(checks, 'gcp').reason).toContain('gcloud auth application-default login')
    expect(enabledInfraFromChecks(checks)).toEqual({ infra: ['local'], regions: {} })
  })

  test('AWS credentials are found and named; without validation (a real call) AWS is not enabled', async () => {
    const fromEnv = byInfra(await check({ env: env({ AWS_ACCESS_KEY_ID: 'AKIASKYUNITTEST0001', AWS_SECRET_ACCESS_KEY: 's' }) }), 'aws')
    expect(fromEnv).toMatchObject({ enabled: false, capabilities: [] })
    expect(fromEnv.reason).toBe('credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables, access key AKIA…0001 (not validated; run: sky check aws)')
    write(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n\n[work]\naws_access_key_id=B\naws_secret_access_key=t\n')
    expect(byInfra(await check({ env: env() }), 'aws').reason).toContain("~/.aws/credentials (profile 'default')")
    expect(byInfra(await check({ env: env({ AWS_PROFILE: 'work' }) }), 'aws').reason).toContain("profile 'work'")
    const missing = byInfra(await check({ env: env({ AWS_PROFILE: 'nope' }) }), 'aws')
    expect(missing.enabled).toBe(false)
    expect(missing.reason).toContain('profiles there: default, work')
  })

  test('AWS SSO profile in ~/.aws/config', async () => {
    write(join(home, '.aws', 'config'), '[profile corp]\nsso_session = corp\nregion = us-east-1\n')
    const aws = byInfra(await check({ env: env({ AWS_PROFILE: 'corp' }) }), 'aws')
    expect(aws.enabled).toBe(false)
    expect(aws.reason).toContain('SSO')
  })

  test('GCP application default credentials, key file, and a missing key file; without validation (a real call) GCP is not enabled', async () => {
    write(join(home, '.config', 'gcloud', 'application_default_credentials.json'), '{"type":"authorized_user"}')
    write(join(home, '.config', 'gcloud', 'configurations', 'config_default'), '[core]\nproject = my-proj\n')
    const adc = byInfra(await check({ env: env() }), 'gcp')
    expect(adc).toMatchObject({ enabled: false, capabilities: [] })
    expect(adc.reason).toBe("credentials: gcloud application default credentials (~/.config/gcloud/application_default_credentials.json, user credentials), project 'my-proj' (not validated; run: sky check gcp)")
    const key = write(join(root, 'key.json'), '{"type":"service_account","project_id":"svc-proj","client_email":"a@svc-proj.iam.gserviceaccount.com","private_key":"k"}')
    expect(byInfra(await check({ env: env({ GOOGLE_APPLICATION_CREDENTIALS: key }) }), 'gcp').reason).toContain("project 'svc-proj'")
    const gone = byInfra(await check({ env: env({ GOOGLE_APPLICATION_CREDENTIALS: join(root, 'nope.json') }) }), 'gcp')
    expect(gone.enabled).toBe(false)
    expect(gone.reason).toContain('does not exist')
  })

  test('Kubernetes contexts from ~/.kube/config or KUBECONFIG, current first, ssh-* excluded', async () => {
    write(join(home, '.kube', 'config'), KUBECONFIG)
    const k = byInfra(await check({ env: env() }), 'kubernetes')
    expect(k).toMatchObject({ enabled: true, regions: ['prod', 'dev'], capabilities: ['compute'] })
    expect(k.reason).toContain(`2 contexts in ${join(home, '.kube', 'config')}`)
    const other = write(join(root, 'other.yaml'), 'contexts:\n  - name: kind-sky\n    context: {cluster: kind}\n')
    const multi = byInfra(await check({ env: env({ KUBECONFIG: `${other}:${join(home, '.kube', 'config')}` }) }), 'kubernetes')
    expect(multi.regions).toEqual(['prod', 'kind-sky', 'dev'])
    write(join(home, '.kube', 'config'), 'contexts: [\n')
    const broken = byInfra(await check({ env: env() }), 'kubernetes')
    expect(broken.enabled).toBe(false)
    expect(broken.reason).toContain('not valid YAML')
  })

  test('SSH node pools', async () => {
    write(
      join(skyHome, 'ssh_node_pools.yaml'),
      'lab:\n  user: ubuntu\n  identity_file: ~/.ssh/id\n  hosts:\n    - 10.0.0.1\n    - {ip: 10.0.0.2, user: root}\n',
    )
    const s = byInfra(await check({ env: env() }), 'ssh')
    expect(s).toMatchObject({ enabled: true, regions: ['lab'], capabilities: ['compute'] })
    write(join(skyHome, 'ssh_node_pools.yaml'), 'empty:\n  hosts: []\n')
    const none = byInfra(await check({ env: env() }), 'ssh')
    expect(none.enabled).toBe(false)
    expect(none.reason).toContain('empty.hosts: must be a non-empty list')
  })

  test('SSH pools are validated by logging in: a pool whose hosts do not answer is not enabled', async () => {
    const saved = process.env.SKY_HOME
    process.env.SKY_HOME = skyHome
    try {
      // A closed port on this machine: refused at once.
      write(join(skyHome, 'ssh_node_pools.yaml'), `dead:\n  user: nobody\n  hosts:\n    - {ip: 127.0.0.1, port: 1}\n`)
      const s = byInfra(await checkInfra({ env: env(), only: ['ssh'] }), 'ssh')
      expect(s.enabled).toBe(false)
      expect(s.reason).toContain('credentials invalid: dead: no host answers')
    } finally {
      process.env.SKY_HOME = saved
    }
  })

  test('reads process.env when no env is given', async () => {
    const saved = { HOME: process.env.HOME, SKY_HOME: process.env.SKY_HOME }
    try {
      process.env.HOME = home
      process.env.SKY_HOME = skyHome
      write(join(skyHome, 'ssh_node_pools.yaml'), 'p1:\n  hosts: [h1]\n')
      const checks = await check()
      expect(byInfra(checks, 'ssh').regions).toEqual(['p1'])
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })

  test('only some infra; unknown names are rejected', async () => {
    expect((await check({ env: env(), only: ['k8s', 'AWS'] })).map((c) => c.infra)).toEqual(['kubernetes', 'aws'])
    await expect(check({ env: env(), only: ['azure'] })).rejects.toThrow(ValidationError)
  })

  test('enabled infra for the optimizer, status line and rendering', () => {
    const checks: InfraCheck[] = [
      { infra: 'local', enabled: true, reason: 'this machine', regions: ['local'], capabilities: ['compute'] },
      { infra: 'ssh', enabled: true, reason: '1 pool', regions: ['lab'], capabilities: ['compute'] },
      { infra: 'kubernetes', enabled: true, reason: 'kubeconfig', regions: ['prod', 'dev'], capabilities: ['compute'] },
      { infra: 'aws', enabled: true, reason: 'keys', capabilities: ['compute', 'storage'] },
      { infra: 'gcp', enabled: false, reason: 'not supported by this build (no GCP credentials found)', capabilities: [] },
    ]
    expect(enabledInfraFromChecks(checks)).toEqual({ infra: ['local', 'ssh', 'kubernetes', 'aws'], regions: { ssh: ['lab'], kubernetes: ['prod', 'dev'] } })
    expect(formatEnabledInfra(checks)).toBe('local, ssh/lab, k8s/prod, k8s/dev, aws')
    const text = renderCheck(checks)
    expect(text).toContain('  AWS: enabled [compute, storage]')
    expect(text).toContain('  GCP: disabled\n    Reason: not supported by this build (no GCP credentials found)')
    expect(text).toContain('    Allowed contexts:\n    ├── prod\n    └── dev')
    expect(text).toContain('    Node pools:\n    └── lab')
  })

  test('INI parsing', () => {
    expect(parseIni('# c\n[a]\nk = v = w\n[b c]\nx=1\n')).toEqual({ a: { k: 'v = w' }, 'b c': { x: '1' } })
  })
})
