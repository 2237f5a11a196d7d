// Typed EC2 calls over the SDK adapter in the cloud SDK bundle (../cloud-sdk/aws.ts, loaded on
// first use). Types come from @aws-sdk/client-ec2 as types only, so this module keeps the SDK
// out of every bundle but the cloud one. Errors are turned into the typed failures of ./errors.ts.
import type * as EC2 from '@aws-sdk/client-ec2'
import { loadCloudSdk } from '../cloud-sdk/load'
import { awsFailure, type Where } from './errors'

export interface Ec2Ops {
  AuthorizeSecurityGroupIngress: [EC2.AuthorizeSecurityGroupIngressCommandInput, EC2.AuthorizeSecurityGroupIngressCommandOutput]
  CreateSecurityGroup: [EC2.CreateSecurityGroupCommandInput, EC2.CreateSecurityGroupCommandOutput]
  CreateTags: [EC2.CreateTagsCommandInput, EC2.CreateTagsCommandOutput]
  DeleteSecurityGroup: [EC2.DeleteSecurityGroupCommandInput, EC2.DeleteSecurityGroupCommandOutput]
  DescribeImages: [EC2.DescribeImagesCommandInput, EC2.DescribeImagesCommandOutput]
  DescribeInstances: [EC2.DescribeInstancesCommandInput, EC2.DescribeInstancesCommandOutput]
  DescribeKeyPairs: [EC2.DescribeKeyPairsCommandInput, EC2.DescribeKeyPairsCommandOutput]
  DescribeRegions: [EC2.DescribeRegionsCommandInput, EC2.DescribeRegionsCommandOutput]
  DescribeSecurityGroups: [EC2.DescribeSecurityGroupsCommandInput, EC2.DescribeSecurityGroupsCommandOutput]
  DescribeSubnets: [EC2.DescribeSubnetsCommandInput, EC2.DescribeSubnetsCommandOutput]
  DescribeVpcs: [EC2.DescribeVpcsCommandInput, EC2.DescribeVpcsCommandOutput]
  ImportKeyPair: [EC2.ImportKeyPairCommandInput, EC2.ImportKeyPairCommandOutput]
  RevokeSecurityGroupIngress: [EC2.RevokeSecurityGroupIngressCommandInput, EC2.RevokeSecurityGroupIngressCommandOutput]
  RunInstances: [EC2.RunInstancesCommandInput, EC2.RunInstancesCommandOutput]
  StartInstances: [EC2.StartInstancesCommandInput, EC2.StartInstancesCommandOutput]
  StopInstances: [EC2.StopInstancesCommandInput, EC2.StopInstancesCommandOutput]
  TerminateInstances: [EC2.TerminateInstancesCommandInput, EC2.TerminateInstancesCommandOutput]
}

export type { EC2 }

export interface CallOptions {
  signal?: AbortSignal
  /** Where the call acts (for the failover scope of its errors); default the region only. */
  zone?: string | null
  /** One attempt only: launches, whose capacity errors must fail over at once, not be retried. */
  once?: boolean
  /** Error codes returned instead of thrown (`InvalidPermission.Duplicate` on an idempotent call). */
  tolerate?: string[]
}

/** The EC2 error code of a rejection from the SDK (its `name`), or undefined. */
export function ec2Code(e: unknown): string | undefined {
  const x = e as { name?: string; Code?: string; $metadata?: unknown }
  if (!x || typeof x !== 'object' || !('$metadata' in x)) return undefined
  return x.Code ?? x.name
}

export async function ec2<K extends keyof Ec2Ops>(region: string, op: K, input: Ec2Ops[K][0], o: CallOptions = {}): Promise<Ec2Ops[K][1]> {
  const sdk = await loadCloudSdk()
  try {
    return (await sdk.aws.ec2Send(region, op, input, { signal: o.signal, maxAttempts: o.once ? 1 : undefined })) as Ec2Ops[K][1]
  } catch (e) {
    const code = ec2Code(e)
    if (code && o.tolerate?.includes(code)) return { $metadata: {}, tolerated: code } as unknown as Ec2Ops[K][1]
    const where: Where = { region, zone: o.zone ?? null, op }
    throw awsFailure(e, where)
  }
}

/** Every page of a Describe call with NextToken. */
export async function ec2All<K extends 'DescribeInstances' | 'DescribeSecurityGroups' | 'DescribeSubnets' | 'DescribeImages'>(
  region: string,
  op: K,
  input: Ec2Ops[K][0],
  o: CallOptions = {},
): Promise<Ec2Ops[K][1][]> {
  const out: Ec2Ops[K][1][] = []
  let token: string | undefined
  do {
    const page = (await ec2(region, op, { ...input, ...(token ? { NextToken: token } : {}) } as Ec2Ops[K][0], o)) as Ec2Ops[K][1] & { NextToken?: string }
    out.push(page)
    token = page.NextToken
  } while (token)
  return out
}

/**
 * Where EC2 is (the endpoint override, if any): part of every cache key of things looked up in a
 * region, so the same process never mixes answers of two endpoints.
 */
export function endpointKey(): string {
  return process.env.AWS_ENDPOINT_URL_EC2 || process.env.AWS_ENDPOINT_URL || 'aws'
}

/** Whether a call answered with a tolerated error code. */
export const tolerated = (r: unknown): string | undefined => (r as { tolerated?: string } | null)?.tolerated
