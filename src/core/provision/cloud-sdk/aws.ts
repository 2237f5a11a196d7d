// The only module that imports @aws-sdk/client-ec2. It is bundled with the other cloud SDK
// adapters into one file that the compiled binary embeds and loads only where a provisioner runs
// (see ./load.ts), so the SDK never enters the CLI's module graph. Everything above this file
// speaks plain objects (the SDK's input and output shapes, imported as types only) and sees the
// SDK's errors as they are (name = EC2 error code, $metadata.httpStatusCode).
//
// Credentials and endpoints are the SDK's own: the default provider chain (environment, shared
// credentials/config files with AWS_PROFILE, SSO, assumed roles, web identity, process, instance
// metadata) and the standard endpoint settings (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, a profile's
// endpoint_url), read when a client is made, so the same binary talks to AWS or a test double.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type EC2ClientConfig,
  ImportKeyPairCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2'

const COMMANDS = {
  AuthorizeSecurityGroupIngress: AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroup: CreateSecurityGroupCommand,
  CreateTags: CreateTagsCommand,
  DeleteSecurityGroup: DeleteSecurityGroupCommand,
  DescribeImages: DescribeImagesCommand,
  DescribeInstances: DescribeInstancesCommand,
  DescribeKeyPairs: DescribeKeyPairsCommand,
  DescribeRegions: DescribeRegionsCommand,
  DescribeSecurityGroups: DescribeSecurityGroupsCommand,
  DescribeSubnets: DescribeSubnetsCommand,
  DescribeVpcs: DescribeVpcsCommand,
  ImportKeyPair: ImportKeyPairCommand,
  RevokeSecurityGroupIngress: RevokeSecurityGroupIngressCommand,
  RunInstances: RunInstancesCommand,
  StartInstances: StartInstancesCommand,
  StopInstances: StopInstancesCommand,
  TerminateInstances: TerminateInstancesCommand,
} as const

export type Ec2Operation = keyof typeof COMMANDS

export interface Ec2SendOptions {
  signal?: AbortSignal
  /** Attempts including the first (the SDK's default is 3). 1 for launches: capacity errors fail over at once. */
  maxAttempts?: number
}

const clients = new Map<string, { at: number; client: EC2Client }>()
/** Clients (and the credentials they resolved) are made again after this long: edited profiles take effect. */
const CLIENT_TTL_MS = 5 * 60_000

/** The AWS_* environment a client was made from: a changed one (another profile or endpoint) gets a new client. */
function awsEnv(): string {
  return Object.keys(process.env)
    .filter((k) => k.startsWith('AWS_'))
    .sort()
    .map((k) => `${k}=${process.env[k]}`)
    .join('\n')
}

function client(region: string, maxAttempts: number): EC2Client {
  const key = `${region}\u0000${maxAttempts}\u0000${Bun.hash(awsEnv())}`
  const hit = clients.get(key)
  if (hit && Date.now() - hit.at < CLIENT_TTL_MS) return hit.client
  // The old client is dropped, not destroyed: a call in flight on it finishes.
  // ignoreCache reaches the default credential chain: shared config and credential files are read
  // again for each new client, so an edited profile counts without restarting the server.
  const c = new EC2Client({ region, maxAttempts, ignoreCache: true } as EC2ClientConfig)
  clients.set(key, { at: Date.now(), client: c })
  return c
}

/** Send one EC2 operation in `region`; resolves with the SDK's output, rejects with its error. */
export function ec2Send(region: string, op: Ec2Operation, input: object, o: Ec2SendOptions = {}): Promise<unknown> {
  const Cmd = COMMANDS[op] as unknown as new (input: object) => Parameters<EC2Client['send']>[0]
  if (!Cmd) return Promise.reject(new Error(`unknown EC2 operation ${op}`))
  return client(region, o.maxAttempts ?? 3).send(new Cmd(input), o.signal ? { abortSignal: o.signal } : undefined)
}

/** The credentials the default chain resolves (for the node-side copy of LOCAL_CREDENTIALS). */
export async function ec2Credentials(region: string): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }> {
  const c = client(region, 3)
  const creds = await c.config.credentials()
  return { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}), ...(creds.expiration ? { expiration: creds.expiration } : {}) }
}

/** Forget the clients (their credentials and endpoints were read from the environment when made). */
export function ec2Reset(): void {
  clients.clear()
}
