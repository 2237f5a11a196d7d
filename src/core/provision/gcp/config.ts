// The `gcp:` section of ~/.sky/config.yaml (listed in config-schema.ts), read when the provisioner
// needs it. SkyPilot's keys (labels, vpc_name, use_internal_ips, ssh_proxy_command,
// remote_identity) plus this build's compute_endpoint and ssh_user. A wrong value is an
// InfraConfigError that names the key, so failover skips GCP with the reason instead of launching
// something else; unknown keys and SkyPilot's others are reported when the config is loaded.
import { configGet } from '../../config'
import { proxyCommandIn, sectionReader } from '../cloud-vm/settings'

export interface GcpSettings {
  /** gcp.vpc_name: the VPC network to launch into (default: `default`). */
  vpcName: string
  /** gcp.use_internal_ips: nodes get no external IP; the API server reaches them on internal IPs. */
  useInternalIps: boolean
  /** gcp.ssh_proxy_command: one command, or one per region. */
  proxyCommand: string | Record<string, string> | null
  /** gcp.labels: extra instance labels. */
  labels: Record<string, string>
  /**
   * gcp.remote_identity: LOCAL_CREDENTIALS (default: the head gets the API server's credentials so
   * autostop can stop it), SERVICE_ACCOUNT (the `skypilot-v1` service account of the project is
   * attached), NO_UPLOAD, or the email of a service account to attach.
   */
  remoteIdentity: string
  /** gcp.ssh_user: the login user sky creates through the ssh-keys metadata (default gcpuser). */
  sshUser: string
}

const reader = sectionReader('gcp')
const { str, strMap, strOrMap } = reader
function bad(key: string, what: string): never {
  return reader.bad(key, what)
}

const NAME_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/

export function gcpSettings(): GcpSettings {
  const raw = configGet<Record<string, unknown>>('gcp') ?? {}
  if (typeof raw !== 'object' || Array.isArray(raw)) bad('', 'must be a mapping')
  const identity = raw.remote_identity ?? 'LOCAL_CREDENTIALS'
  if (typeof identity !== 'string' || !identity) bad('remote_identity', 'must be LOCAL_CREDENTIALS, SERVICE_ACCOUNT, NO_UPLOAD or a service account email')
  if (!['LOCAL_CREDENTIALS', 'SERVICE_ACCOUNT', 'NO_UPLOAD'].includes(identity) && !/^[^@\s]+@[^@\s]+$/.test(identity)) {
    bad('remote_identity', `'${identity}' is not LOCAL_CREDENTIALS, SERVICE_ACCOUNT, NO_UPLOAD or a service account email`)
  }
  if (raw.use_internal_ips !== undefined && typeof raw.use_internal_ips !== 'boolean') bad('use_internal_ips', 'must be true or false')
  const vpc = str(raw.vpc_name, 'vpc_name') ?? 'default'
  if (!NAME_RE.test(vpc)) bad('vpc_name', `'${vpc}' is not a VPC network name (lower case letters, digits and dashes)`)
  const user = str(raw.ssh_user, 'ssh_user') ?? 'gcpuser'
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) bad('ssh_user', `'${user}' is not a Linux user name`)
  return {
    vpcName: vpc,
    useInternalIps: raw.use_internal_ips === true,
    proxyCommand: strOrMap(raw.ssh_proxy_command, 'ssh_proxy_command'),
    labels: strMap(raw.labels, 'labels'),
    remoteIdentity: identity,
    sshUser: user,
  }
}

/** The proxy command for a region (a per-region map may leave regions out: no proxy there). */
export function proxyCommandFor(s: GcpSettings, region: string): string | null {
  return proxyCommandIn(s.proxyCommand, region)
}
