// The GCP pieces that need no Compute endpoint: error causes and scopes (HTTP errors and errors
// inside a finished operation), the endpoint settings' two forms, credentials and project as
// Google's tools find them, the gcp: config keys, the insert body (GPUs, spot, disks, images,
// labels, SSH key), instances read into the shared shape, and firewall port specs.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { resetConfig } from '../../../src/core/config'
import { failureOf } from '../../../src/core/provision/errors'
import { gcpSettings, proxyCommandFor } from '../../../src/core/provision/gcp/config'
import { describeGcpCredentials, gcpCredentials } from '../../../src/core/provision/gcp/credentials'
import { toVm } from '../../../src/core/provision/gcp/driver'
import { computeEndpoint, parseComputeEndpoint } from '../../../src/core/provision/gcp/endpoint'
import { gcpFailure, operationFailure } from '../../../src/core/provision/gcp/errors'
import { checkLabels, instanceBody, labelValue, sourceImage } from '../../../src/core/provision/gcp/instance'
import { portSpecs } from '../../../src/core/provision/gcp/network'
import type { LaunchedResources } from '../../../src/core/provision/types'

const where = { region: 'us-central1', zone: 'us-central1-a', op: 'instances.insert' }
const gerr = (code: number, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra })

describe('errors → cause and failover scope', () => {
  test('inside the finished operation: stockouts block the zone, quota the region, GPUS_ALL_REGIONS all of GCP', () => {
    for (const code of ['ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', 'UNSUPPORTED_OPERATION', 'RESOURCE_NOT_READY', 'RESOURCE_OPERATION_RATE_EXCEEDED']) {
      expect(failureOf(operationFailure(code, 'no room', where))).toEqual({ kind: 'capacity', scope: 'zone', infra: 'gcp', region: 'us-central1', zone: 'us-central1-a' })
    }
    expect(failureOf(operationFailure('QUOTA_EXCEEDED', "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1.", where))).toMatchObject({ kind: 'quota', scope: 'region' })
    expect(failureOf(operationFailure('QUOTA_EXCEEDED', "Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally.", where))).toMatchObject({ kind: 'quota', scope: 'infra' })
    expect(failureOf(operationFailure('SUBNET_NOT_FOUND_FOR_VPC', 'no subnet', where))).toMatchObject({ kind: 'config', scope: 'region' })
    expect(failureOf(operationFailure('VPC_NOT_FOUND', 'no vpc', where))).toMatchObject({ kind: 'config', scope: 'infra' })
    const odd = operationFailure('SOMETHING_NEW', 'what', where)
    expect(failureOf(odd)).toMatchObject({ kind: 'fatal', scope: 'stop' })
    expect(odd.message).toBe('Compute instances.insert in us-central1-a: SOMETHING_NEW: what')
  })

  test('HTTP errors from the client library: quota 403 (by ErrorInfo or message), auth, permissions, API off, missing project, bad types', () => {
    const quota = gcpFailure(gerr(7, "Quota 'NVIDIA_L4_GPUS' exceeded.  Limit: 0.0 in region us-central1.", { reason: 'QUOTA_EXCEEDED', errorInfoMetadata: { quota_metric: 'NVIDIA_L4_GPUS' } }), where)
    expect(failureOf(quota)).toMatchObject({ kind: 'quota', scope: 'region', region: 'us-central1' })
    expect(quota.message).toContain("QUOTA_EXCEEDED: Quota 'NVIDIA_L4_GPUS' exceeded")
    expect(failureOf(gcpFailure(gerr(7, "Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally."), where))).toMatchObject({ kind: 'quota', scope: 'infra' })
    expect(failureOf(gcpFailure(gerr(16, 'Request had invalid authentication credentials.'), where))).toMatchObject({ kind: 'auth', scope: 'infra' })
    expect(failureOf(gcpFailure(gerr(7, "Required 'compute.instances.create' permission for 'projects/p'"), where))).toMatchObject({ kind: 'auth', scope: 'infra' })
    const off = gcpFailure(gerr(7, 'Compute Engine API has not been used in project 1 before or it is disabled.'), where)
    expect(failureOf(off)).toMatchObject({ kind: 'config', scope: 'infra' })
    expect(off.message).toContain('not enabled for the project')
    const proj = gcpFailure(gerr(5, "The resource 'projects/nope' was not found"), where)
    expect(failureOf(proj)).toMatchObject({ kind: 'config', scope: 'infra' })
    expect(proj.message).toContain('project not found')
    expect(failureOf(gcpFailure(gerr(3, "Invalid value for field 'resource.machineType': 'zones/us-central1-a/machineTypes/a2-highgpu-1g'. Machine type with name 'a2-highgpu-1g' does not exist in zone 'us-central1-a'."), where))).toMatchObject({ kind: 'capacity', scope: 'zone' })
    expect(failureOf(gcpFailure(gerr(3, "Invalid value for field 'resource.networkInterfaces[0].network': 'x'. The referenced network resource cannot be found."), where))).toMatchObject({ kind: 'config', scope: 'infra' })
    expect(failureOf(gcpFailure(gerr(3, "Invalid value for field 'resource.labels'"), where))).toMatchObject({ kind: 'fatal', scope: 'stop' })
    expect(failureOf(gcpFailure(gerr(14, 'backend unavailable'), where))).toMatchObject({ kind: 'capacity', scope: 'zone' })
  })

  test('an endpoint that cannot be reached skips GCP; missing credentials are an auth failure', () => {
    const refused = gcpFailure(gerr(14, 'Exceeded maximum number of retries retrying error Error: ECONNREFUSED: Unable to connect'), where)
    expect(failureOf(refused)).toMatchObject({ kind: 'config', scope: 'infra' })
    expect(refused.message).toContain('Cannot reach Compute Engine')
    expect(failureOf(gcpFailure(new Error('Could not load the default credentials.'), where))).toMatchObject({ kind: 'auth', scope: 'infra' })
  })
})

