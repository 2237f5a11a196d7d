// Handlers of /users/* (src/api/ops/users.ts). Only a deployed server has users; a local one
// answers 404 with how to get them. Per-user rules (own tokens, last admin) live in UserService.
import type { Me, NewToken, Token, User } from '../../api/wire'
import { NotFoundError, ValidationError } from '../../core/errors'
import type { UserActor } from '../../core/users/service'
import type { EndpointContext as Ctx } from '../ops/types'
import { MAX_PAGE, pageByKey } from '../paging'

type Page = { limit?: number; cursor?: string }

function actor({ deps, who }: Ctx): UserActor {
  if (!deps.info.deploy) {
    throw new NotFoundError('User management is available only on a deployed API server.', {
      hint: 'Start one with: sky api start --deploy (and SKYPILOT_INITIAL_ADMIN=name:password for the first admin).',
    })
  }
  return { id: who.id, name: who.name, role: who.role }
}

export const list = async (c: Ctx, q: Page): Promise<User[]> => pageByKey(await c.deps.users.list(actor(c)), (u) => u.name, q.cursor, q.limit ?? MAX_PAGE, c.set.headers)

export const me = async ({ who }: Ctx): Promise<Me> => ({ id: who.id, name: who.name, role: who.role ?? 'user' })

export const create = async (c: Ctx, b: { name: string; password?: string; role?: string }): Promise<User> => c.deps.users.create(actor(c), b)

export async function remove(c: Ctx, b: { name: string }): Promise<{ deleted: string }> {
  await c.deps.users.delete(actor(c), b.name)
  return { deleted: b.name }
}

export const role = async (c: Ctx, b: { name: string; role: string }): Promise<User> => c.deps.users.setRole(actor(c), b.name, b.role)

export async function password(c: Ctx, b: { name: string; password: string }): Promise<{ updated: string }> {
  await c.deps.users.setPassword(actor(c), b.name, b.password)
  return { updated: b.name }
}

export const listTokens = async (c: Ctx, q: Page & { name?: string }): Promise<Token[]> =>
  pageByKey(await c.deps.users.listTokens(actor(c), q.name || undefined), (x) => x.token_id, q.cursor, q.limit ?? MAX_PAGE, c.set.headers)

export const createToken = async (c: Ctx, b: { name?: string; token_name?: string; expires_in_days?: number | null }): Promise<NewToken> =>
  c.deps.users.createToken(actor(c), b)

export async function revokeToken(c: Ctx, b: { token?: string; token_id?: string }): Promise<Token> {
  const key = b.token ?? b.token_id
  if (!key) throw new ValidationError([{ path: 'token', message: 'give the token (sky_...) or its id (token_id)' }])
  return c.deps.users.revokeToken(actor(c), key)
}
