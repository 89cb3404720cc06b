// The coverage audit page: did officers walk every grid in the window, what do the cameras see,
// what did the drones image. One request per run (GET /api/v1/coverage[/cameras|/drones] as
// GeoJSON) feeds the choropleth, the summary, the histogram, the table of grids that need
// attention and the per-grid and per-officer drill-downs; CSV and GeoJSON exports are the same
// request in another format.
import 'ol/ol.css';
import OlMap from 'ol/Map.js';
import View from 'ol/View.js';
import MVT from 'ol/format/MVT.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Fill, Stroke, Style } from 'ol/style.js';
import { fromLonLat } from 'ol/proj.js';
import { api, accessToken, login, logout, loggedIn, ApiError } from './api.js';
import { t, applyTexts, toggleLanguage } from './i18n.js';

const $ = (sel) => document.querySelector(sel);
const geojson = new GeoJSON({ featureProjection: 'EPSG:3857' });

// Five classes of covered share, red (none) to green (the full-patrol share and above).
const classes = [
  { below: 0.2, colour: '#d73027' },
  { below: 0.4, colour: '#fc8d59' },
  { below: 0.6, colour: '#fee08b' },
  { below: 0.8, colour: '#91cf60' },
  { below: Infinity, colour: '#1a9850' },
];
const classOf = (share) => classes.find((c) => share < c.below);

const state = { report: null, selected: null, fitted: false };

// ---- the map ----

const choropleth = new VectorSource();
const styles = new Map();
function gridStyle(feature) {
  const share = feature.get('coverage_share') ?? feature.get('covered_share') ?? 0;
  const stale = feature.get('stale') === true;
  const selected = feature.getId() === state.selected;
  const key = `${classOf(share).colour}${stale}${selected}`;
  if (!styles.has(key))
    styles.set(
      key,
      new Style({
        fill: new Fill({ color: `${classOf(share).colour}b3` }),
        stroke: new Stroke({
          color: selected ? '#000' : stale ? '#7f0000' : 'rgba(38, 50, 56, 0.5)',
          width: selected ? 3 : stale ? 1.6 : 0.6,
        }),
      }),
    );
  return styles.get(key);
}
const gridsLayer = new VectorLayer({ source: choropleth, style: gridStyle, zIndex: 2 });

// Townships for orientation, from our own tiles.
const townships = new VectorTileLayer({
  zIndex: 3,
  source: new VectorTileSource({ format: new MVT(), url: '/tiles/township/{z}/{x}/{y}.mvt', maxZoom: 16 }),
  style: new Style({ stroke: new Stroke({ color: '#263238', width: 1.5 }) }),
});

const map = new OlMap({
  target: 'map',
  layers: [gridsLayer, townships],
  view: new View({ center: fromLonLat([114.0, 33.58]), zoom: 10, maxZoom: 19 }),
});

map.on('singleclick', (e) => {
  const hit = map.forEachFeatureAtPixel(e.pixel, (f) => f, { layerFilter: (l) => l === gridsLayer });
  if (hit) selectGrid(hit.getId(), false);
});

// ---- the request ----

const endpoints = { patrols: '/api/v1/coverage', cameras: '/api/v1/coverage/cameras', drones: '/api/v1/coverage/drones' };

// Today in Beijing, as YYYY-MM-DD (the API reads a date alone as a Beijing day).
function beijingDay(offsetDays = 0) {
  const d = new Date(Date.now() + 8 * 3600e3 + offsetDays * 86400e3);
  return d.toISOString().slice(0, 10);
}

function setWindow(days) {
  $('#a-to').value = beijingDay();
  $('#a-from').value = beijingDay(-(days - 1));
}

function query(format, extra = {}) {
  const of = $('#a-of').value;
  const params = new URLSearchParams({ format, ...extra });
  if (of !== 'cameras') {
    params.set('from', $('#a-from').value);
    params.set('to', $('#a-to').value);
  }
  const area = $('#a-area').value.trim();
  if (area) params.set('area', area);
  return `${endpoints[of]}?${params}`;
}