describe('endpoint settings', () => {
  test('host:port and the /compute/v1/ base URL; anything else names the setting', () => {
    expect(parseComputeEndpoint('http://127.0.0.1:8123')).toEqual({ apiEndpoint: '127.0.0.1', port: 8123, protocol: 'http' })
    expect(parseComputeEndpoint('http://127.0.0.1:8123/compute/v1/')).toEqual({ apiEndpoint: '127.0.0.1', port: 8123, protocol: 'http' })
    expect(parseComputeEndpoint('https://compute.googleapis.com/compute/v1/')).toEqual({ apiEndpoint: 'compute.googleapis.com', port: 443, protocol: 'https' })
    expect(() => parseComputeEndpoint('http://h:1/v2/')).toThrow(/GOOGLE_COMPUTE_CUSTOM_ENDPOINT: the path must be empty or \/compute\/v1\//)
    expect(() => parseComputeEndpoint('ftp://h/', 'gcp.compute_endpoint')).toThrow(/gcp.compute_endpoint: unsupported scheme/)
    expect(() => parseComputeEndpoint('not a url')).toThrow(/is not a URL/)
  })
})

describe('credentials and project', () => {
  let root: string
  let home: string
  const write = (p: string, text: string) => (mkdirSync(dirname(p), { recursive: true }), writeFileSync(p, text), p)
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sky-gcp-creds-'))
    home = join(root, 'home')
    mkdirSync(home)
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))
  const none = { METADATA_SERVER_DETECTION: 'none' }

  test('an access token wins; then GOOGLE_APPLICATION_CREDENTIALS; then gcloud ADC; project from the environment first', () => {
    const key = write(join(root, 'sa.json'), JSON.stringify({ type: 'service_account', project_id: 'key-proj', client_email: 'bot@key-proj.iam.gserviceaccount.com', private_key: 'k' }))
    write(join(home, '.config/gcloud/application_default_credentials.json'), JSON.stringify({ type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'r', quota_project_id: 'quota-proj' }))
    write(join(home, '.config/gcloud/configurations/config_default'), '[core]\nproject = gcloud-proj\n')
    const token = gcpCredentials({ ...none, GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.x', GOOGLE_APPLICATION_CREDENTIALS: key }, home)
    // The token is used alone: the key file is not read (nor its project).
    expect(token).toMatchObject({ found: true, auth: { kind: 'token', token: 'ya29.x' }, project: 'gcloud-proj', projectFrom: 'gcloud config' })
    const sa = gcpCredentials({ ...none, GOOGLE_APPLICATION_CREDENTIALS: key, GOOGLE_CLOUD_PROJECT: 'env-proj' }, home)
    expect(sa).toMatchObject({ auth: { kind: 'file', type: 'service_account', account: 'bot@key-proj.iam.gserviceaccount.com' }, project: 'env-proj', projectFrom: 'GOOGLE_CLOUD_PROJECT' })
    expect(describeGcpCredentials(sa)).toBe(`GOOGLE_APPLICATION_CREDENTIALS (${key}, service-account key bot@key-proj.iam.gserviceaccount.com), project 'env-proj'`)
    const adc = gcpCredentials(none, home)
    expect(adc).toMatchObject({ auth: { kind: 'file', type: 'authorized_user' }, project: 'gcloud-proj', projectFrom: 'gcloud config' })
    expect(describeGcpCredentials(adc)).toBe("gcloud application default credentials (~/.config/gcloud/application_default_credentials.json, user credentials), project 'gcloud-proj'")
    // Another gcloud configuration, chosen by active_config or CLOUDSDK_ACTIVE_CONFIG_NAME.
    write(join(home, '.config/gcloud/configurations/config_work'), '[core]\nproject = work-proj\n')
    write(join(home, '.config/gcloud/active_config'), 'work\n')
    expect(gcpCredentials(none, home).project).toBe('work-proj')
    expect(gcpCredentials({ ...none, CLOUDSDK_ACTIVE_CONFIG_NAME: 'default' }, home).project).toBe('gcloud-proj')
  })

  test('nothing found: the reason says what to run; a broken key file says what is wrong; no project: how to set one', () => {
    const nothing = gcpCredentials(none, home)
    expect(nothing.found).toBe(false)
    expect(nothing.detail).toContain('gcloud auth application-default login')
    expect(gcpCredentials({ ...none, GOOGLE_APPLICATION_CREDENTIALS: join(root, 'nope.json') }, home).detail).toContain('which does not exist')
    const junk = write(join(root, 'junk.json'), '{"type":"api_key"}')
    expect(gcpCredentials({ ...none, GOOGLE_APPLICATION_CREDENTIALS: junk }, home).detail).toContain("credential type 'api_key'")
    const noProject = gcpCredentials({ ...none, GOOGLE_OAUTH_ACCESS_TOKEN: 't' }, home)
    expect(noProject.found).toBe(true)
    expect(describeGcpCredentials(noProject)).toContain('no project set (set GOOGLE_CLOUD_PROJECT')
  })

  test('the metadata server only when configured to be looked for (never by default off GCE)', () => {
    // Off GCE (its BIOS says so) nothing is found without METADATA_SERVER_DETECTION.
    const bios = ['/sys/class/dmi/id/product_name', '/sys/class/dmi/id/bios_vendor'].map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : '')).join(' ')
    expect(gcpCredentials({}, home).found).toBe(/Google/.test(bios))
    const md = gcpCredentials({ METADATA_SERVER_DETECTION: 'assume-present' }, home)
    expect(md).toMatchObject({ found: true, auth: { kind: 'metadata' } })
    expect(describeGcpCredentials(md)).toBe("the VM's service account (GCE metadata server), project from the metadata server")
    expect(gcpCredentials({ METADATA_SERVER_DETECTION: 'none' }, home).found).toBe(false)
  })
})

