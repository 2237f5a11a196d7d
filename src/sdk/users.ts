// Users and service-account tokens on a deployed API server (/users/*). These answer directly
// (no request id): they are quick writes to the server's store.
import type { TokenView, UserView } from '../core/users/service'
import type { SkyClient } from './client'

export type { TokenView, UserView }

async function getJson<T>(c: SkyClient, path: string): Promise<T> {
  return (await (await c.fetch(path)).json()) as T
}

async function postJson<T>(c: SkyClient, path: string, body: unknown): Promise<T> {
  const res = await c.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return (await res.json()) as T
}

export const listUsers = (c: SkyClient) => getJson<UserView[]>(c, '/users')
export const whoAmI = (c: SkyClient) => getJson<{ id: string; name: string; role: string }>(c, '/users/me')
export const createUser = (c: SkyClient, name: string, o: { password?: string; role?: string } = {}) =>
  postJson<UserView>(c, '/users/create', { name, password: o.password, role: o.role })
export const deleteUser = (c: SkyClient, name: string) => postJson<{ deleted: string }>(c, '/users/delete', { name })
export const setUserRole = (c: SkyClient, name: string, role: string) => postJson<UserView>(c, '/users/role', { name, role })
export const setUserPassword = (c: SkyClient, name: string, password: string) => postJson<{ updated: string }>(c, '/users/password', { name, password })
export const createToken = (c: SkyClient, o: { name?: string; tokenName?: string; expiresInDays?: number } = {}) =>
  postJson<TokenView & { token: string }>(c, '/users/service-account-tokens', { name: o.name, token_name: o.tokenName, expires_in_days: o.expiresInDays })
export const listTokens = (c: SkyClient, name?: string) =>
  getJson<TokenView[]>(c, `/users/service-account-tokens${name ? `?name=${encodeURIComponent(name)}` : ''}`)
export const revokeToken = (c: SkyClient, tokenOrId: string) =>
  postJson<TokenView>(c, '/users/service-account-tokens/revoke', tokenOrId.startsWith('sky_') ? { token: tokenOrId } : { token_id: tokenOrId })
