/**
 * The API explorer in a real browser: the example app's `/api/docs` (Swagger UI from swagger-ui-dist,
 * served offline) opened in headless Chromium (the operating system's package, driven by
 * puppeteer-core). The page must list every operation of the document, run `listPosts` through its own
 * "Try it out" → "Execute", and render the API's answer. The screenshot docs/openapi.md shows is taken
 * here: `UPDATE_SCREENSHOT=1 npx ava test/explorer.test.ts` rewrites docs/images/explorer.png.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import test from 'ava';
import puppeteer, { type Browser } from 'puppeteer-core';
import { createApi, createApp } from '../example/api.js';
import { defineModels } from '../example/models.js';
import { seed } from '../example/seed.js';
import { useTestDatabase } from './fixtures/database.js';

const database = useTestDatabase(test, import.meta.url);
const screenshot = new URL('../docs/images/explorer.png', import.meta.url);
const latest = new URL('../.cache/explorer.png', import.meta.url);
let server: Server | undefined;
let browser: Browser | undefined;
test.after.always(async () => {
  await browser?.close();
  server?.close();
});

/** The system Chromium: CHROMIUM_PATH, else the first of the usual names on PATH. */
function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found && existsSync(found)) return found;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

test('the explorer lists the example API and runs a GET through "Try it out"', async (t) => {
  t.timeout(180_000);
  const executablePath = chromiumPath();
  // Never a skip: CI installs Chromium (.ci/run), and a machine without it fails loudly.
  if (!executablePath) return t.fail('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH.');

  const models = defineModels((await database.ready).connection);
  await Promise.all([models.User.init(), models.Post.init(), models.Media.init()]);
  await seed(models);
  const document = createApi(models, { apiKey: 'key' }).openapi();
  server = createApp(models, { apiKey: 'key' }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1000 });
  // Offline: any request leaving the app's own origin fails the test.
  const foreign: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url().startsWith(base) || request.url().startsWith('data:')) return void request.continue();
    foreign.push(request.url());
    void request.abort();
  });

  await page.goto(`${base}/api/docs`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.opblock', { timeout: 60_000 });
  t.is(await page.title(), 'API explorer');

  // Every operation of the document is on the page (Swagger UI ids: operations-<tag>-<operationId>).
  const shown = await page.$$eval('.opblock', (blocks) => blocks.map((block) => block.id));
  const expected = Object.values(document.paths).flatMap((item) =>
    Object.entries(item)
      .filter(([method]) => method !== 'parameters')
      .map(([, operation]) => `operations-${(operation as { tags: string[] }).tags[0]}-${(operation as { operationId: string }).operationId}`),
  );
  t.deepEqual([...shown].sort(), [...expected].sort());

  // listPosts: open it, "Try it out", fill the parameters, "Execute".
  const block = '#operations-Posts-listPosts';
  await page.click(`${block} .opblock-summary-control`);
  await page.waitForSelector(`${block} .try-out__btn`);
  await page.click(`${block} .try-out__btn`);
  await page.waitForSelector(`${block} tr[data-param-name="_limit"] input`);
  // The field shows the default (20): select it, then type over it.
  await page.click(`${block} tr[data-param-name="_limit"] input`, { count: 3 });
  await page.type(`${block} tr[data-param-name="_limit"] input`, '2');
  await page.select(`${block} tr[data-param-name="_fields"] select`, 'title', 'tags');
  await page.select(`${block} tr[data-param-name="_order_by"] select`, 'created');
  await page.click(`${block} .execute`);
  try {
    await page.waitForSelector(`${block} .live-responses-table tr.response .response-col_status`, { timeout: 60_000 });
  } catch (error) {
    await page.screenshot({ path: '/tmp/explorer-fail.png', fullPage: true });
    throw error;
  }

  const status = await page.$eval(`${block} .live-responses-table tr.response .response-col_status`, (cell) => cell.textContent?.trim());
  t.is(status, '200');
  const requestUrl = await page.$eval(`${block} .request-url pre`, (pre) => pre.textContent?.trim());
  t.is(requestUrl, `${base}/api/posts/?_skip=0&_limit=2&_fields=title,tags&_order_by=created`);
  const rendered = await page.$eval(`${block} .live-responses-table tr.response .response-col_description pre`, (pre) => pre.textContent ?? '');
  t.deepEqual(JSON.parse(rendered), {
    data: [
      { title: 'Notes on the Analytical Engine', tags: ['history', 'computing'] },
      { title: 'Draft: on computable numbers', tags: ['math'] },
    ],
    has_more: true,
  });
  t.deepEqual(foreign, [], 'the page loads nothing from elsewhere');

  // The screenshot docs/openapi.md shows: the page from the top to the rendered answer. What changes
  // from run to run (the port in URLs, the response headers with their date) is hidden, so the image
  // only changes when the page does.
  await page.addStyleTag({ content: '.request-url, .curl-command { display: none !important; }' });
  await page.$$eval(`${block} h5`, (headings) => {
    for (const heading of headings) if (heading.textContent?.trim() === 'Response headers') (heading.parentElement as unknown as { style: { display: string } }).style.display = 'none';
  });
  const answer = await page.$eval(`${block} .live-responses-table`, (table) => {
    const box = table.getBoundingClientRect();
    return box.bottom + (globalThis as unknown as { scrollY: number }).scrollY;
  });
  const image = await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 1200, height: Math.ceil(answer) + 16 }, captureBeyondViewport: true });
  // docs/images/explorer.png is rewritten only when asked (UPDATE_SCREENSHOT=1) or missing: pixels differ
  // slightly from run to run, and a test run must not leave the working tree changed. Every run keeps its
  // screenshot in the git-ignored .cache/ for a look.
  const target = process.env.UPDATE_SCREENSHOT === '1' || !existsSync(screenshot) ? screenshot : latest;
  await mkdir(new URL('.', target), { recursive: true });
  await writeFile(target, image);
  t.true(image.length > 10_000);
});
