// The web dashboard in headless Chromium against the compiled binary: a local server (clusters
// launched from the CLI show up, a running job's log streams, cancel and stop work and the CLI
// agrees), then a deployed server (login form, and a user who may not stop another user's
// cluster is told so while the cluster stays UP). Screenshots of every page are saved under
// test-artifacts/dashboard/ for review.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { tempHome, waitFor, type TempHome } from '../harness'
import { localSandbox, type LocalSandbox } from '../harness/sandbox'
import { confirmDialog, launchBrowser, newPage, screenshot } from '../harness/browser'

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

/** Page errors other than the HTTP errors the tests provoke on purpose (401, 403, 404). */
const realErrors = (errors: string[]) => errors.filter((e) => !/Failed to load resource: the server responded with a status of 40[134]/.test(e))

/** A local server's dashboard link from `sky dashboard` (it carries a one-time code), at `path`. */
async function dashboardLink(h: TempHome, path: string): Promise<string> {
  const url = (await h.sky(['dashboard', '--no-open'])).stdout.trim()
  const code = /#code=([0-9a-f]+)$/.exec(url)?.[1]
  if (!code) throw new Error(`sky dashboard printed no link with a code: ${url}`)
  return `${h.endpoint}/dashboard/${path}#code=${code}`
}

const confirm = confirmDialog

