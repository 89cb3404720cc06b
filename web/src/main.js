// The command-center page: login, the grid map (our vector tiles), live events (WebSocket),
// filters, the event list and panel with the actions the user may take, and the KPI panel.
import 'ol/ol.css';
import OlMap from 'ol/Map.js';
import View from 'ol/View.js';
import MVT from 'ol/format/MVT.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import Cluster from 'ol/source/Cluster.js';
import TileLayer from 'ol/layer/Tile.js';
import XYZ from 'ol/source/XYZ.js';
import { Circle, Fill, Stroke, Style, Text } from 'ol/style.js';
import { fromLonLat, transformExtent } from 'ol/proj.js';
import { api, accessToken, login, logout, loggedIn, ApiError } from './api.js';
import { t, applyTexts, toggleLanguage } from './i18n.js';
import { setupEditor } from './editor.js';

const $ = (sel) => document.querySelector(sel);
const geojson = new GeoJSON({ featureProjection: 'EPSG:3857' });

const severityColour = { red: '#d62d20', yellow: '#e6a700', blue: '#1e6fd9' };
const statusOrder = ['reported', 'dispatched', 'accepted', 'in_progress', 'resolved', 'rejected'];

// ---- state ----

const state = {
  user: null,
  events: new Map(), // id -> event GeoJSON feature (as the API sends it)
  categories: [],
  selected: null, // event id
  socket: null,
};

// ---- the map ----

const boundaryStyles = {
  county: new Style({ stroke: new Stroke({ color: '#37474f', width: 2.5 }) }),
  township: new Style({ stroke: new Stroke({ color: '#546e7a', width: 1.8 }) }),
  community: new Style({ stroke: new Stroke({ color: '#78909c', width: 1.2, lineDash: [6, 4] }) }),
  grid: new Style({
    stroke: new Stroke({ color: '#2e7d32', width: 1 }),
    fill: new Fill({ color: 'rgba(46, 125, 50, 0.06)' }),
  }),
  micro_grid: new Style({ stroke: new Stroke({ color: 'rgba(46, 125, 50, 0.5)', width: 0.6 }) }),
  exclusive_grid: new Style({
    stroke: new Stroke({ color: '#ef6c00', width: 1.5 }),
    fill: new Fill({ color: 'rgba(239, 108, 0, 0.08)' }),
  }),
};

function boundaryLayer(layer) {
  const base = boundaryStyles[layer.kind] ?? boundaryStyles.grid;
  const label = new Style({
    text: new Text({
      font: '12px "Noto Sans CJK SC", sans-serif',
      fill: new Fill({ color: '#1b5e20' }),
      stroke: new Stroke({ color: '#fff', width: 3 }),
      overflow: false,
    }),
  });
  const minZoomForLabels = { county: 7, township: 10, community: 12, grid: 14 }[layer.kind] ?? 16;
  return new VectorTileLayer({
    properties: { name: layer.name, kind: layer.kind },
    declutter: true,
    source: new VectorTileSource({
      format: new MVT(),
      url: `/tiles/${encodeURIComponent(layer.name)}/{z}/{x}/{y}.mvt`,
      maxZoom: 16,
    }),
    style: (feature, resolution) => {
      const zoom = map.getView().getZoomForResolution(resolution);
      if (zoom < minZoomForLabels) return base;
      label.getText().setText(feature.get('name'));
      return [base, label];
    },
  });
}

// The layers that need a login (cameras' view cones, patrol tracks, drone flights): the tiles
// are fetched with the bearer token and each caller gets what their jurisdiction allows.
function loadTileWithToken(tile, url) {
  tile.setLoader(async (extent, resolution, projection) => {
    const token = accessToken();
    if (!token) {
      tile.onError();
      return;
    }
    try {
      const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const data = await res.arrayBuffer();
      const format = tile.getFormat();
      tile.setFeatures(format.readFeatures(data, { extent, featureProjection: projection }));
    } catch {
      tile.onError(); // not cached as empty: the tile is asked for again later
    }
  });
}

