/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), and an axe-core check. The flags keep a
 * headless Chromium from reaching for the network it does not have (it stalls otherwise).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SUANLI_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumInstalled = () => existsSync(CHROMIUM);

/** Screenshots land here (gitignored); CI keeps the folder as an artifact. */
export const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'console');

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  // No --user-data-dir here: playwright's launch() gives Chromium a fresh temporary profile of its own each time
  // (and refuses the flag), and isolated contexts per role need launch(), not launchPersistentContext().
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return { browser, close: () => browser.close() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core's WCAG 2 A/AA rules on the page as it is now; the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  // Evaluated as a string: this file is type-checked without the DOM library, and the page has axe by now.
  const violations = await page.evaluate<AxeViolation[]>(`(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  })()`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