describe('local API server', () => {
  let h: TempHome
  let page: Page
  let errors: string[]
  let close: () => Promise<void>
  beforeAll(async () => {
    h = await tempHome()
    const p = await newPage(browser)
    page = p.page
    errors = p.errors
    close = () => p.ctx.close()
  })
  afterAll(async () => {
    await close?.()
    await h.sky(['down', '-a', '-y'])
    await h.cleanup()
  })
  const row = () => page.locator('tr[data-key="web"]')

  test('the clusters page lists a cluster launched from the CLI; search and keyboard work', async () => {
    const ticks = 'for i in $(seq 1 900); do echo tick-$i; sleep 0.1; done'
    expect((await h.sky(['launch', '-y', '-d', '-c', 'web', '--cpus', '1', '--', ticks])).code).toBe(0)
    // Without the link, a local server's page says how to open it; the link from `sky dashboard`
    // opens the clusters page, which lists the CLI's cluster as UP.
    await page.goto(`${h.endpoint}/`)
    await page.locator('.login:has-text("sky dashboard")').waitFor()
    await page.goto(await dashboardLink(h, ''))
    await page.waitForURL('**/dashboard/clusters')
    await row().locator('.badge.st-up').waitFor()
    const text = await row().innerText()
    expect(text).toContain('tester')
    expect(text).toContain('Local')
    expect(text).toContain('a few secs ago')
    expect(await row().locator('time').getAttribute('title')).toMatch(/\d{4}-\d\d-\d\dT/)
    await screenshot(page, 'clusters')
    // '/' focuses the name search; what does not match is hidden; the filter lands in the URL.
    await page.keyboard.press('/')
    await page.keyboard.type('zzz')
    await page.locator('[data-empty]:has-text("No clusters match")').waitFor()
    expect(page.url()).toContain('q=zzz')
    await page.keyboard.press('Control+A')
    await page.keyboard.press('Backspace')
    await row().waitFor()
    await page.locator('[data-status]').selectOption('STOPPED')
    await page.locator('[data-empty]:has-text("No clusters match")').waitFor()
    await page.locator('[data-status]').selectOption('')
    await row().waitFor()
  })

  test('the cluster page streams the running job\'s log', async () => {
    await row().locator('td.name a').click()
    await page.waitForURL('**/dashboard/clusters/web')
    await page.locator('tr[data-key="1"] .badge.st-running').waitFor()
    const count = () => page.evaluate(() => (document.querySelector('[data-log] pre')?.textContent ?? '').match(/tick-\d+/g)?.length ?? 0)
    await page.waitForFunction(() => /tick-\d+/.test(document.querySelector('[data-log] pre')?.textContent ?? ''))
    const first = await count()
    // More lines arrive without a reload while the job runs (the CLI agrees it is running).
    await page.waitForFunction((n) => ((document.querySelector('[data-log] pre')?.textContent ?? '').match(/tick-\d+/g)?.length ?? 0) > n + 3, first)
    expect((await h.sky(['queue', 'web'])).stdout).toMatch(/^1\s.*RUNNING/m)
    expect(await page.locator('.log .live').innerText()).toBe('live')
    await screenshot(page, 'cluster')
  })

  test('cancel a job from its row, after a confirmation', async () => {
    expect((await h.sky(['exec', 'web', '-d', '--cpus', '1', '--', 'sleep 300'])).code).toBe(0)
    const job2 = page.locator('tr[data-key="2"]')
    // Dismissing the dialog changes nothing.
    await job2.locator('[data-cancel="2"]').click()
    await page.locator('dialog[open] [data-cancel]').click()
    await job2.locator('[data-cancel="2"]').click()
    await confirm(page, 'Cancel job 2 on web?')
    await page.locator('.toast.ok:has-text("Job 2 cancelled.")').waitFor()
    await waitFor(async () => (await h.sky(['logs', 'web', '2', '--status'])).stdout.includes('CANCELLED'), 15_000, 250)
    await job2.locator('.badge.st-cancelled').waitFor()
    expect((await h.sky(['logs', 'web', '1', '--status'])).stdout).toContain('RUNNING')
  })

  test('the requests page shows requests and their logs, and cancels one', async () => {
    await page.locator('nav a[data-nav="requests"]').click()
    const launchRow = page.locator('tbody tr', { hasText: 'sky.launch' }).first()
    await launchRow.locator('a.btn:has-text("Log")').click()
    await page.waitForFunction(() => (document.querySelector('[data-log] pre')?.textContent ?? '').includes('Cluster launched: web'))
    await page.locator('[data-detail] .badge.st-succeeded').waitFor()
    await screenshot(page, 'requests')
    // A long request (exec --async waits for its job): cancel it here; the CLI sees it CANCELLED.
    const sub = await h.sky(['exec', 'web', '--async', '--cpus', '1', '--', 'sleep 300'])
    const id = /Submitted sky.exec: ([0-9a-f-]{36})/.exec(sub.stdout)![1]!
    const r = page.locator(`tr[data-key="${id}"]`)
    await r.locator('.badge.st-running').waitFor()
    await r.locator(`[data-cancel="${id}"]`).click()
    await confirm(page, `Cancel request ${id.slice(0, 8)}?`)
    await page.locator(`.toast.ok:has-text("Request ${id.slice(0, 8)} cancelled.")`).waitFor()
    await r.locator('.badge.st-cancelled').waitFor()
    expect((await h.sky(['api', 'status', '-a', id.slice(0, 8)])).stdout).toContain('CANCELLED')
  })

  test('infra, users, jobs and services pages render; a phone-width screen works', async () => {
    for (const [nav, ready] of [
      ['infra', '.card:has-text("1 cluster, 1 UP")'],
      ['users', '.notice:has-text("deployed API server")'],
      ['jobs', '.empty h3'],
      ['services', '.empty h3'],
    ] as const) {
      await page.locator(`nav a[data-nav="${nav}"]`).click()
      await page.locator(ready).first().waitFor()
      if (nav === 'infra') expect(await page.locator('.card', { hasText: 'Local' }).last().innerText()).toContain('web')
      await screenshot(page, nav)
    }
    // A phone-sized screen: the sidebar as a top bar, rows as two lines, nothing wider than it.
    const phone = await newPage(browser, { width: 390, height: 844 })
    for (const [path, ready, shot] of [
      ['clusters', 'tr[data-key="web"] .badge.st-up', 'clusters-phone'],
      ['clusters/web/1', '[data-log] pre:has-text("tick-")', 'cluster-phone'],
    ]) {
      await phone.page.goto(await dashboardLink(h, path))
      await phone.page.locator(ready).waitFor()
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true)
      await screenshot(phone.page, shot)
    }
    await phone.ctx.close()
  })

  test('stop, start and down from the clusters list; the CLI agrees each time', async () => {
    await page.locator('nav a[data-nav="clusters"]').click()
    await page.locator('[data-act="stop"][data-name="web"]').click()
    await confirm(page, 'Stop cluster web?')
    await page.locator('.toast.ok:has-text("Cluster web stopped.")').waitFor({ timeout: 30_000 })
    expect((await h.sky(['status', 'web'])).stdout).toMatch(/web\s.*STOPPED/)
    await row().locator('.badge.st-stopped').waitFor()
    await screenshot(page, 'clusters-stopped')

    await row().locator('[data-act="start"]').click()
    await confirm(page, 'Start cluster web?')
    await page.locator('.toast.ok:has-text("Cluster web is up.")').waitFor({ timeout: 30_000 })
    expect((await h.sky(['status', 'web'])).stdout).toMatch(/web\s.*UP/)
    await row().locator('.badge.st-up').waitFor()

    await row().locator('[data-act="down"]').click()
    await confirm(page, 'Tear down cluster web?')
    await page.locator('.toast.ok:has-text("Cluster web torn down.")').waitFor({ timeout: 30_000 })
    expect((await h.sky(['status', 'web'])).stdout).toContain("Cluster 'web' not found.")
    await page.locator('[data-empty]:has-text("No clusters of yours yet")').waitFor()
    expect(realErrors(errors)).toEqual([])
  })

  test('sky dashboard prints the URL; opens a browser only where there is one', async () => {
    const url = new RegExp(`^${h.endpoint}/dashboard/#code=[0-9a-f]{32}$`)
    // No DISPLAY in the test env: the URL (with a one-time code) and a hint, exit 0.
    const plain = await h.sky(['dashboard'])
    expect(plain.code).toBe(0)
    expect(plain.stdout.trim()).toMatch(url)
    expect(plain.stderr).toContain('No display found')
    // $BROWSER wins: a stand-in records what it was asked to open.
    const opened = join(h.dir, 'opened.txt')
    const fake = join(h.dir, 'fake-browser')
    writeFileSync(fake, `#!/bin/sh\necho "$1" > ${opened}\n`)
    chmodSync(fake, 0o755)
    const r = await h.sky(['dashboard'], { env: { BROWSER: fake } })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('Opening the dashboard')
    expect(await waitFor(() => existsSync(opened) && readFileSync(opened, 'utf8').trim())).toMatch(url)
    // --no-open never starts one; a missing opener is not an error either.
    expect((await h.sky(['dashboard', '--no-open'], { env: { BROWSER: fake, DISPLAY: ':0' } })).stderr).toBe('')
    const missing = await h.sky(['dashboard'], { env: { BROWSER: join(h.dir, 'no-such-browser') } })
    expect(missing.code).toBe(0)
    expect(missing.stderr).toContain('open the URL above in a browser')
  })
})