const dronePath = new Style({ stroke: new Stroke({ color: 'rgba(255, 87, 34, 0.85)', width: 2, lineDash: [8, 5] }) });
const droneFootprint = new Style({ fill: new Fill({ color: 'rgba(255, 87, 34, 0.12)' }) });
const coverageColours = ['#d73027', '#fc8d59', '#fee08b', '#91cf60', '#1a9850'];
const coverageStyles = new Map();
function coverageStyle(share, stale) {
  const colour = coverageColours[Math.min(4, Math.floor(share * 5))];
  const key = colour + stale;
  if (!coverageStyles.has(key))
    coverageStyles.set(key, new Style({
      fill: new Fill({ color: `${colour}99` }),
      stroke: new Stroke({ color: stale ? '#7f0000' : 'rgba(38, 50, 56, 0.4)', width: stale ? 1.5 : 0.5 }),
    }));
  return coverageStyles.get(key);
}

const overlayStyles = {
  cameras: (f) =>
    new Style({
      stroke: new Stroke({ color: f.get('online') ? 'rgba(123, 31, 162, 0.8)' : 'rgba(120, 120, 120, 0.8)', width: 1 }),
      fill: new Fill({ color: f.get('online') ? 'rgba(123, 31, 162, 0.15)' : 'rgba(120, 120, 120, 0.12)' }),
    }),
  tracks: new Style({ stroke: new Stroke({ color: 'rgba(0, 137, 123, 0.7)', width: 1.5 }) }),
  drones: (f) => (f.get('layer') === 'drone_footprints' ? droneFootprint : dronePath),
  // The grids by their patrol coverage of the last 30 days: red (little) to green (covered),
  // stale ones outlined in dark red; the audit page (audit.html) picks any window.
  coverage: (f) => coverageStyle(f.get('coverage_share') ?? 0, f.get('stale') === true),
};

// The overlays, with the zoom each starts at (a county's cameras or a week of tracks at once
// would only cover the map).
const overlays = [
  { name: 'cameras', minZoom: 14 },
  { name: 'tracks', minZoom: 13 },
  { name: 'drones', minZoom: 10 },
  { name: 'coverage', minZoom: 9 },
].map(({ name, minZoom }) => {
  const style = overlayStyles[name];
  const layer = new VectorTileLayer({
    properties: { name },
    minZoom,
    visible: false,
    zIndex: 5,
    source: new VectorTileSource({
      format: new MVT(),
      url: `/tiles/${name}/{z}/{x}/{y}.mvt`,
      maxZoom: 16,
      tileLoadFunction: loadTileWithToken,
    }),
    style: typeof style === 'function' ? style : () => style,
  });
  return layer;
});

function addLayerToggle(list, layer, labelKey, suffix = '') {
  const item = document.createElement('label');
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = layer.getVisible();
  box.dataset.layer = layer.get('name');
  box.addEventListener('change', () => layer.setVisible(box.checked));
  const name = document.createElement('span');
  name.dataset.i18n = labelKey;
  item.append(box, name, suffix);
  list.append(item);
}

const eventSource = new VectorSource();
const clusterSource = new Cluster({ source: eventSource, distance: 36, minDistance: 12 });
const styleCache = {};

function eventStyle(feature) {
  const members = feature.get('features');
  if (members.length > 1) {
    // A cluster: its worst severity, with the count.
    const worst = members.some((f) => f.get('severity') === 'red')
      ? 'red'
      : members.some((f) => f.get('severity') === 'yellow')
        ? 'yellow'
        : 'blue';
    const key = `c${worst}${members.length}`;
    styleCache[key] ??= new Style({
      image: new Circle({
        radius: 11 + Math.min(12, Math.log2(members.length) * 2),
        fill: new Fill({ color: severityColour[worst] }),
        stroke: new Stroke({ color: '#fff', width: 2 }),
      }),
      text: new Text({ text: String(members.length), fill: new Fill({ color: '#fff' }), font: 'bold 12px sans-serif' }),
    });
    return styleCache[key];
  }
  const f = members[0];
  const selected = f.getId() === state.selected;
  const overdue = f.get('overdue');
  const key = `e${f.get('severity')}${f.get('status')}${overdue}${selected}`;
  styleCache[key] ??= new Style({
    image: new Circle({
      radius: selected ? 10 : 7,
      fill: new Fill({ color: f.get('status') === 'reported' ? '#fff' : severityColour[f.get('severity')] }),
      stroke: new Stroke({
        color: selected ? '#000' : severityColour[f.get('severity')],
        width: selected ? 3 : f.get('status') === 'reported' ? 3 : 1.5,
        lineDash: overdue ? [3, 2] : undefined,
      }),
    }),
  });
  return styleCache[key];
}

