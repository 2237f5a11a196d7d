// The dashboard's Jobs page in headless Chromium against the compiled binary: managed jobs
// launched from the CLI are listed (filters by status and name), a running job's log streams
// live (and its controller log), a pipeline shows its tasks, and cancel works after a
// confirmation with the CLI agreeing. Screenshots go to test-artifacts/dashboard/.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { waitFor, type TempHome } from '../harness'
import { confirmDialog, dashboardSession, screenshot, type DashboardSession } from '../harness/browser'
import { jobOf, launchedId, waitStatus } from '../harness/jobs'

let s: DashboardSession
let h: TempHome
let page: Page
let errors: string[]

beforeAll(async () => {
  s = await dashboardSession()
  ;({ h, page, errors } = s)
})
afterAll(async () => {
  await s?.close()
  await h.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 60_000 })
  await h.cleanup()
})

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

describe('Jobs page', () => {
  let ticker: number
  test('lists managed jobs from the CLI, filters them, and streams a running job\'s log', async () => {
    const url = (await h.sky(['dashboard', '--no-open'])).stdout.trim()
    const code = /#code=([0-9a-f]+)$/.exec(url)?.[1]
    // The local server's dashboard link carries a one-time code (the owner's token stays off the URL).
    await page.goto(code ? `${h.endpoint}/dashboard/jobs#code=${code}` : `${h.endpoint}/dashboard/jobs`)
    await page.locator('.empty h3:has-text("No managed jobs of yours yet")').waitFor()
    const done = launchedId(out(await h.sky(['jobs', 'launch', '-y', '-n', 'quick', 'echo quick-done'])))
    ticker = launchedId(out(await h.sky(['jobs', 'launch', '-y', '-d', '-n', 'ticker', 'for i in $(seq 1 600); do echo tick-$i; sleep 0.2; done'])))
    const pipe = join(h.dir, 'pipe.yaml')
    writeFileSync(pipe, 'name: twostep\n---\nname: one\nrun: echo one\n---\nname: two\nrun: echo two\n')
    const pl = launchedId(out(await h.sky(['jobs', 'launch', '-y', pipe])))
    await waitStatus(h, ticker, 'RUNNING')
    const row = (id: number) => page.locator(`tr[data-key="${id}"]`)
    await row(ticker).locator('.badge.st-running').waitFor()
    await row(done).locator('.badge.st-succeeded').waitFor()
    await row(pl).locator('.badge.st-succeeded').waitFor()
    expect(await page.locator(`tr[data-key="${pl}/1"]`).innerText()).toContain('two')
    expect(await row(ticker).innerText()).toContain('1x[CPU:1+]')
    expect(await page.locator('[data-summary]').innerText()).toContain('3 jobs · 1 RUNNING')
    await screenshot(page, 'jobs')
    // Filters: status (in progress), then a name search; both land in the URL.
    await page.locator('[data-status]').selectOption('active')
    await row(done).waitFor({ state: 'detached' })
    expect(page.url()).toContain('status=active')
    await page.locator('[data-status]').selectOption('')
    await page.keyboard.press('/')
    await page.keyboard.type('twost')
    await row(ticker).waitFor({ state: 'detached' })
    await row(pl).waitFor()
    await page.keyboard.press('Control+A')
    await page.keyboard.press('Backspace')
    await row(ticker).waitFor()
    // The job's log, live: more ticks arrive without a reload.
    await row(ticker).locator('td.name a').click()
    await page.waitForURL(`**/dashboard/jobs/${ticker}`)
    const ticks = () => page.evaluate(() => (document.querySelector('[data-log]')?.textContent ?? '').match(/tick-\d+/g)?.length ?? 0)
    await page.waitForFunction(() => /tick-\d+/.test(document.querySelector('[data-log]')?.textContent ?? ''))
    const first = await ticks()
    await page.waitForFunction((n) => ((document.querySelector('[data-log]')?.textContent ?? '').match(/tick-\d+/g)?.length ?? 0) > n + 3, first)
    expect(await page.locator('.log .live').innerText()).toBe('live')
    await screenshot(page, 'job-log')
    // The controller's log of the same job.
    await page.locator('[data-log-kind]').click()
    await page.waitForFunction(() => (document.querySelector('[data-log]')?.textContent ?? '').includes('submitted to cluster ticker-'))
  })

  test('cancel from the row, after a confirmation; the CLI agrees', async () => {
    const row = page.locator(`tr[data-key="${ticker}"]`)
    await row.locator(`[data-cancel="${ticker}"]`).click()
    await page.locator('dialog[open] [data-cancel]').click()
    expect((await jobOf(h, ticker))!.status).toBe('RUNNING')
    await row.locator(`[data-cancel="${ticker}"]`).click()
    await confirmDialog(page, `Cancel managed job ${ticker}?`)
    await page.locator(`.toast.ok:has-text("Managed job ${ticker} cancelled.")`).waitFor()
    await row.locator('.badge.st-cancelled').waitFor()
    await waitFor(async () => (await jobOf(h, ticker))?.status === 'CANCELLED')
    expect((await h.sky(['status', '-u'])).stdout).toContain('No existing clusters.')
    expect(errors.filter((e) => !/status of 40[134]/.test(e))).toEqual([])
  })
})
