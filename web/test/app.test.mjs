// The command-center page in a real browser (Debian's chromium driven by playwright-core)
// against the real `tessera serve` on a demo city:
// a township operator logs in and sees grids and events drawn, opens an event, dispatches it,
// and a second operator's page sees the change arrive over the live feed; an officer of another
// grid does not see the event at all. The operator then splits a grid in the boundary editor and
// sees the new grid on the map and in locate, and hands a grid over to other officers and draws a
// new grid inside it. On the audit page a county operator audits a month of patrols (choropleth,
// stale grids, an officer's grids), switches to cameras, and exports CSV.
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
  // The smallest demo city (one grid per village: 1,296), a year of events, a month of patrols.
  execFileSync(binary, ['demo', '--db', db, '--grids', '1296', '--seed', '1'], {
    stdio: 'inherit',
  });
  ({ child: server, url: base } = await startServer(db));
  browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dir) if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
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

// A point inside a polygon (GeoJSON coordinates, lon/lat): along the middle latitude of its box,
// the middle of the first stretch inside (even-odd across its rings).
function inside(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const rings = polys.flat();
  const lats = rings.flat().map((p) => p[1]);
  const y = (Math.min(...lats) + Math.max(...lats)) / 2 + 1e-7;
  const xs = [];
  for (const ring of rings)
    for (let i = 0; i + 1 < ring.length; i++) {
      const [a, b] = [ring[i], ring[i + 1]];
      if ((a[1] > y) !== (b[1] > y)) xs.push(a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]));
    }
  xs.sort((p, q) => p - q);
  return { point: [(xs[0] + xs[1]) / 2, y], west: xs[0], east: xs[xs.length - 1], y };
}

const pixelOf = (page, lonlat) =>
  page.evaluate(([lon, lat]) => {
    const { map, fromLonLat } = window.tessera;
    const [x, y] = map.getPixelFromCoordinate(fromLonLat([lon, lat]));
    const box = map.getTargetElement().getBoundingClientRect();
    return [box.left + x, box.top + y];
  }, lonlat);

// Zooms the map to a grid (a GeoJSON Feature) and starts a draft in the editor.
async function startDraftAround(page, grid, title) {
  await page.evaluate((g) => {
    const { map, geojson } = window.tessera;
    map.getView().fit(geojson.readFeature(g).getGeometry().getExtent(), { padding: [80, 80, 80, 80] });
  }, grid);
  await page.waitForTimeout(800);
  await page.fill('#draft-title', title);
  await page.click('#draft-start');
  await page.waitForSelector('#editor.editing');
  await page.waitForTimeout(500);
}

test('an operator splits a grid in the editor and the map and locate follow', async () => {
  const operator = await loggedInPage('township');
  const bearer = await token(operator);
  await operator.waitForSelector('#editor:not([hidden])');
  // A grid in the operator's township: the grid of an event they see.
  const code = await operator.$eval('#event-rows tr', (tr) => tr.children[3].textContent);
  const history = await call('GET', `/api/v1/layers/grid/features/${code}/history`, bearer);
  const grid = history.features.at(-1);
  const across = inside(grid.geometry);

  // Zoom to the grid, start a draft, select the grid, draw a line across it.
  await startDraftAround(operator, grid, '浏览器测试：拆分网格');
  const [sx, sy] = await pixelOf(operator, across.point);
  await operator.mouse.click(sx, sy);
  await operator.click('#editor-tools button[data-tool="split"]');
  const margin = (across.east - across.west) * 0.05;
  const [ax, ay] = await pixelOf(operator, [across.west - margin, across.y]);
  const [bx, by] = await pixelOf(operator, [across.east + margin, across.y]);
  await operator.mouse.click(ax, ay);
  await operator.mouse.dblclick(bx, by);
  await operator
    .waitForFunction((c) => document.querySelector('#editor-message').textContent.includes(`${c}-2`), code, { timeout: 10000 })
    .catch(async () => assert.fail(`the split did not land: ${await operator.textContent('#editor-message')}`));
  // The impact panel lists the grid and its new piece; no validation errors.
  await operator.waitForSelector(`#editor-impact tr[data-code="${code}-2"]`);
  assert.match(await operator.textContent('#editor-findings'), /(错误|Errors): 0/);

  await operator.fill('#commit-reason', '新建小区，网格超过500户');
  await operator.click('#draft-commit');
  await operator.waitForFunction(() => /已提交|Committed/.test(document.querySelector('#editor-message').textContent), null, { timeout: 10000 });

  // locate answers with the new grid inside its piece, and the map draws it there.
  const piece = (await call('GET', `/api/v1/layers/grid/features/${code}-2/history`, bearer)).features.at(-1);
  const where = inside(piece.geometry).point;
  const located = await call('GET', `/api/v1/locate?lon=${where[0]}&lat=${where[1]}`, bearer);
  assert.equal(located.grid.code, `${code}-2`);
  const [px, py] = await pixelOf(operator, where);
  await operator.waitForFunction(([x, y, expected]) => {
    const { map } = window.tessera;
    const box = map.getTargetElement().getBoundingClientRect();
    const codes = map.getFeaturesAtPixel([x - box.left, y - box.top], { layerFilter: (l) => l.get('kind') === 'grid' })
      .map((f) => f.get('code'));
    return codes.includes(expected);
  }, [px, py, `${code}-2`], { timeout: 10000, polling: 250 });
  // The history lists the new version.
  await operator.waitForSelector('#history li');
});