const eventsLayer = new VectorLayer({ source: clusterSource, style: eventStyle, zIndex: 10 });

// Who and what is around the selected event: officers (by their latest position) and the
// cameras that see it.
const nearbySource = new VectorSource();
const nearbyStyles = {
  officer: new Style({
    image: new Circle({ radius: 6, fill: new Fill({ color: '#00897b' }), stroke: new Stroke({ color: '#fff', width: 2 }) }),
  }),
  camera: new Style({
    image: new Circle({ radius: 5, fill: new Fill({ color: '#7b1fa2' }), stroke: new Stroke({ color: '#fff', width: 2 }) }),
  }),
};
const nearbyLayer = new VectorLayer({
  source: nearbySource,
  zIndex: 9,
  style: (f) => {
    const label = new Text({
      text: f.get('label'),
      offsetY: -14,
      font: '12px "Noto Sans CJK SC", sans-serif',
      fill: new Fill({ color: '#263238' }),
      stroke: new Stroke({ color: '#fff', width: 3 }),
    });
    return [nearbyStyles[f.get('kind')], new Style({ text: label })];
  },
});

const map = new OlMap({
  target: 'map',
  layers: [],
  view: new View({ center: fromLonLat([114.0, 33.58]), zoom: 10, maxZoom: 19 }),
});

// Clusters at low zoom only: from zoom 15 every event stands alone.
map.getView().on('change:resolution', () => {
  clusterSource.setDistance(map.getView().getZoom() >= 15 ? 0 : 36);
});

map.on('singleclick', (e) => {
  const hit = map.forEachFeatureAtPixel(e.pixel, (f) => f, { layerFilter: (l) => l === eventsLayer });
  if (!hit) return;
  const members = hit.get('features');
  if (members.length === 1) selectEvent(members[0].getId());
  else map.getView().animate({ center: e.coordinate, zoom: map.getView().getZoom() + 2 });
});