async function run() {
  const of = $('#a-of').value;
  $('#busy').textContent = t('auditing');
  $('#a-run').disabled = true;
  const started = performance.now();
  try {
    const report = await api(query('geojson'));
    state.report = { of, ...report };
    state.selected = null;
    choropleth.clear();
    choropleth.addFeatures(geojson.readFeatures(report));
    if (!state.fitted && choropleth.getFeatures().length) {
      map.getView().fit(choropleth.getExtent(), { padding: [20, 20, 20, 20], maxZoom: 15 });
      state.fitted = true;
    }
    render();
    $('#busy').textContent = `${t('audited_in')} ${((performance.now() - started) / 1000).toFixed(1)} s`;
  } catch (err) {
    $('#busy').textContent = err.message;
  } finally {
    $('#a-run').disabled = false;
  }
}

// A download of the same audit as CSV or GeoJSON (the token goes in a header, so not a plain
// link).
async function download(format) {
  const res = await fetch(query(format), { headers: { Authorization: `Bearer ${accessToken()}` } });
  if (!res.ok) {
    $('#busy').textContent = `HTTP ${res.status}`;
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `${$('#a-of').value}-coverage.${format === 'csv' ? 'csv' : 'geojson'}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- rendering ----

const pct = (share) => (share == null ? '—' : `${Math.round(share * 100)}%`);
const km = (m) => `${(m / 1000).toFixed(1)} km`;
const day = (iso) => (iso ? new Date(new Date(iso).getTime() + 8 * 3600e3).toISOString().slice(0, 10) : '—');

function gridsOf() {
  return state.report.features.map((f) => f.properties);
}

function shareOf(p) {
  return p.coverage_share ?? p.covered_share ?? 0;
}

function render() {
  const r = state.report;
  const grids = gridsOf();
  const a = r.audit;
  const summary = $('#summary');
  if (r.of === 'patrols')
    summary.innerHTML = `<b>${a.grids}</b> ${t('grids')} · <b>${a.visited}</b> ${t('visited')} · <b>${a.stale}</b> ${t('stale')} · ${t('walked')} <b>${km(a.distance_m)}</b> · ${a.tracks} ${t('tracks')}`;
  else if (r.of === 'cameras')
    summary.innerHTML = `<b>${a.grids}</b> ${t('grids')} · ${t('in_view')} <b>${pct(a.covered_share)}</b> · <b>${a.cameras_online}</b> ${t('online')} / <b>${a.cameras_offline}</b> ${t('offline')} · <b>${a.households_unseen}</b> ${t('households_unseen')}`;
  else
    summary.innerHTML = `<b>${a.grids}</b> ${t('grids')} · <b>${a.flights}</b> ${t('flights')} · ${t('imaged')} <b>${pct(a.covered_share)}</b> · <b>${a.reinspected}</b> ${t('reinspected')}`;
  renderLegend();
  renderHistogram(grids.map(shareOf));
  renderTable(grids);
  $('#detail').replaceChildren();
  $('#officer').replaceChildren();
}

function renderLegend() {
  const el = $('#legend');
  el.replaceChildren();
  const bounds = ['0', '20', '40', '60', '80', '100%'];
  classes.forEach((c, i) => {
    const s = document.createElement('span');
    s.className = 'swatch';
    s.style.background = c.colour;
    s.title = `${bounds[i]}–${bounds[i + 1]}`;
    el.append(s);
  });
  el.append(` ${t('covered_share')} 0 → 100%`);
  if (state.report.of === 'patrols') el.append(` · ${t('stale_outline')}`);
}

// Grids per tenth of covered share, as bars.
function renderHistogram(shares) {
  const bins = new Array(10).fill(0);
  for (const s of shares) bins[Math.min(9, Math.floor(s * 10))] += 1;
  const max = Math.max(1, ...bins);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.classList.add('chart');
  svg.setAttribute('viewBox', '0 0 400 130');
  bins.forEach((n, i) => {
    const h = (n / max) * 95;
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', 10 + i * 38);
    rect.setAttribute('y', 105 - h);
    rect.setAttribute('width', 32);
    rect.setAttribute('height', Math.max(h, 0.5));
    rect.setAttribute('fill', classOf((i + 0.5) / 10).colour);
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${i * 10}–${i * 10 + 10}%: ${n}`;
    rect.append(title);
    const count = document.createElementNS(ns, 'text');
    count.setAttribute('x', 26 + i * 38);
    count.setAttribute('y', 101 - h);
    count.setAttribute('text-anchor', 'middle');
    count.textContent = n;
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', 26 + i * 38);
    label.setAttribute('y', 120);
    label.setAttribute('text-anchor', 'middle');
    label.textContent = `${i * 10}%`;
    svg.append(rect, count, label);
  });
  $('#histogram').replaceChildren(svg);
}