test('an operator hands a grid over and draws a new grid in it', async () => {
  const operator = await loggedInPage('township');
  const bearer = await token(operator);
  await operator.waitForSelector('#editor:not([hidden])');
  const code = await operator.$eval('#event-rows tr:last-child', (tr) => tr.children[3].textContent);
  const grid = (await call('GET', `/api/v1/layers/grid/features/${code}/history`, bearer)).features.at(-1);
  const people = (await call('GET', `/api/v1/layers/grid/features/${code}/people`, bearer)).people;
  assert.ok(people.length >= 1, `${code} has someone responsible`);
  const handedTo = people.slice(1).map((p) => p.code); // the first one leaves (maybe no one is left)

  await startDraftAround(operator, grid, '浏览器测试：交接网格并新建网格');
  const middle = inside(grid.geometry);
  const [sx, sy] = await pixelOf(operator, middle.point);
  await operator.mouse.click(sx, sy);
  // The owners of the selected grid, by name; hand it to the others.
  await operator.waitForSelector('#owners:not([hidden])');
  await operator.waitForFunction((name) => document.querySelector('#owners-names').textContent.includes(name), people[0].name);
  await operator.fill('#owners-codes', handedTo.join(', '));
  await operator.click('#owners-set');
  await operator.waitForFunction(() => /设置负责人|Owners set/.test(document.querySelector('#editor-message').textContent));
  await operator.waitForFunction(
    ([c, name]) => document.querySelector(`#editor-impact tr[data-code="${c}"]`)?.textContent.includes(`${name}`),
    [code, people[0].name],
  );

  // A small new grid drawn in its middle, a fifth of its width across.
  await operator.click('#editor-tools button[data-tool="create"]');
  await operator.fill('#new-code', `${code}-N1`);
  await operator.fill('#new-name', '新小区网格');
  const r = (middle.east - middle.west) / 10;
  const [cx, cy] = middle.point;
  const corners = [[cx - r, cy - r / 2], [cx + r, cy - r / 2], [cx + r, cy + r / 2], [cx - r, cy + r / 2]];
  for (const [i, c] of corners.entries()) {
    const [x, y] = await pixelOf(operator, c);
    if (i === corners.length - 1) await operator.mouse.dblclick(x, y);
    else await operator.mouse.click(x, y);
  }
  await operator
    .waitForFunction((c) => document.querySelector('#editor-message').textContent.includes(c), `${code}-N1`, { timeout: 10000 })
    .catch(async () => assert.fail(`the new grid did not land: ${await operator.textContent('#editor-message')}`));
  // No one is responsible for the new grid yet: a warning, not an error.
  await operator.waitForFunction((c) => document.querySelector('#editor-findings').textContent.includes(c), `${code}-N1`);
  assert.match(await operator.textContent('#editor-findings'), /(错误|Errors): 0/);

  await operator.fill('#commit-reason', '网格员调岗，新小区单独成格');
  await operator.click('#draft-commit');
  await operator.waitForFunction(() => /已提交|Committed/.test(document.querySelector('#editor-message').textContent), null, { timeout: 10000 });
  const located = await call('GET', `/api/v1/locate?lon=${cx}&lat=${cy}`, bearer);
  assert.equal(located.grid.code, `${code}-N1`);
  const after = (await call('GET', `/api/v1/layers/grid/features/${code}/people`, bearer)).people;
  assert.deepEqual(after.map((p) => p.code).sort(), handedTo.slice().sort());
  const elsewhere = await call('GET', `/api/v1/locate?lon=${middle.west + r / 4}&lat=${middle.y}`, bearer);
  assert.equal(elsewhere.grid.code, code);
  assert.ok(!elsewhere.owners.some((o) => o.name === people[0].name && o.phone === people[0].phone && o.level === 'grid'), 'the first one has left the grid');
});

