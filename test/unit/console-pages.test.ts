/**
 * The console's pages drawn in a real headless Chromium from fixtures (no Workers, no database):
 * the daily net sales chart has one point per day of the window (731 days as well as 30), each
 * with data-date; the failing day is marked; the tables read key, legacy, new, difference,
 * verdict with signed percents and the shop's currency; the gate timeline tells standard from ad
 * hoc and counted from ignored; the syncs tree nests a sync's children and shows a load's bytes;
 * empty pages explain themselves; everything works with JavaScript off; the palette's contrast
 * meets WCAG AA. Screenshots: test-results/console/fixture-*.png.
 *
 * The same pages served by the real Workers against real databases: test/unit/parity-console.test.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  moneyFormat,
  signedDifference,
  signedPercent,
  tolerancePercent,
} from '../../workers/dashboard-api/src/routes/console/components/format.ts';
import {
  CONTRAST_PAIRS,
  contrastRatio,
  PALETTE,
} from '../../workers/dashboard-api/src/routes/console/components/palette.ts';
import { launchChromium, screenshotFolder } from '../support/chromium.ts';
import {
  consoleProps,
  emptyConsoleProps,
  renderConsole,
  renderSyncs,
  syncsProps,
} from '../support/console-fixtures.ts';

const MAX_PAGE_BYTES = 200 * 1024;
const SIGNED_PERCENT = /^([+\u2212]\d+\.\d{2}%|0\.00%|—)$/;

let browser: Browser;
let folder: string;
const sizes: Record<string, number> = {};

beforeAll(async () => {
  browser = await launchChromium();
  folder = await screenshotFolder('console');
});

afterAll(async () => {
  await browser?.close();
  if (folder) await writeFile(join(folder, 'fixture-page-sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
});

async function open(name: string, html: string, options: { javaScript?: boolean } = {}): Promise<Page> {
  sizes[name] = Buffer.byteLength(html);
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScript ?? true,
    viewport: { width: 1240, height: 900 },
  });
  const page = await context.newPage();
  await page.setContent(html, { waitUntil: 'load' });
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(folder, `fixture-${name}.png`), fullPage: true });
}

/** What a person sees of an element (rendered text, cells apart). */
async function visibleText(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).join('\n');
}

async function headers(page: Page, table: string): Promise<string[]> {
  return (await page.locator(`${table} thead th`).allTextContents()).map((t) => t.trim());
}