describe('gcp: config', () => {
  const home = process.env.SKY_HOME!
  afterEach(() => {
    rmSync(join(home, 'config.yaml'), { force: true })
    resetConfig()
  })
  const config = (yaml: string) => {
    writeFileSync(join(home, 'config.yaml'), yaml)
    resetConfig()
  }

  test('defaults, SkyPilot keys, per-region proxy commands, and errors that name the key', () => {
    expect(gcpSettings()).toEqual({ vpcName: 'default', useInternalIps: false, proxyCommand: null, labels: {}, remoteIdentity: 'LOCAL_CREDENTIALS', sshUser: 'gcpuser' })
    config('gcp:\n  vpc_name: ml-net\n  use_internal_ips: true\n  labels: {team: ml}\n  remote_identity: runner@p.iam.gserviceaccount.com\n  ssh_proxy_command: {us-central1: "ssh -W %h:%p jump"}\n  enable_gvnic: true\n')
    const s = gcpSettings()
    expect(s).toMatchObject({ vpcName: 'ml-net', useInternalIps: true, labels: { team: 'ml' }, remoteIdentity: 'runner@p.iam.gserviceaccount.com' })
    expect([proxyCommandFor(s, 'us-central1'), proxyCommandFor(s, 'us-east1')]).toEqual(['ssh -W %h:%p jump', null])
    config('gcp:\n  use_internal_ips: yes please\n')
    expect(() => gcpSettings()).toThrow(/gcp.use_internal_ips: must be true or false/)
    config('gcp:\n  remote_identity: SOMETIMES\n')
    expect(() => gcpSettings()).toThrow(/gcp.remote_identity 'SOMETIMES' is not/)
    config('gcp:\n  compute_endpoint: http://127.0.0.1:9/compute/v1/\n')
    expect(computeEndpoint({}).endpoint).toEqual({ apiEndpoint: '127.0.0.1', port: 9, protocol: 'http' })
    expect(computeEndpoint({ GOOGLE_COMPUTE_CUSTOM_ENDPOINT: 'http://10.0.0.1:7' })).toMatchObject({ shown: 'http://10.0.0.1:7', setting: 'GOOGLE_COMPUTE_CUSTOM_ENDPOINT' })
  })
})

