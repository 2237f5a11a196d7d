// Users: on a deployed API server, admins see every user (create, change role or password,
// delete) and every service-account token; anyone sees and manages their own tokens. The /users
// REST API answers directly (no request id) and checks rights itself; a local server has no users
// and says so (404), which this page shows as a note.
import { errorText, runAction } from '../lib/actions'
import type { createToken, createUser, deleteUser, listTokens, listUsers, revokeToken, setUserPassword, setUserRole, whoAmI } from '../../api/ops/users'
import type { Me, NewToken, Token, User } from '../../api/wire'
import { ApiError, getEndpoint, postEndpoint } from '../lib/api'
import { formDialog, showOnce } from '../lib/dialog'
import { esc, qs, setHtml } from '../lib/dom'
import { badge, timeAgo, timeUntil } from '../lib/format'
import { Poller } from '../lib/poll'
import { patchRows } from '../lib/rows'
import type { Page } from '../lib/router'
import { toast } from '../lib/toast'
interface Snapshot {
  me: Me
  users: User[] | null
  tokens: Token[]
}

function userCells(u: User, me: Me): string {
  const n = esc(u.name)
  return [
    `<td class="name">${n}${u.id === me.id ? ' <span class="muted">(you)</span>' : ''}</td>`,
    `<td class="mono opt">${esc(u.id)}</td>`,
    `<td><span class="role role-${esc(u.role)}">${esc(u.role)}</span></td>`,
    `<td class="opt">${u.has_password ? 'password' : '<span class="muted">tokens only</span>'}</td>`,
    `<td class="opt">${timeAgo(u.created_at)}</td>`,
    `<td><div class="actions">
      <button type="button" class="btn btn-sm" data-role="${n}" data-current="${esc(u.role)}" aria-label="Change role of ${n}">Role</button>
      <button type="button" class="btn btn-sm" data-password="${n}" aria-label="Set password of ${n}">Password</button>
      <button type="button" class="btn btn-sm btn-danger" data-delete="${n}" aria-label="Delete user ${n}">Delete</button></div></td>`,
  ].join('')
}

function expiry(t: Token): string {
  if (!t.expires_at) return '<span class="muted">never</span>'
  return timeUntil(t.expires_at)
}

function tokenCells(t: Token): string {
  return [
    `<td>${esc(t.token_name)}</td>`,
    `<td class="mono opt">${esc(t.token_id)}</td>`,
    `<td>${esc(t.user_name)}</td>`,
    `<td>${badge(t.status.toUpperCase())}</td>`,
    `<td class="opt">${timeAgo(t.created_at)}</td>`,
    `<td>${expiry(t)}</td>`,
    `<td class="opt">${timeAgo(t.last_used_at)}</td>`,
    `<td><div class="actions">${
      t.status === 'active'
        ? `<button type="button" class="btn btn-sm btn-danger" data-revoke="${esc(t.token_id)}" data-label="${esc(t.token_name)}" aria-label="Revoke token ${esc(t.token_name)}">Revoke</button>`
        : ''
    }</div></td>`,
  ].join('')
}

