// Headless Chromium for dashboard tests and benches, driven by playwright-core (no bundled
// browser download: we use the system's chromium, which `.ci/run` installs).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { ROOT, tempHome, type TempHome } from './index'

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']
const FIXED = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/snap/bin/chromium']

/** Path of a Chromium-family browser, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  if (process.env.SKY_CHROMIUM) return process.env.SKY_CHROMIUM
  for (const name of CANDIDATES) {
    const p = Bun.which(name)
    if (p) return p
  }
  return FIXED.find((p) => Bun.file(p).size > 0)
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath()
  if (!executablePath) throw new Error('No Chromium found: install Debian\'s chromium package (or set SKY_CHROMIUM).')
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  })
}

/** A browser context with a laptop-sized viewport; console errors are collected into `errors`. */
export async function newPage(browser: Browser, o: { width?: number; height?: number } = {}): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: o.width ?? 1360, height: o.height ?? 860 }, colorScheme: 'light' })
  const page = await ctx.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  return { ctx, page, errors }
}

export const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard')

/** Save a full-page screenshot as test-artifacts/dashboard/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** Wait for the open dialog, check its title, and press its main button. */
export async function confirmDialog(page: Page, label: string): Promise<void> {
  const dialog = page.locator('dialog[open]')
  await dialog.waitFor()
  const title = await dialog.locator('h2').innerText()
  if (!title.includes(label)) throw new Error(`dialog says "${title}", expected "${label}"`)
  await dialog.locator('[data-confirm]').click()
}

/** What the dashboard e2e files share: Chromium, a temporary home with its API server, one page. */
export interface DashboardSession {
  browser: Browser
  h: TempHome
  page: Page
  /** Console errors and uncaught page errors so far. */
  errors: string[]
  /** Close the page and the browser (the caller cleans up `h` after its own teardown). */
  close(): Promise<void>
}

export async function dashboardSession(): Promise<DashboardSession> {
  const browser = await launchBrowser()
  const h = await tempHome()
  const started = await h.sky(['api', 'start'])
  if (started.code !== 0) throw new Error(`sky api start failed (${started.code}): ${started.stderr}`)
  const p = await newPage(browser)
  return {
    browser,
    h,
    page: p.page,
    errors: p.errors,
    close: async () => {
      await p.ctx.close()
      await browser.close()
    },
  }
}
