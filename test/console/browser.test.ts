/**
 * The web console in a real browser (Debian's Chromium via playwright-core) against a whole platform in-process:
 * the demo federation, local engines that really run jobs, the control loop, and the server's console handler.
 * Every role logs in with its token; a tenant submits from the form and watches the job succeed, sees why a job
 * waits, cancels; the language switches; another tenant's job stays out of reach by URL. Screenshots of the main
 * pages go to test-artifacts/console/, and axe-core checks those pages for serious or critical violations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { periodLabelAt } from '../../src/core/report-period.ts';
import { ALL, createStore, type Store } from '../../src/store/index.ts';
import { reportPeriod } from '../../src/store/ledger/index.ts';
import { DEFAULT_CONSOLE_DIR } from '../../src/server/console.ts';
import { chromiumInstalled, launchChromium, screenshot, seriousViolations, CHROMIUM } from '../helpers/browser.ts';
import { startPlatform, type TestPlatform } from '../helpers/platform.ts';

const installed = chromiumInstalled();
if (!installed && process.env.CI === 'true') {
  throw new Error(`Chromium is not installed at ${CHROMIUM}: CI must run the browser tests (apt-get install chromium)`);
}
const skipped = `the web console in Chromium — SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium)`;
// The reporter folds a wholly skipped file into one line; say why where people look.
if (!installed) console.warn(skipped);
const suite = installed ? describe : describe.skip;
const title = installed ? 'the web console in Chromium' : skipped;

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

suite(title, () => {
  let store: Store;
  let platform: TestPlatform;
  let baseUrl: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    store = await createStore({});
    platform = await startPlatform(store, { consoleDir: DEFAULT_CONSOLE_DIR });
    baseUrl = await platform.app.listen({ port: 0, host: '127.0.0.1' });
    platform.loop.start();
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await chromium?.close();
    await platform?.close();
    await store?.close();
  });

  async function open(viewport = DESKTOP): Promise<Page> {
    // The browser's own locale is English and its zone Shanghai: the console must still start in Chinese.
    const context = await chromium.browser.newContext({ viewport, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    return page;
  }

  async function login(user: string, viewport = DESKTOP): Promise<Page> {
    const page = await open(viewport);
    await page.goto(baseUrl);
    await page.locator('#token').fill(platform.token(user));
    await page.locator('form button[type=submit]').click();
    await page.locator('nav[aria-label]').waitFor();
    return page;
  }

  const navLinks = (page: Page) => page.locator('nav a').allTextContents();

  async function expectAccessible(page: Page): Promise<void> {
    const violations = await seriousViolations(page);
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
  }

  /** Submits a job from the form; returns the new job's id, from the detail page the console opens. */
  async function submitFromForm(page: Page, job: { name: string; model: string; perNode: string; script: string }) {
    await page.locator('nav a[href="/submit"]').click();
    await page.locator('#name').fill(job.name);
    await page.locator('#model').selectOption(job.model);
    await page.locator('#acceleratorsPerNode').fill(job.perNode);
    await page.locator('#script').fill(job.script);
    await page.locator('form button[type=submit]').click();
    await page.waitForURL(/\/jobs\/[^/]+$/);
    return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  }

  const stateOf = (page: Page) => page.locator('.job-status .badge').getAttribute('data-state');

  it('starts in Chinese and switches to English and back, on the login page and after', async () => {
    const page = await open();
    await page.goto(baseUrl);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('h2').first().textContent()).toBe('登录');
    await expectAccessible(page);
    await page.locator('button[lang="en"]').click();
    expect(await page.locator('h2').first().textContent()).toBe('Log in');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.locator('#token').fill(platform.token('office'));
    await page.locator('form button[type=submit]').click();
    await page.locator('h1', { hasText: 'The province at a glance' }).waitFor();
    expect(await navLinks(page)).toEqual([
      'Province overview',
      'Tenants',
      'Providers',
      'Jobs',
      'Programmes',
      'Chip race',
    ]);
    await page.locator('button[lang="zh-CN"]').click();
    await page.locator('h1', { hasText: '全省算力概览' }).waitFor();
    expect(await navLinks(page)).toEqual(['全省概览', '租户', '算力提供方', '作业', '补贴计划', '芯片赛马']);
  });

  it('refuses an unknown token on the login page', async () => {
    const page = await open();
    await page.goto(baseUrl);
    await page.locator('#token').fill('sl_not-a-token');
    await page.locator('form button[type=submit]').click();
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('令牌无效');
  });

  it('operator: the province overview, tenants and providers, accessible', async () => {
    const page = await login('office');
    expect(await navLinks(page)).toEqual(['全省概览', '租户', '算力提供方', '作业', '补贴计划', '芯片赛马']);
    await page.locator('h1', { hasText: '全省算力概览' }).waitFor();
    // The demo federation's capacity: 72 accelerators, 35.97 P (exact P from the catalogue, formatted for zh-CN).
    await expect.poll(() => page.locator('.figures dd').first().textContent()).toBe('35.97 P');
    expect(await page.locator('figure.chart svg').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('tbody tr', { hasText: 'wuhu-1' }).textContent()).toContain('正常');
    await screenshot(page, 'operator-overview-idle');
    await expectAccessible(page);

    // Looking back a week asks the API for 168 hours and relabels the chart.
    const weekly = page.waitForResponse((r) => r.url().includes('/api/v1/overview?hours=168'));
    await page.locator('#period').selectOption('week');
    expect((await weekly).status()).toBe(200);
    await page.locator('figcaption', { hasText: '过去 7 天在用算力' }).waitFor();

    await page.locator('nav a[href="/tenants"]').click();
    await page.locator('th', { hasText: 'qiming-ai' }).waitFor();
    await screenshot(page, 'operator-tenants');
    await expectAccessible(page);

    await page.locator('nav a[href="/providers"]').click();
    await page.locator('th', { hasText: 'hefei-aicc' }).waitFor();
    await expectAccessible(page);
  });

  it('operator: onboards a tenant, verifies it and changes its category', async () => {
    const page = await login('office');
    await page.locator('nav a[href="/tenants"]').click();
    await page.locator('#tenant-id').fill('lujiang-lab');
    await page.locator('#tenant-name').fill('Lujiang Lab');
    await page.locator('#tenant-organisation').fill('Lujiang Lab');
    await page.locator('#tenant-category').selectOption('research-institute');
    await page.getByRole('button', { name: '新增租户' }).click();
    const row = page.locator('tr', { has: page.locator('th', { hasText: 'lujiang-lab' }) });
    await row.waitFor();
    await row.getByRole('button', { name: /核验/ }).click();
    await expect
      .poll(async () => (await store.federation.listTenants()).find((t) => t.id === 'lujiang-lab')?.verified)
      .toBe(true);
    await row.locator('select').selectOption('university');
    await expect
      .poll(async () => (await store.federation.listTenants()).find((t) => t.id === 'lujiang-lab')?.category)
      .toBe('university');
  });

  it('provider-admin: its own clusters, pools and prices; sets a price with validity dates', async () => {
    const page = await login('wuhu-admin');
    expect(await navLinks(page)).toEqual(['集群与资源池', '运行中的作业', '结算']);
    await page.locator('h2', { hasText: 'wuhu-1' }).waitFor();
    // Only its own provider's clusters: no Hefei or Suzhou cluster is listed.
    expect(await page.locator('article h2').allTextContents()).toEqual([expect.stringContaining('wuhu-1')]);
    expect(await page.locator('tr', { hasText: 'Ascend-910B' }).textContent()).toContain('¥9.00');
    await screenshot(page, 'provider-clusters');
    await expectAccessible(page);

    await page.getByRole('button', { name: /调整价格 910b/ }).click();
    await page.locator('#wuhu-1-910b-amount').fill('8.5');
    await page.locator('#wuhu-1-910b-from').fill('2027-01-01T00:00');
    await page.locator('#wuhu-1-910b-to').fill('2027-07-01T00:00');
    await page.getByRole('button', { name: '保存' }).click();
    await page.locator('[role=status]', { hasText: '新价格已保存' }).waitFor();
    const prices = await store.federation.listPrices('wuhu-1:910b');
    const added = prices.find((p) => p.fenPerAcceleratorHour === 850);
    // Entered in the user's zone (Shanghai, UTC+8), stored as instants.
    expect(added?.validFrom.toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(added?.validTo?.toISOString()).toBe('2027-06-30T16:00:00.000Z');
    await page.locator('nav a[href="/running"]').click();
    await page.locator('h1', { hasText: '在我的集群上运行的作业' }).waitFor();
    expect(await page.locator('a[href="/jobs"]').count()).toBe(0);
  });

  let succeededJobId = '';

  it('tenant-admin: submits a job from the form and sees it reach succeeded, with its output', async () => {
    const page = await login('qiming-ai-admin');
    expect(await navLinks(page)).toEqual(['作业', '提交作业', '用量', '费用']);
    await page.locator('nav a[href="/submit"]').click();
    await page.locator('h1', { hasText: '提交作业' }).waitFor();
    await screenshot(page, 'tenant-submit');
    await expectAccessible(page);

    // The browser checks with the core's parser before sending: a bad name and time limit are named in place.
    await page.locator('#name').fill('Bad Name');
    await page.locator('#timeLimit').fill('ten minutes');
    await page.locator('form button[type=submit]').click();
    expect(await page.locator('#name-error').textContent()).toMatch(/lowercase|must match/i);
    expect(await page.locator('#timeLimit-error').textContent()).not.toBe('');
    expect(await page.locator('#name').getAttribute('aria-invalid')).toBe('true');
    await page.locator('#timeLimit').fill('5m');

    succeededJobId = await submitFromForm(page, {
      name: 'form-hello',
      model: 'Ascend-910B',
      perNode: '1',
      script: 'echo "hello from $SUANLI_ACCELERATOR_MODEL"; sleep 1; echo done',
    });
    await expect.poll(() => stateOf(page), { timeout: 30_000, interval: 250 }).toBe('succeeded');
    await expect
      .poll(() => page.locator('pre.logs').textContent(), { timeout: 10_000 })
      .toContain('hello from Ascend-910B');
    await screenshot(page, 'tenant-job-detail');
    await expectAccessible(page);

    await page.locator('nav a[href="/"]').click();
    const row = page.locator(`tr[data-job-id="${succeededJobId}"]`);
    expect(await row.locator('.badge').getAttribute('data-state')).toBe('succeeded');
    await screenshot(page, 'tenant-jobs');
    await expectAccessible(page);

    await page.locator('nav a[href="/usage"]').click();
    await page.locator('tr', { hasText: 'Ascend-910B' }).first().waitFor({ timeout: 15_000 });
    // The run's record says how it ended.
    expect(await page.locator('tr', { hasText: succeededJobId }).textContent()).toContain('成功');
    expect(await page.locator('.figures dd').textContent()).toMatch(/P·h$/);
    await expectAccessible(page);
  }, 60_000);

  /** An API call as a demo user, outside the browser (the operator's money operations, jobs to charge). */
  async function apiAs(user: string, method: 'GET' | 'POST', url: string, payload?: object) {
    const response = await platform.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${platform.token(user)}` },
      ...(payload ? { payload } : {}),
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response;
  }

  /** Exact fen as zh-CN writes CNY (¥1,234.56, -¥0.08), by string arithmetic: the expectation is not the console's code. */
  const cny = (fen: bigint) => {
    const abs = fen < 0n ? -fen : fen;
    const yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+$)/g, ',');
    return `${fen < 0n ? '-' : ''}¥${yuan}.${(abs % 100n).toString().padStart(2, '0')}`;
  };

  /** The China Standard Time month of now: statements and reports count such months. */
  const thisMonth = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);

  let chargedFen = 0n;

  it('tenant-admin: sees its balance and a charge on the Spend page, downloads the statement as CSV and HTML', async () => {
    // Money on the demo federation: the operator tops the tenant's wallet up, then a job on wuhu-hub's H100s is
    // charged by the control loop (8 accelerators × ≥ 2 s at ¥18.00 per accelerator-hour: at least ¥0.08).
    await apiAs('office', 'POST', '/wallet/top-ups', {
      tenantId: 'qiming-ai',
      amountFen: '200000',
      reference: 'browser-top-up-1',
    });
    // A programme pool funded with ¥10,000.00 (1 万元), and a ¥300.00 voucher from it that pays half a charge.
    await apiAs('office', 'POST', '/programmes/anhui-vouchers/pools/province/fundings', {
      amountFen: '1000000',
      reference: 'browser-budget-1',
    });
    await apiAs('office', 'POST', '/vouchers', {
      id: 'qiming-browser-1',
      kind: 'compute',
      tenantId: 'qiming-ai',
      programmeId: 'anhui-vouchers',
      funder: 'province',
      faceFen: '30000',
      validFrom: new Date(Date.now() - 3_600_000).toISOString(),
      validTo: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      providers: ['wuhu-hub'],
      maxShareBasisPoints: 5000,
    });
    const job = await apiAs('qiming-ai-admin', 'POST', '/jobs', {
      apiVersion: 'suanli.io/v1',
      kind: 'Job',
      metadata: { name: 'charged', project: 'research' },
      spec: {
        resources: { accelerator: { model: 'H100-SXM' }, acceleratorsPerNode: 8, nodes: 1 },
        timeLimit: '5m',
        script: 'sleep 2',
      },
    });
    const jobId = job.json<{ id: string }>().id;
    const wallet = 'tenant-wallet:qiming-ai';
    const charge = async () => {
      const [usage] = await store.usage.list(ALL, { jobId });
      if (!usage) return undefined;
      const lines = await store.ledger.lines(wallet, new Date(0), new Date(Date.UTC(9999, 0)), 100);
      return lines.find((l) => l.purpose === 'charge' && l.usageRecordId === usage.id);
    };
    await expect.poll(async () => (await charge()) !== undefined, { timeout: 30_000, interval: 250 }).toBe(true);
    chargedFen = (await charge())!.fen;
    expect(chargedFen).toBeLessThan(0n);
    const balance = -(await store.ledger.balance(wallet));

    const page = await login('qiming-ai-admin');
    await page.locator('nav a[href="/spend"]').click();
    await page.locator('h1', { hasText: '费用与钱包' }).waitFor();
    await expect.poll(() => page.getByTestId('wallet-balance').textContent()).toBe(cny(balance));
    const chargeRow = page.locator('tr[data-purpose="charge"]', { hasText: cny(chargedFen) }).first();
    expect(await chargeRow.textContent()).toContain('费用');
    expect(await page.locator('tr[data-purpose="top-up"]').first().textContent()).toContain('¥2,000.00');
    const voucher = page.locator('tr', { has: page.locator('th', { hasText: 'qiming-browser-1' }) });
    expect(await voucher.textContent()).toContain('¥300.00');
    expect(await voucher.textContent()).toContain('wuhu-hub');
    // The voucher paid half the charge: its use is a line of the wallet too.
    expect(await page.locator('tr[data-purpose="voucher-apply"]').first().textContent()).toContain('券抵扣');
    // This month's statement closes at the wallet's balance.
    await expect.poll(() => page.getByTestId('statement-closing').textContent()).toBe(cny(balance));
    await screenshot(page, 'tenant-spend');
    await expectAccessible(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '下载 CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`statement-qiming-ai-${thisMonth()}.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('time,purpose,reason,usage record or sale,voucher,programme,amount (CNY)');
    expect(csv).toContain(`,charge,`);

    const [printable] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByRole('button', { name: '打开可打印版本' }).click(),
    ]);
    await printable.waitForLoadState();
    expect(await printable.content()).toContain(`closing balance\n${cny(balance)}`);

    // In English the same amounts, in the English format of CNY.
    await page.locator('button[lang="en"]').click();
    await page.locator('h1', { hasText: 'Spend and wallet' }).waitFor();
    expect(balance).toBeGreaterThan(0n);
    expect(await page.getByTestId('wallet-balance').textContent()).toBe(`CN${cny(balance)}`);
  }, 60_000);

  /** Exact fen in 万元 as zh-CN writes it: at least two decimals, more only to keep every fen. */
  const wan = (fen: bigint) => {
    const abs = fen < 0n ? -fen : fen;
    const whole = (abs / 1_000_000n).toString().replace(/\B(?=(\d{3})+$)/g, ',');
    const decimals = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
    return `${fen < 0n ? '-' : ''}${whole}.${decimals} 万元`;
  };

  it('operator: sees a programme pool against its budget and the monthly report, downloads it', async () => {
    expect(chargedFen).toBeLessThan(0n);
    const page = await login('office');
    await page.locator('nav a[href="/programmes"]').click();
    await page.locator('h1', { hasText: '补贴计划与资金池' }).waitFor();
    const pool = page.locator('tr[data-pool="anhui-vouchers/province"]');
    await pool.waitFor();
    // ¥10,000.00 paid in, the ¥300.00 voucher issued from it.
    expect(await pool.locator('td.num').allTextContents()).toEqual(['1.00 万元', '0.03 万元', '0.97 万元']);
    expect(await page.locator('figure.chart svg').count()).toBe(1);
    expect(await page.locator('figure.chart .visually-hidden').textContent()).toContain(
      'anhui-vouchers / province：已支出 0.03 万元，预算 1.00 万元。',
    );

    const month = thisMonth();
    const report = await store.ledger.monthlyReport(month, new Date());
    expect(report.total.spendFen).toBeGreaterThan(0n);
    await expect.poll(() => page.getByTestId('report-spend').textContent()).toBe(wan(report.total.spendFen));
    expect(await page.getByTestId('top-tenants').textContent()).toContain('qiming-ai');
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'operator-programmes');
    await expectAccessible(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '下载 CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`report-${month}.csv`);
    expect(await readFile((await download.path())!, 'utf8')).toContain(
      'Pools remaining,anhui-vouchers,province,9700.00',
    );
    const [printable] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByRole('button', { name: '打开可打印版本' }).click(),
    ]);
    await printable.waitForLoadState();
    expect(await printable.content()).toContain('<h2>Top tenants by spend</h2>');

    // An earlier month: the report asked for it, and nothing was spent then.
    await page.locator('#report-month').fill('2026-01');
    await page.locator('h2', { hasText: '2026-01 月度报告' }).waitFor();
    await expect.poll(() => page.getByTestId('report-spend').textContent()).toBe('0.00 万元');
  }, 60_000);

  it('operator: picks a quarter and sees its report month by month, and downloads it', async () => {
    expect(chargedFen).toBeLessThan(0n);
    const page = await login('office');
    await page.locator('nav a[href="/programmes"]').click();
    await page.getByLabel('报告期类型').selectOption('quarter');
    const now = new Date();
    const quarter = periodLabelAt('quarter', now);
    await page.locator('#report-quarter').selectOption(quarter);
    await page.locator('h2', { hasText: `${quarter} 季度报告` }).waitFor();
    const report = await store.ledger.report(reportPeriod('quarter', quarter), now);
    expect(report.total.spendFen).toBeGreaterThan(0n);
    await expect.poll(() => page.getByTestId('report-spend').textContent()).toBe(wan(report.total.spendFen));
    // One row per month of the quarter begun so far, this month's spend among them.
    const months = page.getByTestId('report-by-month').locator('tbody th');
    await expect.poll(() => months.allTextContents()).toEqual(report.byMonth.map((m) => m.month));
    expect(await page.getByTestId('report-by-month').locator('tr', { hasText: thisMonth() }).textContent()).toContain(
      wan(report.byMonth.find((m) => m.month === thisMonth())!.spendFen),
    );
    await page.waitForLoadState('networkidle');
    await expectAccessible(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '下载 CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`report-${quarter}.csv`);
    expect(await readFile((await download.path())!, 'utf8')).toContain(`By month,${thisMonth()},`);
  }, 60_000);

  it('provider-admin: sees what the platform owes it, the payouts made and its statement', async () => {
    expect(chargedFen).toBeLessThan(0n);
    await apiAs('office', 'POST', '/providers/wuhu-hub/payouts', { amountFen: '1', reference: 'browser-payout-1' });
    const payable = -(await store.ledger.balance('provider-payable:wuhu-hub'));
    expect(payable).toBeGreaterThan(0n);

    const page = await login('wuhu-admin');
    await page.locator('nav a[href="/payouts"]').click();
    await page.locator('h1', { hasText: '结算与付款' }).waitFor();
    await expect.poll(() => page.getByTestId('payable').textContent()).toBe(cny(payable));
    const payout = page.getByTestId('payouts').locator('tr', { hasText: 'browser-payout-1' });
    expect(await payout.locator('td.num').textContent()).toBe('¥0.01');
    await expect.poll(() => page.getByTestId('statement-closing').textContent()).toBe(cny(payable));
    expect(await page.locator('tr[data-purpose="payout"]').count()).toBe(1);
    await screenshot(page, 'provider-payouts');
    await expectAccessible(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '下载 CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`payouts-wuhu-hub-${thisMonth()}.csv`);
    expect(await readFile((await download.path())!, 'utf8')).toContain(',payout,');

    // The operator's pages are not the provider's: no link, and the API refuses a typed URL.
    expect(await page.locator('nav a[href="/programmes"]').count()).toBe(0);
    await page.goto(`${baseUrl}/programmes`);
    await page.locator('h1', { hasText: '未找到' }).waitFor();
  }, 60_000);

  it("operator: opens a tenant's Spend page, tops its wallet up and issues a model voucher, accessible", async () => {
    const wallet = 'tenant-wallet:qiming-ai';
    const held = async () => -(await store.ledger.balance(wallet));
    const page = await login('office');
    await page.locator('nav a[href="/tenants"]').click();
    await page.locator('a[href="/tenants/qiming-ai/spend"]').click();
    await page.locator('h1', { hasText: 'qiming-ai 的费用与钱包' }).waitFor();
    // The tenant's balance, as the ledger holds it (a charge may still land: read the ledger each time).
    await expect
      .poll(async () => (await page.getByTestId('wallet-balance').textContent()) === cny(await held()))
      .toBe(true);
    const before = await held();
    // Its vouchers, not every tenant's: the ¥300.00 compute voucher issued to it by the API.
    const compute = page.locator('tr', { has: page.locator('th', { hasText: 'qiming-browser-1' }) });
    expect(await compute.textContent()).toContain('算力券');

    // A mistake is named before anything is sent.
    await page.locator('#top-up-amount').fill('100.005');
    await page.locator('#top-up-reference').fill('browser-office-top-up-1');
    await page.getByRole('button', { name: '记录充值' }).click();
    await expect
      .poll(() => page.locator('form[aria-labelledby="top-up-heading"] [role=alert]').textContent())
      .toBe('出错了：金额（元）：请输入大于零的金额，最多两位小数（如 100 或 100.50）。');
    expect(await held()).toBe(before);

    // ¥100.00 in: the balance grows by exactly 10,000 fen, on the page and in the ledger.
    await page.locator('#top-up-amount').fill('100.00');
    await page.getByRole('button', { name: '记录充值' }).click();
    await page.getByRole('status').filter({ hasText: '已为 qiming-ai 充值 ¥100.00。' }).waitFor();
    expect(await held()).toBe(before + 10_000n);
    await expect.poll(() => page.getByTestId('wallet-balance').textContent()).toBe(cny(before + 10_000n));
    const recent = page.locator('table', { has: page.locator('caption', { hasText: '最近交易' }) });
    await expect
      .poll(() => recent.locator('tr[data-purpose="top-up"]', { hasText: 'browser-office-top-up-1' }).count())
      .toBe(1);
    // This month's statement, on the same page, closes at the new balance too.
    await expect.poll(() => page.getByTestId('statement-closing').textContent()).toBe(cny(before + 10_000n));

    // The same bank transfer entered twice is recorded once, and the page says so.
    await page.locator('#top-up-amount').fill('100.00');
    await page.locator('#top-up-reference').fill('browser-office-top-up-1');
    await page.getByRole('button', { name: '记录充值' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: '转账凭证号 browser-office-top-up-1 已记录过，本次未重复充值。' })
      .waitFor();
    expect(await held()).toBe(before + 10_000n);

    // A voucher from a pool no funder paid into: the server's refusal, as it comes.
    await page.locator('#voucher-id').fill('qiming-model-1');
    await page.locator('#voucher-kind').selectOption('model');
    await page.locator('#voucher-programmeId').fill('anhui-vouchers');
    await page.locator('#voucher-funder').fill('city');
    await page.locator('#voucher-face').fill('50');
    await page.locator('#voucher-providers').fill('wuhu-hub');
    await page.getByRole('button', { name: '发放', exact: true }).click();
    const voucherAlert = page.locator('form[aria-labelledby="issue-voucher-heading"] [role=alert]');
    await expect
      .poll(() => voucherAlert.textContent())
      .toBe('出错了：pool anhui-vouchers/city holds 0 fen, less than the face value 5000');

    // From the province's pool, funded earlier: a ¥50.00 模型券, listed at once.
    await page.locator('#voucher-funder').fill('province');
    await page.getByRole('button', { name: '发放', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: '已向 qiming-ai 发放模型券 qiming-model-1，面额 ¥50.00。' })
      .waitFor();
    const model = page.locator('tr', { has: page.locator('th', { hasText: 'qiming-model-1' }) });
    await expect
      .poll(() => model.locator('td').allTextContents())
      .toEqual(['模型券', 'anhui-vouchers', '¥50.00', '¥50.00', expect.stringContaining(' 至 '), 'wuhu-hub']);
    const issued = (await store.ledger.vouchers('qiming-ai')).find((v) => v.id === 'qiming-model-1');
    expect(issued).toMatchObject({ kind: 'model', faceFen: 5000n, funder: 'province', providers: ['wuhu-hub'] });
    // The same voucher entered again is issued once, and the page says so.
    await page.locator('#voucher-id').fill('qiming-model-1');
    await page.getByRole('button', { name: '发放', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: '模型券 qiming-model-1 已发放过（qiming-ai，面额 ¥50.00），本次未重复发放。' })
      .waitFor();
    expect((await store.ledger.vouchers('qiming-ai')).filter((v) => v.id === 'qiming-model-1')).toHaveLength(1);
    await screenshot(page, 'operator-tenant-spend');
    await expectAccessible(page);

    // A provider's Payouts page, from the Providers page.
    await page.locator('nav a[href="/providers"]').click();
    await page.locator('a[href="/providers/wuhu-hub/payouts"]').click();
    await page.locator('h1', { hasText: 'wuhu-hub 的结算与付款' }).waitFor();
    const payable = -(await store.ledger.balance('provider-payable:wuhu-hub'));
    await expect.poll(() => page.getByTestId('payable').textContent()).toBe(cny(payable));
    await expectAccessible(page);
  }, 60_000);

  it("a sale recorded through the API shows on the buyer's Spend page and the seller's Payouts page", async () => {
    await apiAs('wuhu-admin', 'POST', '/sales', {
      reference: 'browser-sale-1',
      tenantId: 'qiming-ai',
      kind: 'corpus',
      product: 'anhui-legal-corpus',
      amountFen: '123456',
      occurredAt: new Date().toISOString(),
    });
    const tenant = await login('qiming-ai-admin');
    await tenant.locator('nav a[href="/spend"]').click();
    const bought = tenant.getByTestId('sales').locator('tr[data-sale="browser-sale-1"]');
    await expect
      .poll(() => bought.locator('td').allTextContents())
      .toEqual(['语料', 'anhui-legal-corpus', 'wuhu-hub', '¥1,234.56', expect.any(String)]);
    // A tenant's own page has no office forms, and another tenant's page is not there for it.
    expect(await tenant.locator('#top-up-amount').count()).toBe(0);
    expect(await tenant.locator('#voucher-id').count()).toBe(0);
    await expectAccessible(tenant);
    await tenant.goto(`${baseUrl}/tenants/zhiyuan-llm/spend`);
    await tenant.locator('h1', { hasText: '未找到' }).waitFor();

    const seller = await login('wuhu-admin');
    await seller.locator('nav a[href="/payouts"]').click();
    const sold = seller.getByTestId('sales').locator('tr[data-sale="browser-sale-1"]');
    await expect
      .poll(() => sold.locator('td').allTextContents())
      .toEqual(['语料', 'anhui-legal-corpus', 'qiming-ai', '¥1,234.56', expect.any(String)]);
    // The sales listed follow the statement's month picker: this month's, then last month's, which has none.
    const month = thisMonth();
    const [year, m] = month.split('-').map(Number) as [number, number];
    const last = m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`;
    expect(await seller.locator('#sales-heading').textContent()).toBe(`${month} 模型服务与语料销售`);
    await seller.locator('#statement-month').fill(last);
    await expect.poll(() => seller.locator('#sales-heading').textContent()).toBe(`${last} 模型服务与语料销售`);
    await seller.getByText(`${last} 没有销售记录。`).waitFor();
    expect(await seller.getByTestId('sales').count()).toBe(0);
    await seller.locator('#statement-month').fill(month);
    await expect.poll(() => sold.count()).toBe(1);
    await expectAccessible(seller);
    await seller.goto(`${baseUrl}/providers/hefei-aicc/payouts`);
    await seller.locator('h1', { hasText: '未找到' }).waitFor();
  }, 60_000);

  it('operator: pays a provider from its Payouts page, exactly, never more than it is owed, accessible', async () => {
    // suzhou-wanbei has sold a ¥500.00 model service; its MLUs run nothing of the tests before this one.
    await apiAs('office', 'POST', '/sales', {
      providerId: 'suzhou-wanbei',
      reference: 'browser-sale-for-payout',
      tenantId: 'qiming-ai',
      kind: 'model',
      product: 'qwen-api',
      amountFen: '50000',
      occurredAt: new Date().toISOString(),
    });
    const owed = async () => -(await store.ledger.balance('provider-payable:suzhou-wanbei'));
    const before = await owed();
    expect(before).toBeGreaterThan(12_345n);
    /** Fen as yuan typed into the form, by string arithmetic. */
    const typed = (fen: bigint) => `${fen / 100n}.${(fen % 100n).toString().padStart(2, '0')}`;

    const page = await login('office');
    await page.locator('nav a[href="/providers"]').click();
    await page.locator('a[href="/providers/suzhou-wanbei/payouts"]').click();
    await page.locator('h1', { hasText: 'suzhou-wanbei 的结算与付款' }).waitFor();
    await expect.poll(() => page.getByTestId('payable').textContent()).toBe(cny(before));
    expect(await page.getByTestId('pay-out-owed').textContent()).toBe(
      `平台当前应付 ${cny(before)}；付款不能超过应付金额。`,
    );
    const alert = page.locator('form[aria-labelledby="pay-out-heading"] [role=alert]');

    // A mistake is named before anything is sent.
    await page.locator('#pay-out-amount').fill('1.005');
    await page.locator('#pay-out-reference').fill('browser-office-payout-1');
    await page.getByRole('button', { name: '记录付款' }).click();
    await expect
      .poll(() => alert.textContent())
      .toBe('出错了：金额（元）：请输入大于零的金额，最多两位小数（如 100 或 100.50）。');

    // One fen more than is owed: the server's refusal, as it comes, and nothing paid.
    await page.locator('#pay-out-amount').fill(typed(before + 1n));
    await page.getByRole('button', { name: '记录付款' }).click();
    await expect
      .poll(() => alert.textContent())
      .toBe(`出错了：provider suzhou-wanbei is owed ${before} fen, less than the payout ${before + 1n}`);
    expect(await owed()).toBe(before);

    // ¥123.45 paid: what is owed drops by exactly 12,345 fen, in the ledger and on the page.
    await page.locator('#pay-out-amount').fill('123.45');
    await page.getByRole('button', { name: '记录付款' }).click();
    await page.getByRole('status').filter({ hasText: '已向 suzhou-wanbei 付款 ¥123.45。' }).waitFor();
    expect(await owed()).toBe(before - 12_345n);
    await expect.poll(() => page.getByTestId('payable').textContent()).toBe(cny(before - 12_345n));
    expect(await page.getByTestId('pay-out-owed').textContent()).toContain(cny(before - 12_345n));
    const payout = page.getByTestId('payouts').locator('tr', { hasText: 'browser-office-payout-1' });
    await expect.poll(() => payout.locator('td.num').textContent()).toBe('¥123.45');
    await expect.poll(() => page.getByTestId('statement-closing').textContent()).toBe(cny(before - 12_345n));

    // The same payment entered twice is recorded once, and the page says so.
    await page.locator('#pay-out-amount').fill('123.45');
    await page.locator('#pay-out-reference').fill('browser-office-payout-1');
    await page.getByRole('button', { name: '记录付款' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: '付款凭证号 browser-office-payout-1 已记录过，本次未重复付款。' })
      .waitFor();
    expect(await owed()).toBe(before - 12_345n);
    await screenshot(page, 'operator-provider-payouts');
    await expectAccessible(page);

    // The provider's own page has no payout form.
    const seller = await login('wuhu-admin');
    await seller.locator('nav a[href="/payouts"]').click();
    await seller.getByTestId('payable').waitFor();
    expect(await seller.locator('#pay-out-amount').count()).toBe(0);
  }, 60_000);

  it('tenant-member: submits pasted YAML; a YAML mistake is reported before anything is sent', async () => {
    const page = await login('qiming-ai-dev');
    await page.locator('nav a[href="/submit"]').click();
    await page.getByLabel('粘贴 YAML').check();
    const jobsBefore = (await store.jobs.list({ kind: 'all' }, { limit: 1000 })).length;
    await page
      .locator('#yaml')
      .fill('apiVersion: suanli.io/v1\nkind: Job\nmetadata: {name: y, project: demo}\nspec: {}\n');
    await page.locator('form button[type=submit]').click();
    expect(await page.locator('[role=alert]').textContent()).toContain('spec.timeLimit');
    expect((await store.jobs.list({ kind: 'all' }, { limit: 1000 })).length).toBe(jobsBefore);
    await page
      .locator('#yaml')
      .fill(
        [
          'apiVersion: suanli.io/v1',
          'kind: Job',
          'metadata: {name: from-yaml, project: research}',
          'spec:',
          '  resources: {accelerator: {model: K100}}',
          '  timeLimit: 2m',
          '  script: echo yaml works',
        ].join('\n'),
      );
    await page.locator('form button[type=submit]').click();
    await page.locator('h1', { hasText: 'from-yaml' }).waitFor();
    await expect.poll(() => stateOf(page), { timeout: 30_000, interval: 250 }).toBe('succeeded');
    // The output is polled on its own beat: it may show a moment after the state does.
    await expect.poll(() => page.locator('pre.logs').textContent(), { timeout: 10_000 }).toContain('yaml works');
  }, 60_000);

  it('tenant: sees why a job waits, cancels the job it waits for, and the waiter then runs', async () => {
    const page = await login('qiming-ai-admin');
    // The Suzhou MLU370 pool has one node of 8: a job that takes all 8 makes the next one wait.
    const blocker = await submitFromForm(page, {
      name: 'blocker',
      model: 'MLU370-X8',
      perNode: '8',
      script: 'sleep 300',
    });
    await expect.poll(() => stateOf(page), { timeout: 20_000, interval: 250 }).toBe('running');
    const waiter = await submitFromForm(page, {
      name: 'waiter',
      model: 'MLU370-X8',
      perNode: '8',
      script: 'sleep 300',
    });
    await expect.poll(() => page.locator('.job-status .reason').textContent(), { timeout: 20_000 }).toMatch(/free/);
    expect(await stateOf(page)).toBe('pending');

    await page.locator('nav a[href="/"]').click();
    const waiting = page.locator(`tr[data-job-id="${waiter}"]`);
    await expect.poll(() => waiting.locator('.reason').textContent()).toMatch(/MLU370-X8/);
    await screenshot(page, 'tenant-jobs-pending');

    // The member of the same tenant may not cancel the admin's job: the console does not offer it.
    const member = await login('qiming-ai-dev');
    expect(await navLinks(member)).toEqual(['作业', '提交作业']);
    await member.goto(`${baseUrl}/jobs/${encodeURIComponent(blocker)}`);
    await member.locator('h1', { hasText: 'blocker' }).waitFor();
    expect(await member.getByRole('button', { name: '取消作业' }).count()).toBe(0);

    await page.goto(`${baseUrl}/jobs/${encodeURIComponent(blocker)}`);
    await page.getByRole('button', { name: '取消作业' }).click();
    await expect.poll(() => stateOf(page), { timeout: 20_000, interval: 250 }).toBe('cancelled');

    await page.goto(`${baseUrl}/jobs/${encodeURIComponent(waiter)}`);
    await expect.poll(() => stateOf(page), { timeout: 20_000, interval: 250 }).toBe('running');
    await page.getByRole('button', { name: '取消作业' }).click();
    await expect.poll(() => stateOf(page), { timeout: 20_000, interval: 250 }).toBe('cancelled');
  }, 90_000);

  it("a tenant cannot reach another tenant's job by URL", async () => {
    expect(succeededJobId).not.toBe('');
    const page = await login('anhui-sci-univ-admin');
    await page.goto(`${baseUrl}/jobs/${encodeURIComponent(succeededJobId)}`);
    await page.locator('h1', { hasText: '未找到' }).waitFor();
    expect(await page.locator('main').textContent()).not.toContain('form-hello');
    // The same job id is the owner's to see.
    const owner = await login('qiming-ai-dev');
    await owner.goto(`${baseUrl}/jobs/${encodeURIComponent(succeededJobId)}`);
    await owner.locator('h1', { hasText: 'form-hello' }).waitFor();
  });

  it('operator: the chip race ranks the models whose runs ended this month, accessible', async () => {
    // The form's job above ran on Ascend-910B and succeeded; once metered it counts for its model.
    await expect
      .poll(async () => (await store.usage.list(ALL)).some((u) => u.acceleratorModel === 'Ascend-910B'), {
        timeout: 30_000,
      })
      .toBe(true);
    const page = await login('office');
    await page.locator('nav a[href="/chips"]').click();
    await page.locator('h1', { hasText: '芯片赛马' }).waitFor();
    const cells = (model: string) => page.locator(`tr[data-chip="${model}"] td`).allTextContents();
    // Rank, accelerators, ended runs, completion: every ended run of the Ascend cards so far completed.
    const ascend = await cells('Ascend-910B');
    expect(ascend[0]).toMatch(/^\d+$/);
    expect(ascend[3]).toBe('100%');
    expect(await page.locator('tr[data-chip="Ascend-910B"] th .badge').textContent()).toBe('国产');
    // A model is ranked exactly when one of its runs ended this month; the others are listed without a rank.
    const rows = await page
      .locator('tr[data-chip]')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const [rank, , ended] of rows) expect(rank === '—').toBe(ended === '0');
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'operator-chips');
    await expectAccessible(page);
  });

  it('works on a narrow screen (390 px): no sideways scrolling of the page', async () => {
    // Each role's first page, and the money pages with their wide tables and the pool chart.
    const pages: Array<[string, string]> = [
      ['office', '/'],
      ['qiming-ai-admin', '/'],
      ['office', '/programmes'],
      ['office', '/chips'],
      ['qiming-ai-admin', '/spend'],
      ['wuhu-admin', '/payouts'],
      ['office', '/tenants/qiming-ai/spend'],
    ];
    for (const [user, path] of pages) {
      const page = await login(user, PHONE);
      // The operator's view of one tenant's money has no link of its own in the navigation: typed as a URL.
      if (path.startsWith('/tenants/')) await page.goto(`${baseUrl}${path}`);
      else if (path !== '/') await page.locator(`nav a[href="${path}"]`).click();
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, `${user} ${path}: the page is ${overflow}px wider than the screen`).toBeLessThanOrEqual(0);
      await screenshot(page, path === '/' ? `narrow-${user}` : `narrow-${user}${path.replaceAll('/', '-')}`);
    }
  });

  it('is usable from the keyboard: skip link first, then the navigation', async () => {
    const page = await login('qiming-ai-admin');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.className')).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('main');
    await page.locator('nav a[href="/submit"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: '提交作业' }).waitFor();
  });

  it('operator: the overview shows the work in the federation (the README screenshot)', async () => {
    const submit = async (user: string, name: string, model: string, perNode: number, nodes = 1) => {
      const response = await platform.app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        headers: { authorization: `Bearer ${platform.token(user)}` },
        payload: {
          apiVersion: 'suanli.io/v1',
          kind: 'Job',
          metadata: { name, project: 'research' },
          spec: {
            resources: { accelerator: { model }, acceleratorsPerNode: perNode, nodes },
            timeLimit: '1h',
            script: 'sleep 600',
            priorityClass: name.startsWith('llm') ? 'strategic' : 'normal',
          },
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      return (response.json() as { id: string }).id;
    };
    const ids = [
      await submit('wuhu-gov-data-admin', 'llm-pretrain', 'H100-SXM', 8, 2),
      await submit('zhiyuan-llm-admin', 'llm-finetune', 'H800', 8),
      await submit('anhui-sci-univ-admin', 'protein-fold', 'A100-80GB', 8),
      await submit('qiming-ai-admin', 'speech-asr', 'MLU370-X8', 8),
    ];
    await expect
      .poll(async () => (await store.jobs.inStates(['running'])).length, { timeout: 30_000, interval: 250 })
      .toBe(4);
    ids.push(await submit('qiming-ai-admin', 'speech-tts', 'MLU370-X8', 8));
    await expect.poll(async () => (await store.jobs.inStates(['pending'])).length, { timeout: 10_000 }).toBe(1);

    const page = await login('office');
    await page.locator('h1', { hasText: '全省算力概览' }).waitFor();
    const figure = (label: string) => page.locator('.figures div', { hasText: label }).locator('dd').textContent();
    // 16 H100 + 8 H800 + 8 A100 + 8 MLU370 busy = 15.832 + 7.916 + 2.496 + 0.768 P.
    await expect.poll(() => figure('在用算力')).toBe('27.012 P');
    expect(await figure('排队作业')).toBe('1');
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'operator-overview');

    for (const id of ids) await store.jobs.requestCancel({ kind: 'all' }, id, new Date());
    await expect
      .poll(async () => (await store.jobs.inStates(['pending', 'admitted', 'dispatched', 'running'])).length, {
        timeout: 30_000,
      })
      .toBe(0);
  }, 90_000);
});