test('the audit page shows a month of patrols, drills down to an officer, and exports', async () => {
  const page = await loggedInPage('county');
  await page.goto(base + '/audit.html');
  await page.waitForFunction(() => window.tesseraAudit?.choropleth.getFeatures().length > 0, null, { timeout: 30000 });
  // The same audit from the API: the page draws every grid the operator may see.
  const bearer = await token(page);
  const from = await page.inputValue('#a-from');
  const to = await page.inputValue('#a-to');
  const audit = await call('GET', `/api/v1/coverage?from=${from}&to=${to}`, bearer);
  const drawn = await page.evaluate(() => window.tesseraAudit.choropleth.getFeatures().length);
  assert.equal(drawn, audit.grids.length);
  assert.ok(audit.audit.stale > 0 && audit.audit.stale < audit.grids.length,
    `a believable month: some grids stale, not all (${audit.audit.stale} of ${audit.grids.length})`);
  assert.match(await page.textContent('#summary'), new RegExp(`${audit.grids.length}\\D.*${audit.audit.stale}`));

  // The choropleth: grids in red (little covered) and green (covered) are both on the map.
  await page.waitForTimeout(1500);
  const box = await page.locator('#map').boundingBox();
  const png = decodePng(await page.screenshot({ clip: box }));
  let red = 0, green = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (r > 190 && r - g > 80 && r - b > 80) red++; // the two lowest classes, red and orange
    if (g > 130 && r < 120 && b < 120) green++;
  }
  await page.screenshot({ path: join(dir, 'audit.png') });
  assert.ok(red > 100 && green > 1000, `choropleth drawn: ${red} red and ${green} green pixels`);
  assert.equal(await page.locator('#histogram rect').count(), 10);

  // The stale grids, worst first; one of them, then its officer's grids.
  const rows = await page.locator('#grid-rows tr').count();
  assert.equal(rows, Math.min(500, audit.audit.stale));
  await page.click('#grid-rows tr:first-child');
  await page.waitForSelector('#detail h2');
  const code = await page.getAttribute('#grid-rows tr:first-child', 'data-code');
  assert.ok((await page.textContent('#detail h2')).includes(code));
  const person = page.locator('#detail button.person').first();
  if (await person.count()) {
    await person.click();
    await page.waitForSelector('#officer-grids tr');
    assert.ok(await page.locator(`#officer-grids tr[data-code="${code}"]`).count() === 1,
      'the officer answers for the grid they were picked from');
  }

  // Export: the same audit as CSV, one line per grid.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#a-csv')]);
  const chunks = [];
  for await (const c of await download.createReadStream()) chunks.push(c);
  const csv = Buffer.concat(chunks).toString('utf8');
  assert.ok(csv.startsWith('\uFEFFcode,name,type,visited'), csv.slice(0, 60));
  assert.equal(csv.trim().split('\n').length, audit.grids.length + 1);

  // Cameras: the same grids, by the share in view.
  await page.selectOption('#a-of', 'cameras');
  await page.waitForFunction(() => document.querySelector('#table-title').dataset.i18n === 'least_watched');
  await page.waitForFunction(() => /在线/.test(document.querySelector('#summary').textContent));
  await page.context().close();
});