async function loadLayers() {
  const layers = await api('/api/v1/layers');
  const config = await fetch('config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  if (config.base_tiles) map.addLayer(new TileLayer({ source: new XYZ({ url: config.base_tiles }) }));
  const order = ['county', 'township', 'community', 'grid', 'exclusive_grid', 'micro_grid'];
  const shown = layers.filter((l) => order.includes(l.kind)).sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  const list = $('#layer-list');
  list.replaceChildren();
  for (const l of shown) {
    const layer = boundaryLayer(l);
    layer.setVisible(l.kind !== 'micro_grid');
    map.addLayer(layer);
    addLayerToggle(list, layer, l.kind, ` (${l.feature_count})`);
  }
  applyTexts(list);
  const scoped = $('#overlay-list');
  scoped.replaceChildren();
  for (const layer of overlays) {
    map.addLayer(layer);
    addLayerToggle(scoped, layer, `layer_${layer.get('name')}`);
  }
  applyTexts(scoped);
  map.addLayer(nearbyLayer);
  map.addLayer(eventsLayer);
  const county = layers.find((l) => l.kind === 'county' && l.extent);
  if (county) {
    const [minx, miny, maxx, maxy] = county.extent;
    map.getView().fit(transformExtent([minx, miny, maxx, maxy], 'EPSG:4326', 'EPSG:3857'), { padding: [20, 20, 20, 20] });
  }
}

// ---- events ----

async function loadEvents() {
  state.events.clear();
  for (let offset = 0; offset < 5000; offset += 1000) {
    const page = await api(`/api/v1/events?open=true&limit=1000&offset=${offset}`);
    for (const f of page.features) state.events.set(f.id, f);
    if (page.features.length < 1000) break;
  }
  renderEvents();
}

function filters() {
  return {
    status: $('#f-status').value,
    severity: $('#f-severity').value,
    category: $('#f-category').value,
    time: Number($('#f-time').value),
    overdue: $('#f-overdue').checked,
  };
}

function passes(e, f) {
  const p = e.properties;
  if (f.status && p.status !== f.status) return false;
  if (f.severity && p.severity !== f.severity) return false;
  if (f.category && p.category !== f.category) return false;
  if (f.overdue && !p.overdue) return false;
  if (f.time && Date.parse(p.reported_at) < Date.now() - f.time * 3600_000) return false;
  return true;
}

function isOpen(e) {
  return !['resolved', 'closed'].includes(e.properties.status);
}

function renderEvents() {
  const f = filters();
  const shown = [...state.events.values()].filter((e) => isOpen(e) && passes(e, f));
  shown.sort((a, b) => b.properties.reported_at.localeCompare(a.properties.reported_at));
  eventSource.clear(true);
  eventSource.addFeatures(shown.map((e) => geojson.readFeature(e)));

  const body = $('#event-rows');
  body.replaceChildren();
  for (const e of shown.slice(0, 300)) {
    const p = e.properties;
    const row = document.createElement('tr');
    row.dataset.id = e.id;
    row.className = `sev-${p.severity}${e.id === state.selected ? ' selected' : ''}`;
    const cells = [
      `#${e.id}`,
      p.category_name ?? p.category,
      t(p.status),
      p.grid_code || '—',
      p.reported_at.slice(5, 16).replace('T', ' '),
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      row.append(td);
    }
    if (p.overdue) row.classList.add('overdue');
    row.addEventListener('click', () => selectEvent(e.id, true));
    body.append(row);
  }
  $('#event-count').textContent = `${t('shown')} ${Math.min(shown.length, 300)} / ${shown.length}`;
  $('#no-events').hidden = shown.length > 0;
}

async function selectEvent(id, zoomTo = false) {
  state.selected = id;
  renderEvents();
  const panel = $('#event-panel');
  let e;
  try {
    e = await api(`/api/v1/events/${id}`);
  } catch (err) {
    panel.textContent = err.message;
    return;
  }
  state.events.set(e.id, e);
  if (zoomTo) map.getView().animate({ center: fromLonLat(e.geometry.coordinates), zoom: Math.max(map.getView().getZoom(), 15) });
  renderPanel(e);
}

function renderPanel(e) {
  const p = e.properties;
  const panel = $('#event-panel');
  panel.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = `#${e.id} ${p.category_name ?? p.category}`;
  const badge = document.createElement('span');
  badge.className = `badge sev-${p.severity}`;
  badge.textContent = `${t(p.severity)} · ${t(p.status)}`;
  badge.id = 'event-status';
  h.append(' ', badge);
  panel.append(h);

  const facts = document.createElement('dl');
  const add = (k, v) => {
    if (v === null || v === undefined || v === '') return;
    const dt = document.createElement('dt');
    dt.textContent = t(k);
    const dd = document.createElement('dd');
    dd.textContent = v;
    facts.append(dt, dd);
  };
  add('description', p.description);
  add('address', p.address);
  add('source', p.source);
  add('level', t(p.level));
  add('reported_at', p.reported_at.replace('T', ' ').slice(0, 16));
  add('deadline', p.deadline_at.replace('T', ' ').slice(0, 16) + (p.overdue ? ` (${t('overdue')})` : ''));
  add('grid', p.grid_code);
  panel.append(facts);

  const actions = document.createElement('div');
  actions.className = 'actions';
  for (const a of p.allowed_actions ?? []) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.action = a;
    b.textContent = t(`action_${a}`);
    b.addEventListener('click', () => act(e.id, a));
    actions.append(b);
  }
  panel.append(actions);

  const owners = document.createElement('div');
  owners.className = 'owners';
  panel.append(owners);
  showOwners(e, owners);

  const nearby = document.createElement('div');
  nearby.className = 'nearby';
  panel.append(nearby);
  showNearby(e, nearby);

  const tl = document.createElement('ol');
  tl.className = 'timeline';
  for (const entry of p.timeline ?? []) {
    const li = document.createElement('li');
    li.textContent = `${entry.at.replace('T', ' ').slice(5, 16)} ${entry.actor} ${t(`action_${entry.action}`)} → ${t(entry.to)}${entry.note ? `：${entry.note}` : ''}`;
    tl.append(li);
  }
  const th = document.createElement('h4');
  th.textContent = t('timeline');
  panel.append(th, tl);
}

// The grid's owner chain: who is responsible where the event sits.
async function showOwners(e, el) {
  try {
    const [lon, lat] = e.geometry.coordinates;
    const a = await api(`/api/v1/locate?lon=${lon}&lat=${lat}`);
    const chain = (a.owners ?? []).map((o) => `${t(o.level)} ${o.name}${o.phone ? ' ' + o.phone : ''}`);
    el.textContent = chain.length ? `${t('owners')}：${chain.join('；')}` : '';
  } catch {
    el.textContent = '';
  }
}

