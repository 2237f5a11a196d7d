// The login form of a deployed API server: a user name and password (sent as HTTP Basic with
// every call) or a service-account token (Bearer). Checked against an authenticated endpoint
// before it is kept for the tab.
import { errorText } from './actions'
import { request } from './api'
import { basicCredentials, clearCredentials, saveCredentials, tokenCredentials, type Credentials } from './auth'
import { el, qs } from './dom'

export function loginForm(reason: string | undefined, onDone: (c: Credentials) => void): HTMLElement {
  const form = el<HTMLFormElement>(`
    <form class="login" novalidate aria-labelledby="login-title">
      <h1 id="login-title">Log in to sky</h1>
      <p>This API server is shared: log in with your user name and password, or a service-account token.</p>
      <div class="seg" role="group" aria-label="Log in with">
        <button type="button" data-mode="password" aria-pressed="true">Password</button><button type="button" data-mode="token" aria-pressed="false">Token</button>
      </div>
      <label class="field" data-for="password">User name<input name="user" autocomplete="username" autocapitalize="off" spellcheck="false"></label>
      <label class="field" data-for="password">Password<input name="password" type="password" autocomplete="current-password"></label>
      <label class="field" data-for="token" hidden>Service-account token<input name="token" type="password" placeholder="sky_…" autocomplete="off"></label>
      <div class="error" role="alert" data-error></div>
      <button type="submit" class="btn btn-primary">Log in</button>
    </form>`)
  let mode: 'password' | 'token' = 'password'
  const error = qs(form, '[data-error]')
  if (reason) error.textContent = reason
  form.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>('[data-mode]')
    if (!b) return
    mode = b.dataset.mode as typeof mode
    form.querySelectorAll<HTMLElement>('[data-mode]').forEach((x) => x.setAttribute('aria-pressed', String(x === b)))
    form.querySelectorAll<HTMLElement>('[data-for]').forEach((f) => (f.hidden = f.dataset.for !== mode))
    qs<HTMLInputElement>(form, mode === 'token' ? '[name=token]' : '[name=user]').focus()
  })
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const v = (n: string) => qs<HTMLInputElement>(form, `[name=${n}]`).value
    if (mode === 'password' && (!v('user') || !v('password'))) return void (error.textContent = 'Enter your user name and password.')
    if (mode === 'token' && !v('token').trim()) return void (error.textContent = 'Paste a service-account token (sky_…).')
    const creds = mode === 'token' ? tokenCredentials(v('token')) : basicCredentials(v('user'), v('password'))
    const button = qs<HTMLButtonElement>(form, '[type=submit]')
    button.disabled = true
    error.textContent = ''
    saveCredentials(creds)
    try {
      // Any route but /api/health needs credentials; this one is cheap.
      await request('/api/status?limit=1')
      onDone(creds)
    } catch (err) {
      clearCredentials()
      const { title } = errorText(err)
      error.textContent = title
      qs<HTMLInputElement>(form, mode === 'token' ? '[name=token]' : '[name=password]').select()
    } finally {
      button.disabled = false
    }
  })
  return form
}
