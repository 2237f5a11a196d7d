// Users (admins): users and roles, create and delete users, service-account tokens (create shows
// the token once; revoke). Uses the server's /users REST API; a server without it (a local server,
// or an older version) gets a clear message instead.
import { errorText, runAction } from '../lib/actions'
import { ApiError, callAny } from '../lib/api'
import { formDialog, showOnce } from '../lib/dialog'
import { esc, qs, setHtml } from '../lib/dom'
import { timeAgo } from '../lib/format'
import { Poller } from '../lib/poll'
import { patchRows } from '../lib/rows'
import type { Page } from '../lib/router'
import { toast } from '../lib/toast'

type Raw = Record<string, unknown>

interface User {
  id: string
  name: string
  role: string
  createdAt: number | null
}

interface Token {
  id: string
  name: string
  owner: string
  createdAt: number | null
  expiresAt: number | null
  lastUsedAt: number | null
}

const str = (r: Raw, ...keys: string[]) => {
  for (const k of keys) if (r[k] !== undefined && r[k] !== null) return String(r[k])
  return ''
}
const ms = (r: Raw, ...keys: string[]): number | null => {
  for (const k of keys) {
    const v = r[k]
    if (typeof v === 'number') return v < 1e11 ? v * 1000 : v
    if (typeof v === 'string' && v) return Date.parse(v) || null
  }
  return null
}
const list = (v: unknown, key: string): Raw[] => (Array.isArray(v) ? v : Array.isArray((v as Raw)?.[key]) ? ((v as Raw)[key] as Raw[]) : []) as Raw[]

function toUser(r: Raw): User {
  return { id: str(r, 'id', 'user_id', 'hash'), name: str(r, 'name', 'username', 'user_name'), role: str(r, 'role') || 'user', createdAt: ms(r, 'created_at', 'createdAt') }
}

function toToken(r: Raw): Token {
  return {
    id: str(r, 'token_id', 'id'),
    name: str(r, 'token_name', 'name') || '-',
    owner: str(r, 'user_name', 'owner', 'creator_name', 'user', 'creator'),
    createdAt: ms(r, 'created_at', 'createdAt'),
    expiresAt: ms(r, 'expires_at', 'expiresAt'),
    lastUsedAt: ms(r, 'last_used_at', 'lastUsedAt'),
  }
}

function unavailable(e: unknown): string | null {
  if (!(e instanceof ApiError)) return null
  if (e.status === 404) return 'User management is not available on this server: it has no /users API. Users, roles and tokens exist on a deployed API server (sky api start --deploy).'
  if (e.status === 403 || e.code === 'PERMISSION_DENIED') return `Only admins can manage users. ${e.message}`
  return null
}

function userCells(u: User): string {
  return [
    `<td class="name">${esc(u.name)}</td>`,
    `<td class="mono">${esc(u.id)}</td>`,
    `<td><span class="role role-${esc(u.role)}">${esc(u.role)}</span></td>`,
    `<td class="opt">${timeAgo(u.createdAt)}</td>`,
    `<td><div class="actions">
      <button type="button" class="btn btn-sm" data-role="${esc(u.name)}" data-id="${esc(u.id)}" data-current="${esc(u.role)}">Role…</button>
      <button type="button" class="btn btn-sm" data-token-for="${esc(u.name)}">New token</button>
      <button type="button" class="btn btn-sm btn-danger" data-delete="${esc(u.name)}" data-id="${esc(u.id)}">Delete</button></div></td>`,
  ].join('')
}

function tokenCells(t: Token): string {
  return [
    `<td>${esc(t.name)}</td>`,
    `<td class="mono">${esc(t.id)}</td>`,
    `<td>${esc(t.owner || '-')}</td>`,
    `<td class="opt">${timeAgo(t.createdAt)}</td>`,
    `<td>${t.expiresAt ? timeAgo(t.expiresAt).replace(' ago', t.expiresAt > Date.now() ? '' : ' ago') : '<span class="muted">never</span>'}</td>`,
    `<td class="opt">${timeAgo(t.lastUsedAt)}</td>`,
    `<td><div class="actions"><button type="button" class="btn btn-sm btn-danger" data-revoke="${esc(t.id)}" data-label="${esc(t.name)}">Revoke</button></div></td>`,
  ].join('')
}

