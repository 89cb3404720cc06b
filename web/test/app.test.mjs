// The command-center page in a real browser (Debian's chromium driven by playwright-core)
// against the real `tessera serve` on a demo city:
// a township operator logs in and sees grids and events drawn, opens an event, dispatches it,
// and a second operator's page sees the change arrive over the live feed; an officer of another
// grid does not see the event at all.
//
// Environment: TESSERA_BINARY (default ../build/release/tessera), CHROMIUM (default
// /usr/bin/chromium), TESSERA_WEB_DIST (default ./dist).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { decodePng } from './png.mjs';

const here = resolve(import.meta.dirname, '..');
const binary = process.env.TESSERA_BINARY ?? join(here, '../build/release/tessera');
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dist = process.env.TESSERA_WEB_DIST ?? join(here, 'dist');
const password = 'tessera-demo';

let dir, server, base, browser;

async function startServer(db) {
  const child = spawn(binary, ['serve', '--db', db, '--port', '0', '--web', dist], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/[^/\s]+)\//);
      if (m) ok(m[1].replace('localhost', '127.0.0.1'));
    });
    child.on('exit', (code) => fail(new Error(`tessera serve exited with ${code}`)));
  });
  return { child, url };
}

before(async () => {
  assert.ok(existsSync(binary), `no tessera binary at ${binary}`);
  assert.ok(existsSync(browserPath), `no browser at ${browserPath} (apt-get install chromium)`);
  dir = mkdtempSync(join(tmpdir(), 'tessera-web-'));
  const db = join(dir, 'demo.db');
  // The smallest demo city (one grid per village: 1,296), a year of events, a day of patrols.
  execFileSync(binary, ['demo', '--db', db, '--grids', '1296', '--seed', '1', '--patrol-days', '1'], {
    stdio: 'inherit',
  });
  ({ child: server, url: base } = await startServer(db));
  browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The API from the test itself (Node's fetch).
async function call(method, path, bearer, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const r = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

const token = (page) => page.evaluate(() => sessionStorage.getItem('tessera.token'));

async function loggedInPage(username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  await page.goto(base + '/');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body.signed-in');
  await page.waitForSelector('#live.on');
  return page;
}

// Pixels of the map area in a screenshot: how many are drawn in each colour family.
async function mapPixels(page) {
  await page.waitForTimeout(1500); // tiles decoded and rendered
  const box = await page.locator('#map').boundingBox();
  const png = decodePng(await page.screenshot({ clip: box }));
  let grid = 0, event = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (g > r + 40 && g > b + 20 && g < 200) grid++; // the grids' green lines
    if ((r > 180 && g < 90 && b < 80) || (r > 200 && g > 140 && b < 60) || (b > 180 && r < 80 && g < 140)) event++;
  }
  return { grid, event, total: png.width * png.height };
}

test('an operator sees grids and events, dispatches one, and the live feed carries it', async () => {
  const operator = await loggedInPage('township');
  const watcher = await loggedInPage('township');
  const officer = await loggedInPage('officer');

  const pixels = await mapPixels(operator);
  assert.ok(pixels.grid > 500, `grid lines drawn: ${pixels.grid} green pixels`);
  assert.ok(pixels.event > 50, `events drawn: ${pixels.event} event-coloured pixels`);

  // A citizen reports something in the township, outside the officer's grid, next to an event
  // the operator already sees; it reaches the operator's page over the live feed.
  const officerGrids = await officer.evaluate(async () => {
    const me = await (await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${sessionStorage.getItem('tessera.token')}` } })).json();
    return me.jurisdiction?.grid_codes ?? [];
  });
  const rows = await operator.$$eval('#event-rows tr', (trs) => trs.map((tr) => ({ id: tr.dataset.id, grid: tr.children[3].textContent })));
  const near = rows.find((r) => !officerGrids.includes(r.grid));
  assert.ok(near, `an event outside the officer's grids ${officerGrids} among ${rows.length}`);
  const citizen = await call('POST', '/api/v1/login', null, { username: 'citizen', password });
  const nearEvent = await call('GET', `/api/v1/events/${near.id}`, await token(operator));
  const categories = await call('GET', '/api/v1/categories', citizen.token);
  // A "whistle" (complex) category waits for the command center to dispatch it.
  const category = categories.find((c) => c.handling === 'complex' && c.code !== nearEvent.properties.category);
  const [lon, lat] = nearEvent.geometry.coordinates;
  const reported = await call('POST', '/api/v1/events', citizen.token, {
    category: category.code,
    description: '浏览器测试：路口有问题',
    location: { type: 'Point', coordinates: [lon + 0.0002, lat] },
  });
  const id = String(reported.id ?? reported.event?.id);
  assert.equal(reported.properties.status, 'reported', 'a citizen report waits for dispatch');
  await operator.waitForSelector(`#event-rows tr[data-id="${id}"]`, { timeout: 10000 });
  const target = { id };

  await operator.click(`#event-rows tr[data-id="${target.id}"]`);
  await operator.waitForSelector('#event-panel button[data-action="dispatch"]');
  await operator.click('#event-panel button[data-action="dispatch"]');
  await operator.waitForFunction(() => document.querySelector('#event-status')?.textContent.includes('已派单'));

  // Around the event, the panel lists what the API finds: officers by their latest position
  // and the cameras that see it.
  const around = await call('GET', `/api/v1/events/${id}/nearby`, await token(operator));
  await operator.waitForSelector('#event-panel .nearby-nearby_officers');
  const listed = (key) => operator.$$eval(`#event-panel .nearby-${key} li:not(.muted)`, (lis) => lis.map((li) => li.textContent));
  assert.ok(around.officers.length > 0, 'a day of patrols puts some officer within 1 km');
  const officersListed = await listed('nearby_officers');
  assert.equal(officersListed.length, around.officers.length);
  around.officers.forEach((o, i) => assert.ok(officersListed[i].startsWith(o.name), `${officersListed[i]} is ${o.name}`));
  assert.equal((await listed('nearby_cameras')).length, around.cameras.length);

  // The overlays that need a login load their tiles with the operator's token.
  const tracksTile = operator.waitForResponse((r) => r.url().includes('/tiles/tracks/'));
  await operator.check('#overlay-list input[data-layer="tracks"]');
  assert.equal((await tracksTile).status(), 200, 'a tracks tile, authorised');

  // The second page did nothing: the change reached it through the live feed.
  await watcher.selectOption('#f-status', 'dispatched');
  await watcher.waitForSelector(`#event-rows tr[data-id="${target.id}"]`, { timeout: 10000 });

  // The officer of another grid never sees it, in the list or through the API.
  await officer.selectOption('#f-status', '');
  const officerIds = await officer.$$eval('#event-rows tr', (trs) => trs.map((tr) => tr.dataset.id));
  assert.ok(!officerIds.includes(target.id), 'the officer does not see the event');
  const status = await officer.evaluate(async (id) => {
    const r = await fetch(`/api/v1/events/${id}`, { headers: { Authorization: `Bearer ${sessionStorage.getItem('tessera.token')}` } });
    return r.status;
  }, target.id);
  assert.equal(status, 404);
});

test('the interface switches to English', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '/');
  assert.equal(await page.textContent('#login-form button'), '登录');
  await page.click('#lang');
  assert.equal(await page.textContent('#login-form button'), 'Log in');
  await page.fill('#username', 'township');
  await page.fill('#password', 'wrong password');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);
  assert.equal(await page.textContent('#login-error'), 'Wrong username or password');
  await context.close();
});
