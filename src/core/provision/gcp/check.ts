// `sky check gcp`: credentials are looked for (no network call) and named; launching needs the
// provisioner this build does not have yet.
import { gcpCredentials } from '../../infra/cloud-credentials'
import { unsupportedCheck } from '../handle'
import type { CheckContext, InfraCheck } from '../types'

export function checkGcp(ctx: CheckContext): InfraCheck {
  return unsupportedCheck('gcp', gcpCredentials(ctx.env, ctx.home))
}
