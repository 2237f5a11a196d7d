// `sky check aws`: credentials are looked for (no network call) and named; launching needs the
// provisioner this build does not have yet.
import { awsCredentials } from '../../infra/cloud-credentials'
import { unsupportedCheck } from '../handle'
import type { CheckContext, InfraCheck } from '../types'

export function checkAws(ctx: CheckContext): InfraCheck {
  return unsupportedCheck('aws', awsCredentials(ctx.env, ctx.home))
}