describe('deployed API server', () => {
  let h: TempHome
  let server: Bun.Subprocess
  const as = (cred: string, args: string[]) => h.sky(args, { env: { SKYPILOT_API_SERVER_ENDPOINT: `http://${cred}@127.0.0.1:${h.port}` } })

  let sandbox: LocalSandbox
  beforeAll(async () => {
    h = await tempHome()
    // Jobs on this machine run as a sandbox account (the deployed server's local policy).
    sandbox = await localSandbox()
    h.config(sandbox.config)
    server = h.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(h.port)], { env: { SKYPILOT_INITIAL_ADMIN: 'admin:adminpw' } })
    await waitFor(() => fetch(`${h.endpoint}/api/health`).then((r) => r.ok, () => false), 20_000)
    for (const name of ['alice', 'bob']) expect((await as('admin:adminpw', ['users', 'create', name, '--password', `${name}pw`])).code).toBe(0)
  })
  afterAll(async () => {
    await as('admin:adminpw', ['down', '-a', '-u', '-y'])
    server?.kill('SIGTERM')
    await server?.exited
    await h.cleanup()
    await sandbox?.cleanup()
  })

  test('login works; a non-admin cannot stop another user\'s cluster; admins see users', async () => {
    expect((await as('alice:alicepw', ['launch', '-y', '-c', 'alice-c', '--cpus', '1', '--', 'echo hi'])).code).toBe(0)
    const { ctx, page, errors } = await newPage(browser)

    await page.goto(`${h.endpoint}/dashboard`)
    const form = page.locator('form.login')
    await form.waitFor()
    await screenshot(page, 'login')
    await form.locator('[name=user]').fill('bob')
    await form.locator('[name=password]').fill('wrong')
    await form.locator('[type=submit]').click()
    await form.locator('[data-error]:has-text("Invalid user name or password")').waitFor()
    await form.locator('[name=password]').fill('bobpw')
    await form.locator('[type=submit]').click()
    await page.locator('#me-name:has-text("bob")').waitFor()

    // Bob's own clusters: none. Everyone's: alice's, which he may see but not stop.
    await page.locator('[data-empty]:has-text("No clusters of yours yet")').waitFor()
    await page.locator('[data-scope="all"]').click()
    const row = page.locator('tr[data-key="alice-c"]')
    await row.locator('.badge.st-up').waitFor()
    expect(await row.innerText()).toContain('alice')
    await row.locator('[data-act="stop"]').click()
    await confirm(page, 'Stop cluster alice-c?')
    const denied = page.locator('.toast.error')
    await denied.waitFor({ timeout: 20_000 })
    expect(await denied.innerText()).toContain("belongs to user 'alice'")
    await screenshot(page, 'denied')
    expect((await as('admin:adminpw', ['status', '-u', 'alice-c'])).stdout).toMatch(/alice-c\s.*UP/)

    // Log out; an admin sees the users and can open the token form.
    await page.locator('#logout').click()
    await form.waitFor()
    await form.locator('[name=user]').fill('admin')
    await form.locator('[name=password]').fill('adminpw')
    await form.locator('[type=submit]').click()
    await page.locator('#me-name:has-text("admin")').waitFor()
    await page.locator('nav a[data-nav="users"]').click()
    for (const name of ['admin', 'alice', 'bob']) await page.locator('tbody[data-users] td.name', { hasText: name }).first().waitFor()
    expect(await page.locator('tbody[data-users] tr', { hasText: 'admin' }).first().locator('.role').innerText()).toBe('admin')
    await screenshot(page, 'users-admin')

    // A service-account token logs in too (as the user it acts for).
    const token = (await as('admin:adminpw', ['users', 'token', 'create', 'bob', '--token-name', 'dash'])).stdout.trim()
    expect(token).toMatch(/^sky_/)
    await page.locator('#logout').click()
    await form.locator('[data-mode="token"]').click()
    await form.locator('[name=token]').fill(token)
    await form.locator('[type=submit]').click()
    await page.locator('#me-name:has-text("bob")').waitFor()
    await page.locator('nav a[data-nav="users"]').click()
    await page.locator('tbody[data-tokens] tr', { hasText: 'dash' }).waitFor()
    await screenshot(page, 'users-token')

    expect(realErrors(errors)).toEqual([])
    await ctx.close()
  }, 45_000)

  test('the dashboard\'s list endpoints need login, keep to your own unless asked, and answer 304 when unchanged', async () => {
    const get = (path: string, cred?: string, etag?: string) =>
      fetch(`${h.endpoint}${path}`, { headers: { ...(cred ? { authorization: 'Basic ' + btoa(cred) } : {}), ...(etag ? { 'if-none-match': etag } : {}) } })
    expect((await get('/api/dashboard/clusters')).status).toBe(401)
    expect((await get('/api/dashboard/requests')).status).toBe(401)
    // The page itself needs no login.
    expect((await get('/dashboard/clusters')).status).toBe(200)
    expect(await (await get('/api/dashboard/clusters', 'bob:bobpw')).json()).toEqual([])
    const all = await get('/api/dashboard/clusters?all_users=1', 'bob:bobpw')
    const list = (await all.json()) as { name: string; user_name: string; handle?: unknown }[]
    expect(list.map((c) => [c.name, c.user_name])).toEqual([['alice-c', 'alice']])
    expect(list[0]!.handle).toBeUndefined()
    const etag = all.headers.get('etag')!
    expect(etag).toMatch(/^W\/"/)
    const again = await get('/api/dashboard/clusters?all_users=1', 'bob:bobpw', etag)
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    // Requests: bob's own (his denied stop), or everyone's.
    const mine = (await (await get('/api/dashboard/requests', 'bob:bobpw')).json()) as { user_name: string; name: string; status: string }[]
    expect(new Set(mine.map((r) => r.user_name))).toEqual(new Set(['bob']))
    expect(mine.find((r) => r.name === 'sky.stop')?.status).toBe('FAILED')
    const everyone = (await (await get('/api/dashboard/requests?all_users=1', 'bob:bobpw')).json()) as { user_name: string }[]
    expect(everyone.some((r) => r.user_name === 'alice')).toBe(true)
  })
})
