// `sky ssh up` / `sky ssh down` as requests.
import { sshDown as down, sshUp as up } from '../../../core/provision/ssh/pool-setup'
import type { OpContext } from '../types'

export const sshUp = (c: OpContext, b: { infra?: string }) => up(b.infra, c.log)
export const sshDown = (c: OpContext, b: { infra?: string }) => down(b.infra, c.log)