// The grids that need attention: stale ones (patrols), the least watched (cameras), the least
// imaged (drones); worst first.
const tables = {
  patrols: {
    title: 'stale_grids',
    rows: (grids) => grids.filter((g) => g.stale).sort((a, b) => a.coverage_share - b.coverage_share),
    columns: [
      ['grid', (g) => g.name || g.code],
      ['covered_share', (g) => pct(g.coverage_share), 'num'],
      ['last_visit', (g) => day(g.last_visit)],
      ['people', (g) => g.responsible.map((p) => p.name).join(' ')],
    ],
  },
  cameras: {
    title: 'least_watched',
    rows: (grids) => grids.filter((g) => g.covered_share < 0.8).sort((a, b) => b.households_unseen - a.households_unseen),
    columns: [
      ['grid', (g) => g.name || g.code],
      ['covered_share', (g) => pct(g.covered_share), 'num'],
      ['households_unseen', (g) => g.households_unseen, 'num'],
      ['offline', (g) => g.cameras_offline, 'num'],
    ],
  },
  drones: {
    title: 'least_imaged',
    rows: (grids) => grids.filter((g) => g.flights.length > 0).sort((a, b) => a.covered_share - b.covered_share),
    columns: [
      ['grid', (g) => g.name || g.code],
      ['covered_share', (g) => pct(g.covered_share), 'num'],
      ['flights', (g) => g.flights.join(' ')],
      ['last_flown', (g) => day(g.last_flown)],
    ],
  },
};

function renderTable(grids) {
  const spec = tables[state.report.of];
  $('#table-title').dataset.i18n = spec.title;
  $('#table-title').textContent = t(spec.title);
  const head = document.createElement('tr');
  for (const [key, , cls] of spec.columns) {
    const th = document.createElement('th');
    th.textContent = t(key);
    if (cls) th.className = cls;
    head.append(th);
  }
  $('#grid-head').replaceChildren(head);
  const rows = spec.rows(grids).slice(0, 500);
  $('#grid-rows').replaceChildren(
    ...rows.map((g) => {
      const tr = document.createElement('tr');
      tr.dataset.code = g.code;
      for (const [, value, cls] of spec.columns) {
        const td = document.createElement('td');
        td.textContent = value(g);
        if (cls) td.className = cls;
        tr.append(td);
      }
      tr.addEventListener('click', () => selectGrid(g.code, true));
      return tr;
    }),
  );
  $('#no-rows').hidden = rows.length > 0;
}

function selectGrid(code, zoom) {
  state.selected = code;
  gridsLayer.changed();
  for (const tr of document.querySelectorAll('#grid-rows tr')) tr.classList.toggle('selected', tr.dataset.code === code);
  const feature = choropleth.getFeatureById(code);
  if (!feature) return;
  if (zoom) map.getView().fit(feature.getGeometry().getExtent(), { padding: [60, 60, 60, 60], maxZoom: 16, duration: 300 });
  renderDetail(feature.getProperties());
}