describe('the cutover console', () => {
  it('draws a 731-day window: one point per day with data-date, the inflated day marked, under 200 KB', async () => {
    const html = renderConsole(consoleProps({ windowDays: 731, inflated: true }));
    const page = await open('console-731-days', html);
    const dates = await page
      .locator('#net-sales-chart svg [data-date]')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-date')));
    expect(dates).toHaveLength(731);
    expect(dates[0]).toBe('2024-12-05');
    expect(dates.at(-1)).toBe('2026-12-05');
    expect(new Set(dates).size).toBe(731);
    for (const d of dates) expect(d).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(
      await page.locator('[data-date][data-beyond]').evaluateAll((n) => n.map((x) => x.getAttribute('data-date'))),
    ).toEqual(['2026-11-20']);
    const caption = await visibleText(page.locator('#net-sales-caption'));
    expect(caption).toContain('(731 days)');
    expect(caption).toContain('1 of 731 days beyond the ±1.00% tolerance');
    expect(caption).toContain('+23.08% on 2026-11-20');
    expect(Buffer.byteLength(html)).toBeLessThan(MAX_PAGE_BYTES);
    // The day table is paged: 731 days in pages of 31.
    expect(await page.locator('[data-table="days"] .pager').textContent()).toContain('page 1 of 24');
    expect(await page.locator('[data-table="days"] tbody tr').count()).toBe(31);
    await shoot(page, 'console-731-days');
    await page.locator('#net-sales-chart').screenshot({ path: join(folder, 'fixture-net-sales-731-days.png') });
    await page.context().close();
  });

  it('shows a failing 30-day run: the marked day, readable tables, money in the shop currency, products by title', async () => {
    const page = await open('console-failing-run', renderConsole(consoleProps({ windowDays: 30, inflated: true })));
    expect(await page.locator('#net-sales-chart svg [data-date]').count()).toBe(30);
    expect(await page.locator('#net-sales-chart .mark').count()).toBe(1);
    expect(await page.locator('[data-date="2026-11-20"] title').textContent()).toMatch(
      /^2026-11-20: legacy €[\d,.]+, new €[\d,.]+, \+23\.08% beyond the tolerance$/,
    );
    expect(await page.locator('[data-table="days-beyond"] tbody tr').count()).toBe(1);
    // Every day is there too, folded behind the days beyond the tolerance.
    expect(await page.locator('details[data-table="days"]').getAttribute('open')).toBeNull();
    expect(await page.locator('details[data-table="days"] tbody tr').count()).toBe(30);
    for (const table of ['#check-summary', '[data-table="days-beyond"] table', '[data-table="products"] table']) {
      expect(await headers(page, table)).toEqual(['key', 'legacy', 'new', 'difference', 'verdict']);
    }
    const differences = await page.locator('table.detail tbody td:nth-child(4)').allTextContents();
    expect(differences.length).toBeGreaterThan(30);
    for (const d of differences) expect(d).toMatch(SIGNED_PERCENT);
    // The summary row of daily_net_sales pairs the worst day's values with that day's difference.
    const daily = page.locator('#check-summary tbody tr', { hasText: 'daily_net_sales' });
    expect(await visibleText(daily)).toMatch(
      /worst day, 2026-11-20\s+daily_net_sales\s+€[\d,.]+\s+€[\d,.]+\s+\+23\.08%\s+fail/,
    );
    // Products by title, linked to their ids; a missing row says so.
    const keys = page.locator('.check[data-check="dataset_row_count"] tbody th');
    expect(await keys.first().locator('a').getAttribute('href')).toBe('/api/products/8000000001');
    expect(await keys.first().textContent()).toContain('Wool throw, charcoal');
    expect(await visibleText(page.locator('[data-table="products"] tbody tr').first())).toMatch(
      /Linen apron, sand\s+#8000000003.*€41\.50\s+€0\.00\s+\u2212100\.00%\s+not in the new top 100/s,
    );
    // Failing checks are open, passing ones folded.
    expect(
      await page.locator('section.failing-check').evaluateAll((n) => n.map((x) => x.getAttribute('data-check'))),
    ).toEqual(['daily_net_sales', 'top_products']);
    expect(await page.locator('details.check').count()).toBe(3);
    await shoot(page, 'console-failing-run');
    await page.locator('#net-sales-chart').screenshot({ path: join(folder, 'fixture-net-sales-30-days.png') });
    await page.context().close();
  });

  it('draws the gate timeline: standard and ad hoc apart, the counted run ringed, ignored runs with their reason', async () => {
    const page = await open('console-timeline', renderConsole(consoleProps({ windowDays: 30, inflated: true })));
    const runs = page.locator('#gate-timeline [data-timeline-run]');
    expect(await runs.count()).toBe(5);
    expect(await page.locator('#gate-timeline [data-standard="false"]').count()).toBe(2);
    expect(await page.locator('#gate-timeline [data-counted="true"]').count()).toBe(1);
    expect(await page.locator('#gate-timeline .counted').count()).toBe(1);
    expect(await page.locator('#gate-timeline .bracket').count()).toBe(1);
    expect(
      await page.locator('#gate-timeline title', { hasText: 'ignored by the gate: ad hoc: a 7-day window' }).count(),
    ).toBe(1);
    expect(await visibleText(page.locator('#gate-timeline-caption'))).toContain(
      '1 counted run spanning 0 h; it needs 3 passing runs spanning at least 24 h',
    );
    await page.locator('#gate-timeline').screenshot({ path: join(folder, 'fixture-gate-timeline.png') });
    await page.context().close();
  });

  it('works with JavaScript off: every day is its own tab stop and names its values; with it on, arrows move', async () => {
    const html = renderConsole(consoleProps({ windowDays: 30, inflated: true }));
    const off = await open('console-no-js', html, { javaScript: false });
    expect(await off.locator('[data-date][tabindex="0"]').count()).toBe(30);
    expect(await off.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await off.context().close();

    const on = await open('console-js', html);
    expect(await on.locator('[data-date][tabindex="0"]').count()).toBe(1);
    await on.locator('[data-date="2026-11-06"]').focus();
    for (let i = 0; i < 14; i++) await on.keyboard.press('ArrowRight');
    expect(await on.locator(':focus').getAttribute('data-date')).toBe('2026-11-20');
    expect(await visibleText(on.locator('#net-sales-readout'))).toContain('2026-11-20: legacy €');
    await on.context().close();
  });

  it('explains an empty database instead of drawing empty charts', async () => {
    const page = await open('console-empty', renderConsole(emptyConsoleProps()));
    expect(await page.locator('svg').count()).toBe(0);
    expect(await visibleText(page.locator('#timeline .empty'))).toContain('No finished parity run yet');
    expect(await visibleText(page.locator('#runs .empty'))).toContain('No parity run yet');
    expect(await visibleText(page.locator('#trigger'))).toContain('Starting a run needs the staff role.');
    await shoot(page, 'console-empty');
    await page.context().close();
  });
});

describe('the syncs page', () => {
  it('nests a sync and its children, with phases, rows, elapsed time, a load’s bytes read and a failure’s cause', async () => {
    const page = await open('syncs', renderSyncs(syncsProps()));
    const load = page.locator('ul.tree > li > ul > li > ul > li > .execution[data-kind="load"]');
    expect(await load.count()).toBe(1);
    expect(
      await page.locator('ul.tree > li > .execution').evaluateAll((n) => n.map((x) => x.getAttribute('data-kind'))),
    ).toEqual(['full', 'orders', 'parity_check']);
    expect(await load.locator('[role="progressbar"]').getAttribute('aria-valuenow')).toBe('60');
    expect(await visibleText(load)).toContain('12.0 MiB of 20.0 MiB read (60%)');
    expect(await visibleText(load)).toContain('phase: reading segment 3 of 5');
    expect(await visibleText(load)).toContain('rows so far: 23,950');
    expect(await visibleText(page.locator('[data-status="failed"] [data-cause]'))).toContain('ACCESS_DENIED');
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('5');
    expect(await page.locator('form[action="/console/sync-runs"] select option').count()).toBe(4);
    await shoot(page, 'syncs');
    await page.context().close();
  });

  it('explains an empty database, and stops refreshing when nothing runs', async () => {
    const page = await open('syncs-empty', renderSyncs(syncsProps({ empty: true })));
    expect(await visibleText(page.locator('#executions .empty'))).toContain('No sync has run yet');
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await shoot(page, 'syncs-empty');
    await page.context().close();
  });
});

describe('the numbers', () => {
  it('writes every difference as a signed percent with two decimals, new against legacy', () => {
    expect(signedPercent(signedDifference(100, 130))).toBe('+23.08%');
    expect(signedPercent(signedDifference(130, 100))).toBe('\u221223.08%');
    expect(signedPercent(signedDifference(0, 0))).toBe('0.00%');
    expect(signedPercent(signedDifference(1_000_000, 1_000_001))).toBe('0.00%');
    expect(signedPercent(signedDifference(null, 5))).toBe('+100.00%');
    expect(signedPercent(signedDifference(-50, -65))).toBe('\u221223.08%');
    expect(signedPercent(null)).toBe('—');
    expect(tolerancePercent(0.01)).toBe('±1.00%');
  });

  it('writes money in the shop currency, and a currency code it does not know as a plain amount', () => {
    expect(moneyFormat('USD')(1234.5)).toBe('$1,234.50');
    expect(moneyFormat('EUR')(-3)).toBe('\u2212€3.00');
    expect(moneyFormat('JPY')(1234)).toBe('¥1,234');
    expect(moneyFormat('XYZ1')(12)).toBe('12.00');
  });
});

describe('the palette', () => {
  it.each(CONTRAST_PAIRS)('%s on %s is at least %s:1 (%s)', (fg, bg, minimum) => {
    expect(contrastRatio(PALETTE[fg], PALETTE[bg])).toBeGreaterThanOrEqual(minimum);
  });
});
