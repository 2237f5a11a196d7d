// `sky check gcp`: where the credentials and the project come from (no network), then a real call
// that proves they work — Compute `regions.list` in the project, through the same client library,
// credentials and endpoint setting (GOOGLE_COMPUTE_CUSTOM_ENDPOINT / gcp.compute_endpoint) every
// launch uses. The regions it answers are the ones the optimizer may use.
import { toSkyError } from '../../errors'
import { failureOf } from '../errors'
import type { CheckContext, InfraCheck } from '../types'
import { describeGcpCredentials, gcpCredentials } from './credentials'

export async function checkGcp(ctx: CheckContext): Promise<InfraCheck> {
  const creds = gcpCredentials(ctx.env, ctx.home)
  const where = describeGcpCredentials(creds)
  if (!creds.found) return { infra: 'gcp', enabled: false, reason: where, capabilities: [] }
  if (!creds.project && creds.auth?.kind !== 'metadata') return { infra: 'gcp', enabled: false, reason: where, capabilities: [] }
  if (!ctx.validate) return { infra: 'gcp', enabled: false, reason: `credentials: ${where} (not validated; run: sky check gcp)`, capabilities: [] }
  try {
    const { gcpContext, gceOk } = await import('./compute')
    // Clients made again: credentials or the endpoint may have changed since the last call.
    ;(await (await import('../cloud-sdk/load-gcp')).loadGcpSdk()).gcpReset()
    const c = await gcpContext(ctx.env)
    const list = (await gceOk<{ name?: string | null; status?: string | null }[]>('regions', 'list', {}, { ctx: c, signal: AbortSignal.timeout(30_000) })) ?? []
    const regions = list.filter((r) => r.name && r.status !== 'DOWN').map((r) => r.name!).sort()
    const at = c.endpointShown ? ` at ${c.endpointShown}` : ''
    return {
      infra: 'gcp',
      enabled: true,
      reason: `credentials: ${describeGcpCredentials(c.credentials)}; validated with Compute regions.list${at} (${regions.length} regions)`,
      regions,
      capabilities: ['compute'],
    }
  } catch (e) {
    // Refused credentials are invalid; an endpoint that cannot be reached, or a project that does
    // not exist, says nothing about the credentials.
    const what = failureOf(e)?.kind === 'auth' ? 'credentials invalid' : 'credentials could not be validated'
    return { infra: 'gcp', enabled: false, reason: `${what} (${where}): ${toSkyError(e).message}`, capabilities: [] }
  }
}