export const usersPage: Page = (main) => {
  main.innerHTML = `
    <div class="page-head"><h1>Users</h1><span class="spacer"></span><button type="button" class="btn btn-primary" data-create hidden>New user</button></div>
    <div data-note><p class="muted">Loading users…</p></div>
    <div data-body hidden>
      <div class="table-wrap"><table aria-label="Users"><thead><tr><th>Name</th><th>ID</th><th>Role</th><th class="opt">Created</th><th><span hidden>Actions</span></th></tr></thead><tbody data-users></tbody></table></div>
      <h2>Service-account tokens</h2>
      <div data-token-note></div>
      <div class="table-wrap" data-tokens-wrap><table aria-label="Service-account tokens"><thead><tr><th>Name</th><th>ID</th><th>User</th><th class="opt">Created</th><th>Expires</th><th class="opt">Last used</th><th><span hidden>Actions</span></th></tr></thead><tbody data-tokens></tbody></table></div>
    </div>`
  const note = qs(main, '[data-note]')
  const body = qs(main, '[data-body]')

  const poller = new Poller<{ users: User[]; tokens: Token[] | null; tokenError: string | null }>(
    async (signal) => {
      const users = list(await callAny<unknown>('/users', undefined, signal), 'users').map(toUser)
      let tokens: Token[] | null = null
      let tokenError: string | null = null
      try {
        tokens = list(await callAny<unknown>('/users/service-account-tokens', undefined, signal), 'tokens').map(toToken)
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e
        tokenError = unavailable(e) ?? errorText(e).title
      }
      return { users, tokens, tokenError }
    },
    (d) => {
      note.innerHTML = ''
      body.hidden = false
      qs(main, '[data-create]').hidden = false
      patchRows(qs<HTMLTableSectionElement>(main, '[data-users]'), d.users.map((u) => ({ key: u.id || u.name, html: userCells(u) })))
      setHtml(qs(main, '[data-token-note]'), d.tokenError ? `<div class="notice">${esc(d.tokenError)}</div>` : d.tokens?.length ? '' : '<div class="notice">No service-account tokens.</div>')
      qs(main, '[data-tokens-wrap]').hidden = !d.tokens?.length
      patchRows(qs<HTMLTableSectionElement>(main, '[data-tokens]'), (d.tokens ?? []).map((t) => ({ key: t.id, html: tokenCells(t) })))
    },
    (e) => {
      body.hidden = true
      qs(main, '[data-create]').hidden = true
      note.innerHTML = `<div class="notice${unavailable(e) ? '' : ' error'}" role="status">${esc(unavailable(e) ?? errorText(e).title)}</div>`
    },
    10000,
  )
  const refresh = () => poller.refresh()

  const fail = (e: unknown) => {
    const { title, body } = errorText(e)
    toast('error', title, body)
  }

  main.addEventListener('click', async (e) => {
    const t = e.target as HTMLElement
    if (t.closest('[data-create]')) {
      const f = await formDialog(
        'New user',
        `<label class="field">Name<input name="name" required autocomplete="off" pattern="[A-Za-z0-9][-_.A-Za-z0-9]*"></label>
         <label class="field">Password<input name="password" type="password" required autocomplete="new-password"></label>
         <label class="field">Role<select name="role"><option>user</option><option>admin</option></select></label>`,
        'Create user',
      )
      if (!f) return
      const name = String(f.get('name'))
      try {
        await callAny('/users/create', { name, username: name, password: String(f.get('password')), role: String(f.get('role')) })
        toast('ok', `User ${name} created.`)
      } catch (err) {
        fail(err)
      }
      return refresh()
    }
    const role = t.closest<HTMLElement>('[data-role]')
    if (role) {
      const name = role.dataset.role!
      const cur = role.dataset.current
      const f = await formDialog(
        `Role of ${name}`,
        `<label class="field">Role<select name="role"><option${cur === 'user' ? ' selected' : ''}>user</option><option${cur === 'admin' ? ' selected' : ''}>admin</option></select></label>`,
        'Save',
      )
      if (!f) return
      try {
        await callAny('/users/role', { name, username: name, user_id: role.dataset.id, role: String(f.get('role')) })
        toast('ok', `${name} is now ${String(f.get('role'))}.`)
      } catch (err) {
        fail(err)
      }
      return refresh()
    }
    const del = t.closest<HTMLElement>('[data-delete]')
    if (del) {
      const name = del.dataset.delete!
      return void runAction({
        title: `Delete user ${name}?`,
        body: 'They can no longer log in, and their tokens stop working. Their clusters keep running.',
        confirm: 'Delete user',
        danger: true,
        busy: `Deleting ${name}…`,
        done: `User ${name} deleted.`,
        run: () => callAny('/users/delete', { name, username: name, user_id: del.dataset.id }),
        after: refresh,
      })
    }
    const tokFor = t.closest<HTMLElement>('[data-token-for]')
    if (tokFor) {
      const name = tokFor.dataset.tokenFor!
      const f = await formDialog(
        `New token for ${name}`,
        `<label class="field">Token name<input name="token_name" required autocomplete="off"></label>
         <label class="field">Expires in (days, empty for never)<input name="days" type="number" min="1" step="1"></label>`,
        'Create token',
      )
      if (!f) return
      const days = String(f.get('days') ?? '')
      try {
        const r = await callAny<Raw>('/users/service-account-tokens', {
          name,
          username: name,
          token_name: String(f.get('token_name')),
          ...(days ? { expires_in_days: Number(days) } : {}),
        })
        const token = str(r ?? {}, 'token', 'value')
        if (token) await showOnce('Token created', 'Copy it now: it is shown only once. Use it with: sky api login -e <url> --token <token>', token)
        else toast('ok', 'Token created.')
      } catch (err) {
        fail(err)
      }
      return refresh()
    }
    const rev = t.closest<HTMLElement>('[data-revoke]')
    if (rev) {
      const id = rev.dataset.revoke!
      return void runAction({
        title: `Revoke token ${rev.dataset.label}?`,
        body: 'Clients using it are refused from now on.',
        confirm: 'Revoke',
        danger: true,
        busy: 'Revoking token…',
        done: 'Token revoked.',
        run: () => callAny('/users/service-account-tokens/revoke', { token_id: id, id }),
        after: refresh,
      })
    }
  })
  poller.start()
  return () => poller.stop()
}
