// The `aws:` section of ~/.sky/config.yaml (SkyPilot's keys; listed in config-schema.ts), read when
// a provisioner needs it, plus the home region as the AWS CLI finds it. A wrong value is an InfraConfigError that names
// the key, so failover skips AWS with the reason instead of launching something else.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { configGet } from '../../config'
import { parseIni } from '../../infra/cloud-credentials'
import { proxyCommandIn, sectionReader } from '../cloud-vm/settings'

export interface AwsSettings {
  /** aws.vpc_name: the VPC (by its Name tag) to launch into; default: the region's default VPC. */
  vpcName: string | null
  /** aws.use_internal_ips: nodes get no public IP; the API server reaches them on private IPs. */
  useInternalIps: boolean
  /** aws.ssh_proxy_command: one command, or one per region. */
  proxyCommand: string | Record<string, string> | null
  /** aws.labels: extra instance tags. */
  labels: Record<string, string>
  /**
   * aws.remote_identity: LOCAL_CREDENTIALS (default: the head gets the API server's credentials so
   * autostop can stop it), SERVICE_ACCOUNT (instance profile `skypilot-v1`), NO_UPLOAD, or the
   * name of an instance profile to attach.
   */
  remoteIdentity: string
  /** aws.security_group_name: one security group shared by every cluster (kept on down). */
  securityGroupName: string | null
  /** aws.ssh_user: the image's login user (default ubuntu; ec2-user for Amazon Linux images). */
  sshUser: string
  /** aws.disk_encrypted: encrypt the root volume. */
  diskEncrypted: boolean
}

const reader = sectionReader('aws')
const { str, strMap, strOrMap } = reader
function bad(key: string, what: string): never {
  return reader.bad(key, what)
}

export function awsSettings(): AwsSettings {
  const raw = configGet<Record<string, unknown>>('aws') ?? {}
  // Unknown keys and SkyPilot's others are reported when the config is loaded (config-schema.ts).
  if (typeof raw !== 'object' || Array.isArray(raw)) bad('', 'must be a mapping')
  const identity = raw.remote_identity ?? 'LOCAL_CREDENTIALS'
  if (typeof identity !== 'string' || !identity) bad('remote_identity', 'must be LOCAL_CREDENTIALS, SERVICE_ACCOUNT, NO_UPLOAD or an instance profile name')
  for (const k of ['use_internal_ips', 'disk_encrypted'] as const) if (raw[k] !== undefined && typeof raw[k] !== 'boolean') bad(k, 'must be true or false')
  return {
    vpcName: str(raw.vpc_name, 'vpc_name'),
    useInternalIps: raw.use_internal_ips === true,
    proxyCommand: strOrMap(raw.ssh_proxy_command, 'ssh_proxy_command'),
    labels: strMap(raw.labels, 'labels'),
    remoteIdentity: identity,
    securityGroupName: str(raw.security_group_name, 'security_group_name'),
    sshUser: str(raw.ssh_user, 'ssh_user') ?? 'ubuntu',
    diskEncrypted: raw.disk_encrypted === true,
  }
}

/** The proxy command for a region (a per-region map may leave regions out: no proxy there). */
export function proxyCommandFor(s: AwsSettings, region: string): string | null {
  return proxyCommandIn(s.proxyCommand, region)
}

/** The home region as the AWS CLI finds it: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1. */
export function homeRegion(env: Record<string, string | undefined> = process.env, home = env.HOME || homedir()): string {
  if (env.AWS_REGION) return env.AWS_REGION
  if (env.AWS_DEFAULT_REGION) return env.AWS_DEFAULT_REGION
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default'
  const file = env.AWS_CONFIG_FILE || join(home, '.aws', 'config')
  try {
    if (existsSync(file)) {
      const ini = parseIni(readFileSync(file, 'utf8'))
      const sec = ini[profile === 'default' ? 'default' : `profile ${profile}`] ?? ini[profile]
      if (sec?.region) return sec.region
    }
  } catch {
    // an unreadable config file: the default region
  }
  return 'us-east-1'
}