describe('the insert body', () => {
  const r = (o: Partial<LaunchedResources> = {}): LaunchedResources => ({
    infra: 'gcp', region: 'us-central1', zone: 'us-central1-a', instanceType: 'n2-standard-2', useSpot: false, numNodes: 1, cpus: 2, memoryGb: 8,
    accelerators: null, diskSizeGb: null, diskTier: null, networkTier: null, imageId: null, ports: [], labels: {}, hosts: null, hourlyPrice: 0.1, ...o,
  })
  const body = (res: LaunchedResources, internal = false) =>
    instanceBody({
      name: 'c-1-ab12-head', zone: 'us-central1-a', resources: res, labels: { 'skypilot-cluster-name': 'c-1' }, networkTag: 'sky-c-1', network: 'global/networks/default', subnetwork: null,
      settings: { vpcName: 'default', useInternalIps: internal, proxyCommand: null, labels: {}, remoteIdentity: 'LOCAL_CREDENTIALS', sshUser: 'gcpuser' },
      sshKey: 'gcpuser:ssh-ed25519 AAAA k', serviceAccount: null, description: 'd',
    }) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

  test('CPU: the catalog CPU image, pd-balanced 256 GB, live migration, an external IP, the key in metadata', () => {
    const b = body(r())
    expect(b.machineType).toBe('zones/us-central1-a/machineTypes/n2-standard-2')
    expect(b.disks[0].initializeParams).toMatchObject({ sourceImage: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts', diskSizeGb: '256', diskType: 'zones/us-central1-a/diskTypes/pd-balanced' })
    expect(b.scheduling).toEqual({ provisioningModel: 'STANDARD', onHostMaintenance: 'MIGRATE', automaticRestart: true })
    expect(b.networkInterfaces).toEqual([{ network: 'global/networks/default', accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT', networkTier: 'PREMIUM' }] }])
    expect(b.metadata.items).toEqual([{ key: 'ssh-keys', value: 'gcpuser:ssh-ed25519 AAAA k' }, { key: 'enable-oslogin', value: 'FALSE' }])
    expect(b.tags).toEqual({ items: ['sky-c-1'] })
    expect(b.guestAccelerators).toBeUndefined()
    expect(body(r(), true).networkInterfaces[0].accessConfigs).toBeUndefined()
  })

  test('GPUs: attached to N1 hosts, built into G2 / A2; TERMINATE on host maintenance; the deep-learning image', () => {
    const t4 = body(r({ instanceType: 'n1-standard-4', accelerators: { name: 'T4', count: 2 } }))
    expect(t4.guestAccelerators).toEqual([{ acceleratorType: 'zones/us-central1-a/acceleratorTypes/nvidia-tesla-t4', acceleratorCount: 2 }])
    expect(t4.scheduling.onHostMaintenance).toBe('TERMINATE')
    expect(t4.disks[0].initializeParams.sourceImage).toContain('deeplearning-platform-release/global/images/family/common-cu')
    for (const [type, gpu] of [['g2-standard-8', 'L4'], ['a2-highgpu-1g', 'A100'], ['a3-highgpu-8g', 'H100']] as const) {
      const b = body(r({ instanceType: type, accelerators: { name: gpu, count: 1 } }))
      expect([b.guestAccelerators, b.scheduling.onHostMaintenance]).toEqual([undefined, 'TERMINATE'])
    }
  })

  test('spot, disk size and tier, image_id forms', () => {
    expect(body(r({ useSpot: true })).scheduling).toEqual({ provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE', onHostMaintenance: 'TERMINATE', automaticRestart: false })
    const disk = body(r({ diskSizeGb: 512, diskTier: 'ultra' })).disks[0].initializeParams
    expect(disk).toMatchObject({ diskSizeGb: '512', diskType: 'zones/us-central1-a/diskTypes/pd-extreme', provisionedIops: '20000' })
    expect(() => body(r({ diskTier: 'fastest' }))).toThrow(/disk_tier 'fastest' is not one GCP offers/)
    expect(sourceImage(r({ imageId: 'projects/my-p/global/images/family/my-fam' }))).toBe('projects/my-p/global/images/family/my-fam')
    expect(sourceImage(r({ imageId: 'skypilot:gpu-ubuntu-2204' }))).toContain('deeplearning-platform-release')
    expect(() => sourceImage(r({ imageId: 'ami-123' }))).toThrow(/image_id 'ami-123' is not a GCP image/)
    expect(() => sourceImage(r({ imageId: 'skypilot:tpu' }))).toThrow(/not an image alias sky knows/)
  })

  test('labels: display names made valid, user labels checked with the rule in the message', () => {
    expect(labelValue('My.Cluster_01')).toBe('my_cluster_01')
    expect(() => checkLabels({ Team: 'x' }, 'gcp.labels')).toThrow(/gcp.labels: label key 'Team' is not valid on GCP/)
    expect(() => checkLabels({ team: 'A B' }, 'resources.labels')).toThrow(/resources.labels: label team: value 'A B' is not valid on GCP/)
    expect(() => checkLabels({ team: 'ml-1' }, 'x')).not.toThrow()
  })
})

describe('instances read into the shared shape', () => {
  test('labels give cluster, rank, server and user; TERMINATED is stopped; addresses from the first interface', () => {
    const i = toVm({
      name: 'c-1-ab12-worker1', zone: 'https://www.googleapis.com/compute/v1/projects/p/zones/us-east1-b', status: 'TERMINATED', creationTimestamp: '2026-01-02T03:04:05.000-07:00',
      labels: { 'skypilot-cluster-name': 'c-1', 'skypilot-node-rank': '1', 'skypilot-server': '0123456789ab', 'skypilot-user': 'feedbeef' },
      scheduling: { provisioningModel: 'SPOT' }, networkInterfaces: [{ networkIP: '10.142.0.5', accessConfigs: [{}] }],
    })
    expect(i).toEqual({
      id: 'c-1-ab12-worker1', cluster: 'c-1', rank: 1, state: 'stopped', reason: 'spot VM preempted, or stopped outside sky', zone: 'us-east1-b',
      privateIp: '10.142.0.5', publicIp: null, spot: true, server: '0123456789ab', userHash: 'feedbeef', launchedAt: Date.parse('2026-01-02T10:04:05Z'),
    })
    expect(toVm({ name: 'x', status: 'STAGING', labels: {} })).toMatchObject({ rank: null, state: 'pending', cluster: '' })
  })

  test('port specs are merged and sorted for one firewall rule', () => {
    expect(portSpecs(['9000-9001', '8080', '8081', '9001-9005', '22'])).toEqual(['22', '8080-8081', '9000-9005'])
  })
})