function renderDetail(g) {
  const el = $('#detail');
  const rows = [];
  const add = (key, value) => rows.push([t(key), value]);
  if (state.report.of === 'patrols') {
    add('visited', g.visited ? `${t('yes')} (${g.visits})` : t('no'));
    add('walked', km(g.distance_m));
    add('covered_share', pct(g.coverage_share));
    add('households', g.households);
    add('last_visit', g.last_visit ? `${day(g.last_visit)} ${g.officer ? g.officer.name : ''}` : '—');
    add('stale', g.stale ? `${t('yes')} (${g.stale_days} ${t('days')})` : t('no'));
  } else if (state.report.of === 'cameras') {
    add('covered_share', pct(g.covered_share));
    add('blind_spot_m2', `${Math.round(g.blind_spot_m2)} m² (${g.blind_spots})`);
    add('online', `${g.cameras_online} / ${t('offline')} ${g.cameras_offline}`);
    add('households_unseen', `${g.households_unseen} / ${g.households}`);
  } else {
    add('covered_share', pct(g.covered_share));
    add('flights', g.flights.join(' ') || '—');
    add('last_flown', day(g.last_flown));
  }
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  const h = document.createElement('h2');
  h.textContent = `${g.name} (${g.code})`;
  el.replaceChildren(h, dl);
  if (g.responsible?.length) {
    const p = document.createElement('p');
    p.append(`${t('people')}: `);
    for (const person of g.responsible) {
      const b = document.createElement('button');
      b.className = 'person';
      b.type = 'button';
      b.textContent = `${person.name} ${t(person.role)}`;
      b.addEventListener('click', () => drillDown(person.code));
      p.append(b, ' ');
    }
    el.append(p);
  }
}

// Per officer: the grids they answer for and their status in the window.
async function drillDown(code) {
  const el = $('#officer');
  el.textContent = t('auditing');
  try {
    const r = await api(query('json', { officer: code }));
    const o = r.officer;
    const h = document.createElement('h2');
    h.textContent = `${o.name} · ${t(o.role)} · ${o.phone || ''}`;
    const table = document.createElement('table');
    table.id = 'officer-grids';
    for (const g of r.grids) {
      const tr = document.createElement('tr');
      tr.dataset.code = g.code;
      for (const v of [g.name || g.code, g.visited ? t('visited') : t('not_visited'), pct(g.coverage_share), g.stale ? t('stale') : '✓']) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      tr.addEventListener('click', () => selectGrid(g.code, true));
      table.append(tr);
    }
    el.replaceChildren(h, table);
  } catch (err) {
    el.textContent = err.message;
  }
}

// ---- login ----

async function enter(user) {
  document.body.classList.remove('anonymous');
  $('#user').textContent = `${user.display_name} (${user.username})`;
  await run();
}

async function start() {
  applyTexts();
  setWindow(30);
  $('#lang').addEventListener('click', () => {
    toggleLanguage();
    if (state.report) render();
  });
  $('#a-30').addEventListener('click', () => setWindow(30));
  $('#a-45').addEventListener('click', () => setWindow(45));
  $('#a-run').addEventListener('click', run);
  $('#a-of').addEventListener('change', () => {
    for (const id of ['#a-from', '#a-to']) $(id).disabled = $('#a-of').value === 'cameras';
    run();
  });
  $('#a-csv').addEventListener('click', (e) => {
    e.preventDefault();
    download('csv');
  });
  $('#a-geojson').addEventListener('click', (e) => {
    e.preventDefault();
    download('geojson');
  });
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('#login-error').textContent = '';
    try {
      await enter(await login($('#username').value, $('#password').value));
    } catch (err) {
      $('#login-error').textContent = err instanceof ApiError && err.status === 401 ? t('login_failed') : err.message;
    }
  });
  $('#logout').addEventListener('click', async () => {
    await logout();
    location.reload();
  });
  if (loggedIn()) {
    try {
      await enter(await api('/api/v1/me'));
    } catch {
      /* the token went stale: log in again */
    }
  }
}

// For the browser tests.
window.tesseraAudit = { map, choropleth };

start();