// How long ago, in the words a dispatcher reads at a glance.
function ago(iso) {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60_000));
  if (minutes < 60) return `${minutes} ${t('minutes_ago')}`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} ${t('hours_ago')}`;
  return `${Math.round(minutes / 1440)} ${t('days_ago')}`;
}

async function showNearby(e, el) {
  let around;
  try {
    around = await api(`/api/v1/events/${e.id}/nearby`);
  } catch {
    el.replaceChildren();
    return;
  }
  if (state.selected !== e.id) return; // another event was picked meanwhile
  const section = (key, items, line) => {
    const h = document.createElement('h4');
    h.textContent = `${t(key)} (${items.length})`;
    const ul = document.createElement('ul');
    ul.className = `nearby-${key}`;
    for (const item of items) {
      const li = document.createElement('li');
      li.textContent = line(item);
      ul.append(li);
    }
    if (!items.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = t(`no_${key}`);
      ul.append(li);
    }
    return [h, ul];
  };
  const metres = (d) => `${Math.round(d)} m`;
  el.replaceChildren(
    ...section('nearby_officers', around.officers, (o) =>
      `${o.name}（${t(o.role)}）${metres(o.distance_m)} · ${ago(o.at)}${o.phone ? ' · ' + o.phone : ''}`),
    ...section('nearby_cameras', around.cameras, (c) =>
      `${c.name} ${c.code} · ${metres(c.distance_m)} · ${t(c.online ? 'online' : 'offline')}`),
  );
  const point = (kind, label, coordinates) =>
    geojson.readFeature({ type: 'Feature', geometry: { type: 'Point', coordinates }, properties: { kind, label } });
  nearbySource.clear(); // only now: a panel drawn twice meanwhile must not mark twice
  nearbySource.addFeatures([
    ...around.officers.map((o) => point('officer', o.name, o.position)),
    ...around.cameras.map((c) => point('camera', c.name, c.position)),
  ]);
}

async function act(id, action) {
  const body = { action };
  if (['resolve', 'reject', 'escalate', 'reopen'].includes(action)) {
    const note = prompt(t('note_prompt'));
    if (note === null) return;
    body.note = note;
  }
  if (action === 'transfer') {
    const target = prompt(t('target_prompt'));
    if (!target) return;
    body.target = target;
  }
  if (action === 'rate') body.satisfied = confirm('满意？ / Satisfied?');
  try {
    const e = await api(`/api/v1/events/${id}/actions`, { method: 'POST', body });
    state.events.set(e.id, e);
    renderEvents();
    if (state.selected === e.id) renderPanel(e);
  } catch (err) {
    alert(err instanceof ApiError ? err.message : String(err));
  }
}

// ---- live feed ----

function connectLive() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/live?access_token=${encodeURIComponent(accessToken())}`);
  state.socket = ws;
  ws.onopen = () => setLive(true);
  ws.onclose = () => {
    setLive(false);
    if (state.socket === ws && loggedIn()) setTimeout(connectLive, 3000);
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'layer') {
      reloadBoundaries(msg.layer); // someone committed a redraw
      return;
    }
    if (msg.type !== 'event') return;
    const e = msg.event;
    const known = state.events.get(e.id);
    // Keep the timeline we already loaded; the feed carries the event, not its history.
    if (known?.properties.timeline) e.properties.timeline = [...known.properties.timeline, msg.entry];
    state.events.set(e.id, e);
    renderEvents();
    if (state.selected === e.id) renderPanel(e);
  };
}

function setLive(on) {
  const el = $('#live');
  el.dataset.i18n = on ? 'live_on' : 'live_off';
  el.className = on ? 'live on' : 'live off';
  el.textContent = t(el.dataset.i18n);
}

// ---- KPIs ----

