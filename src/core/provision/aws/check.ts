// `sky check aws`: where the credentials come from (no network), then a real call that proves they
// work — EC2 DescribeRegions in the home region, through the same SDK, credential chain and
// endpoint settings (AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL) every launch uses. The regions it
// answers are the ones the optimizer may use.
import { toSkyError } from '../../errors'
import { awsCredentials } from '../../infra/cloud-credentials'
import { failureOf } from '../errors'
import type { CheckContext, InfraCheck } from '../types'
import { homeRegion } from './config'

function keyId(env: Record<string, string | undefined>): string {
  const k = env.AWS_ACCESS_KEY_ID
  return k && k.length > 8 ? `, access key ${k.slice(0, 4)}…${k.slice(-4)}` : ''
}

export async function checkAws(ctx: CheckContext): Promise<InfraCheck> {
  const creds = awsCredentials(ctx.env, ctx.home)
  if (!creds.found) return { infra: 'aws', enabled: false, reason: creds.detail, capabilities: [] }
  const where = `${creds.detail}${keyId(ctx.env)}`
  if (!ctx.validate) return { infra: 'aws', enabled: false, reason: `credentials: ${where} (not validated; run: sky check aws)`, capabilities: [] }
  const region = homeRegion(ctx.env, ctx.home)
  const endpoint = ctx.env.AWS_ENDPOINT_URL_EC2 || ctx.env.AWS_ENDPOINT_URL
  try {
    const { ec2 } = await import('./ec2')
    // Credentials as they are now (a profile may have been fixed since the last call).
    ;(await (await import('../cloud-sdk/load')).loadCloudSdk()).aws.ec2Reset()
    const out = await ec2(region, 'DescribeRegions', {}, { signal: AbortSignal.timeout(20_000) })
    const regions = (out.Regions ?? []).map((r) => r.RegionName!).filter(Boolean).sort()
    return {
      infra: 'aws',
      enabled: true,
      reason: `credentials: ${where}; validated with EC2 DescribeRegions in ${region}${endpoint ? ` at ${endpoint}` : ''} (${regions.length} regions enabled)`,
      regions,
      capabilities: ['compute'],
    }
  } catch (e) {
    const f = failureOf(e)
    const what = f?.kind === 'auth' ? 'credentials invalid' : 'credentials could not be validated'
    return { infra: 'aws', enabled: false, reason: `${what} (${where}): ${toSkyError(e).message}`, capabilities: [] }
  }
}