export const usersPage: Page = (main) => {
  main.innerHTML = `
    <div class="page-head"><h1>Users</h1><span class="spacer"></span>
      <button type="button" class="btn" data-new-token hidden>New token</button>
      <button type="button" class="btn btn-primary" data-create hidden>New user</button></div>
    <div data-note><p class="muted">Loading users…</p></div>
    <div data-body hidden>
      <div data-users-section>
        <div class="table-wrap"><table aria-label="Users"><thead><tr><th>Name</th><th class="opt">ID</th><th>Role</th><th class="opt">Login</th><th class="opt">Created</th><th><span hidden>Actions</span></th></tr></thead><tbody data-users></tbody></table></div>
      </div>
      <h2>Service-account tokens</h2>
      <div data-token-note></div>
      <div class="table-wrap" data-tokens-wrap><table aria-label="Service-account tokens"><thead><tr><th>Name</th><th class="opt">ID</th><th>User</th><th>Status</th><th class="opt">Created</th><th>Expires</th><th class="opt">Last used</th><th><span hidden>Actions</span></th></tr></thead><tbody data-tokens></tbody></table></div>
    </div>`
  const note = qs(main, '[data-note]')
  const body = qs(main, '[data-body]')
  let me: Me | undefined

  const poller = new Poller<Snapshot>(
    async (signal) => {
      const who = await getEndpoint<typeof whoAmI>('/users/me', {}, signal)
      // Only admins may list users; the tokens list is everyone's own (admins: all).
      const users = who.role === 'admin' ? await getEndpoint<typeof listUsers>('/users', {}, signal) : null
      const tokens = await getEndpoint<typeof listTokens>('/users/service-account-tokens', {}, signal)
      return { me: who, users, tokens }
    },
    (d) => {
      me = d.me
      note.innerHTML = d.users ? '' : `<div class="notice">You are <b>${esc(d.me.name)}</b> (role ${esc(d.me.role)}). Only admins manage users; here are your service-account tokens.</div>`
      body.hidden = false
      qs(main, '[data-create]').hidden = !d.users
      qs(main, '[data-new-token]').hidden = false
      qs(main, '[data-users-section]').hidden = !d.users
      if (d.users) patchRows(qs<HTMLTableSectionElement>(main, '[data-users]'), d.users.map((u) => ({ key: u.id, html: userCells(u, d.me) })))
      setHtml(qs(main, '[data-token-note]'), d.tokens.length ? '' : '<div class="notice">No service-account tokens yet.</div>')
      qs(main, '[data-tokens-wrap]').hidden = !d.tokens.length
      patchRows(qs<HTMLTableSectionElement>(main, '[data-tokens]'), d.tokens.map((t) => ({ key: t.token_id, html: tokenCells(t) })))
    },
    (e) => {
      body.hidden = true
      qs(main, '[data-create]').hidden = true
      qs(main, '[data-new-token]').hidden = true
      const local = e instanceof ApiError && e.status === 404
      const { title, body: hint } = errorText(e)
      note.innerHTML = `<div class="notice${local ? '' : ' error'}" role="status">${esc(title)}${hint ? `<br><span class="muted">${esc(hint)}</span>` : ''}</div>`
    },
    10000,
  )
  const refresh = () => poller.refresh()

  // A form action: run it, toast the outcome (the server's own message on failure), refresh.
  const attempt = async (run: () => Promise<unknown>, done: string) => {
    try {
      await run()
      toast('ok', done)
    } catch (err) {
      const { title, body: hint } = errorText(err)
      toast('error', title, hint)
    }
    refresh()
  }

  main.addEventListener('click', async (e) => {
    const t = e.target as HTMLElement
    if (t.closest('[data-create]')) {
      const f = await formDialog(
        'New user',
        `<label class="field">Name<input name="name" required autocomplete="off" autocapitalize="off" spellcheck="false"></label>
         <label class="field">Password<input name="password" type="password" required autocomplete="new-password"></label>
         <label class="field">Role<select name="role"><option>user</option><option>admin</option></select></label>`,
        'Create user',
      )
      if (!f) return
      const name = String(f.get('name')).trim()
      return attempt(() => postEndpoint<typeof createUser>('/users/create', { name, password: String(f.get('password')), role: String(f.get('role')) as User['role'] }), `User ${name} created.`)
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
      const r = String(f.get('role'))
      return attempt(() => postEndpoint<typeof setUserRole>('/users/role', { name, role: r as User['role'] }), `${name} is now ${r}.`)
    }
    const pw = t.closest<HTMLElement>('[data-password]')
    if (pw) {
      const name = pw.dataset.password!
      const f = await formDialog(`New password for ${name}`, '<label class="field">Password<input name="password" type="password" required autocomplete="new-password"></label>', 'Set password')
      if (!f) return
      return attempt(() => postEndpoint<typeof setUserPassword>('/users/password', { name, password: String(f.get('password')) }), `Password of ${name} changed.`)
    }
    const del = t.closest<HTMLElement>('[data-delete]')
    if (del) {
      const name = del.dataset.delete!
      return void runAction({
        title: `Delete user ${name}?`,
        body: 'They can no longer log in and their tokens stop working. Their clusters keep running.',
        confirm: 'Delete user',
        danger: true,
        busy: `Deleting ${name}…`,
        done: `User ${name} deleted.`,
        run: () => postEndpoint<typeof deleteUser>('/users/delete', { name }),
        after: refresh,
      })
    }
    if (t.closest('[data-new-token]')) {
      const admin = me?.role === 'admin'
      const f = await formDialog(
        'New service-account token',
        `${admin ? `<label class="field">Acts for user (a new name creates a token-only account)<input name="name" autocomplete="off" autocapitalize="off" spellcheck="false" value="${esc(me?.name ?? '')}"></label>` : ''}
         <label class="field">Token name<input name="token_name" autocomplete="off" placeholder="ci-bot"></label>
         <label class="field">Expires in days (empty: never)<input name="days" type="number" min="1" step="1"></label>`,
        'Create token',
      )
      if (!f) return
      const days = String(f.get('days') ?? '').trim()
      try {
        const r: NewToken = await postEndpoint<typeof createToken>('/users/service-account-tokens', {
          ...(admin && f.get('name') ? { name: String(f.get('name')).trim() } : {}),
          ...(f.get('token_name') ? { token_name: String(f.get('token_name')) } : {}),
          ...(days ? { expires_in_days: Number(days) } : {}),
        })
        await showOnce('Token created', `For ${r.user_name}. Copy it now: it is shown only once. Use it with: sky api login -e ${location.origin} --token <token>`, r.token)
      } catch (err) {
        const { title, body: hint } = errorText(err)
        toast('error', title, hint)
      }
      return refresh()
    }
    const rev = t.closest<HTMLElement>('[data-revoke]')
    if (rev) {
      const id = rev.dataset.revoke!
      return void runAction({
        title: `Revoke token ${rev.dataset.label}?`,
        body: 'Clients using it are refused from their next request on.',
        confirm: 'Revoke',
        danger: true,
        busy: 'Revoking token…',
        done: 'Token revoked.',
        run: () => postEndpoint<typeof revokeToken>('/users/service-account-tokens/revoke', { token_id: id }),
        after: refresh,
      })
    }
  })
  poller.start()
  return () => poller.stop()
}