async function loadKpis() {
  const el = $('#kpi-chart');
  let k;
  try {
    const by = $('#kpi-by').value;
    k = await api(`/api/v1/kpis${by ? `?by=${by}` : ''}`);
  } catch {
    el.replaceChildren();
    return;
  }
  const units = k.units.slice(0, 12);
  const max = Math.max(1, ...units.map((u) => u.reported));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const rowH = 22;
  svg.setAttribute('viewBox', `0 0 320 ${units.length * rowH + 10}`);
  units.forEach((u, i) => {
    const y = i * rowH + 4;
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', 0);
    label.setAttribute('y', y + 13);
    label.textContent = (u.name || u.code).slice(0, 8);
    const bar = (w, colour, title) => {
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('x', 110);
      r.setAttribute('y', y);
      r.setAttribute('height', 16);
      r.setAttribute('width', Math.max(1, (w / max) * 170));
      r.setAttribute('fill', colour);
      const tt = document.createElementNS(ns, 'title');
      tt.textContent = title;
      r.append(tt);
      return r;
    };
    const value = document.createElementNS(ns, 'text');
    value.setAttribute('x', 284);
    value.setAttribute('y', y + 13);
    value.textContent = u.on_time_rate == null ? '' : `${Math.round(u.on_time_rate * 100)}%`;
    svg.append(label, bar(u.reported, '#90a4ae', `${t('total_reported')} ${u.reported}`), bar(u.closed, '#2e7d32', `${t('total_closed')} ${u.closed}`), value);
  });
  const total = k.total;
  $('#kpi-total').textContent = `${t('total_reported')} ${total.reported} · ${t('total_closed')} ${total.closed} · ${t('on_time_rate')} ${total.on_time_rate == null ? '—' : Math.round(total.on_time_rate * 100) + '%'}`;
  el.replaceChildren(svg);
}

// ---- filters ----

function fillSelect(el, values, label) {
  const keep = el.value;
  el.replaceChildren();
  const all = document.createElement('option');
  all.value = '';
  all.textContent = t('all');
  el.append(all);
  for (const v of values) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = label(v);
    el.append(o);
  }
  el.value = keep;
}

function fillFilters() {
  fillSelect($('#f-status'), statusOrder, t);
  fillSelect($('#f-severity'), ['red', 'yellow', 'blue'], t);
  fillSelect($('#f-category'), state.categories.map((c) => c.code), (code) => {
    const c = state.categories.find((x) => x.code === code);
    return document.documentElement.lang === 'en' ? c.name_en : c.name;
  });
  const time = $('#f-time');
  const keep = time.value;
  time.replaceChildren();
  for (const [v, k] of [['0', 'all'], ['24', 'last_day'], ['168', 'last_week'], ['720', 'last_month']]) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = t(k);
    time.append(o);
  }
  time.value = keep || '0';
}

// ---- login ----

async function start() {
  applyTexts();
  $('#lang').addEventListener('click', () => {
    toggleLanguage();
    fillFilters();
    renderEvents();
    loadKpis();
  });
  for (const id of ['#f-status', '#f-severity', '#f-category', '#f-time', '#f-overdue'])
    $(id).addEventListener('change', renderEvents);
  $('#kpi-by').addEventListener('change', loadKpis);
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('#login-error').textContent = '';
    try {
      state.user = await login($('#username').value, $('#password').value);
      await enter();
    } catch (err) {
      $('#login-error').textContent = err instanceof ApiError && err.status === 401 ? t('login_failed') : err.message;
    }
  });
  $('#logout').addEventListener('click', async () => {
    state.socket?.close();
    state.socket = null;
    await logout();
    location.reload();
  });
  await loadLayers();
  if (loggedIn()) {
    try {
      state.user = await api('/api/v1/me');
      await enter();
      return;
    } catch {
      /* the token went stale: log in again */
    }
  }
  document.body.classList.add('anonymous');
}

async function enter() {
  document.body.classList.remove('anonymous');
  document.body.classList.add('signed-in');
  $('#user').textContent = `${state.user.display_name} (${state.user.username})`;
  state.categories = await api('/api/v1/categories');
  fillFilters();
  await loadEvents();
  connectLive();
  loadKpis();
  setupEditor({ map, user: state.user, onCommitted: () => reloadBoundaries() });
}

// Boundary tiles are dropped by the server on a commit; the map asks for them again (one layer,
// or all).
function reloadBoundaries(name) {
  for (const layer of map.getLayers().getArray())
    if (layer instanceof VectorTileLayer && layer.get('kind') && (!name || layer.get('name') === name)) {
      layer.getSource().clear();
      layer.getSource().refresh();
    }
}

// For the browser tests: the map, and lon/lat to map coordinates.
window.tessera = { map, fromLonLat, geojson };

start();
