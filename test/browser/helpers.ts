/**
 * Browser suites: Debian's Chromium driven by playwright-core.
 *
 * Where Chromium is missing, a suite is skipped with one loud line saying
 * why, except under `CI=true`, where it runs and fails (a CI that silently
 * skips its browser tests proves nothing). `CHROMIUM_PATH` points elsewhere.
 *
 * Everything is bounded: launch, navigation and every wait have deadlines
 * (`page.setDefaultTimeout`), and each suite closes what it opened in `after()`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** The browser binary: Debian's `chromium` package. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, no sandbox (containers run as root), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Deadline of one browser wait (navigation, selector, function), in ms. */
export const BROWSER_WAIT_MS = 10_000;

/** Where screenshots go (gitignored): `test-artifacts/browser/`. */
export const ARTIFACTS_DIR = fileURLToPath(
  new URL('../../test-artifacts/browser/', import.meta.url),
);

/** Laptop and phone viewports the dashboard is checked at. */
export const VIEWPORTS = {
  laptop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

let warned = false;

/**
 * Why browser suites must be skipped here, or `false` when they run: pass it
 * as `describe(name, { skip: browserSkip() }, …)`. Under `CI=true` it is
 * always `false`, so a missing browser fails the suite.
 */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === 'true') return false;
  const reason = `${CHROMIUM_PATH} not found: browser tests skipped (apt-get install chromium; CI=true makes this a failure)`;
  if (!warned) {
    warned = true;
    process.stderr.write(`\n*** ${reason} ***\n\n`);
  }
  return reason;
}

/** Launches Chromium; fails with a message naming the binary when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} not found and CI=true: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** Problems a page reports: uncaught errors, console errors, CSP violations. */
export interface PageProblems {
  readonly errors: string[];
  readonly cspViolations: string[];
}

/**
 * A new page in its own context with bounded waits, and the problems it
 * reports collected (CSP violations through the `securitypolicyviolation`
 * event, registered before any script of the page runs).
 */
export async function openPage(
  browser: Browser,
  options: {
    viewport?: { width: number; height: number };
    colorScheme?: 'light' | 'dark';
  } = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? VIEWPORTS.laptop,
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(BROWSER_WAIT_MS);
  page.setDefaultNavigationTimeout(BROWSER_WAIT_MS);
  const problems: PageProblems = { errors: [], cspViolations: [] };
  page.on('pageerror', (error) => problems.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(message.text());
  });
  await page.exposeFunction('__reportCspViolation', (text: string) => {
    problems.cspViolations.push(text);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const target = window as unknown as { __reportCspViolation: (text: string) => void };
      target.__reportCspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI} (${event.sourceFile})`,
      );
    });
  });
  return { context, page, problems };
}

/** Writes a full-page screenshot to the artifacts folder; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
