// Debian's chromium driven by puppeteer-core for the page tests: headless, no sandbox (CI runs as
// root without a display), one isolated context per person on screen, 1280x800 pages. A browser
// that cannot start throws: a page test is never skipped for want of one.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const VIEWPORT = { width: 1280, height: 800 };

export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`no chromium found (tried ${candidates.join(', ')}): deploy/install-deps.sh installs it`);
  return found;
}

export function launchBrowser() {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage',
      // Background pages keep their timers: the widget and the inbox run side by side.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
    timeout: 20_000,
  });
}

// A page in a context of its own (its own storage: another person), with its errors collected.
export async function personPage(browser) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(VIEWPORT);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

// Where screenshots go: $RINGCAST_ARTIFACTS (ctest sets it under the build folder).
export function artifactsDir() {
  const dir = process.env.RINGCAST_ARTIFACTS ?? path.resolve(here, '../../build/release/screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

// The texts of the messages a page shows, in order, with their seqs.
export function shownMessages(page) {
  return page.$$eval('#messages .msg', (els) => els.map((el) => ({
    seq: el.dataset.seq ? Number(el.dataset.seq) : null,
    text: el.querySelector('.text').textContent,
    tick: el.querySelector('.tick')?.dataset.tick ?? null,
    type: el.dataset.senderType,
  })));
}

// Types into a page's composer, and with `send` presses Enter.
export async function write(page, text, { send = true } = {}) {
  await page.focus('#composer-input');
  await page.keyboard.type(text);
  if (send) await page.keyboard.press('Enter');
}
