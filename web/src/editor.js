// The boundary editor (docs/redrawing.md): a draft changeset of the grid layer, edited on the map
// (drag a vertex, shared corners move for every grid that has them; split a grid along a drawn
// line; redraw a grid's shape or the boundary between two; draw a new grid; merge adjacent grids
// or remove one into a neighbour; set who is responsible), with the draft's validation findings
// drawn on the map, its impact on the ground, commit with a reason, and the layer's history with
// each version's changes.
// For admins and command operators; the server checks their jurisdiction on every operation.
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import Draw from 'ol/interaction/Draw.js';
import Modify from 'ol/interaction/Modify.js';
import Select from 'ol/interaction/Select.js';
import Snap from 'ol/interaction/Snap.js';
import { click, shiftKeyOnly } from 'ol/events/condition.js';
import { Fill, Stroke, Style, Text } from 'ol/style.js';
import { transformExtent, toLonLat } from 'ol/proj.js';
import { api, ApiError } from './api.js';
import { t, applyTexts } from './i18n.js';

const $ = (sel) => document.querySelector(sel);
const geojson = new GeoJSON({ featureProjection: 'EPSG:3857' });
const layerName = 'grid';
const minEditZoom = 13;

const gridStyle = (f) =>
  new Style({
    stroke: new Stroke({ color: '#0b6bcb', width: 1.5 }),
    fill: new Fill({ color: 'rgba(11, 107, 203, 0.05)' }),
    text: new Text({ text: f.get('code'), font: '11px sans-serif', fill: new Fill({ color: '#0b3d91' }) }),
  });
const findingStyle = new Style({
  stroke: new Stroke({ color: '#d62d20', width: 2 }),
  fill: new Fill({ color: 'rgba(214, 45, 32, 0.35)' }),
});
const diffStyle = new Style({
  stroke: new Stroke({ color: '#ef6c00', width: 2 }),
  fill: new Fill({ color: 'rgba(239, 108, 0, 0.35)' }),
});

export function setupEditor({ map, user, onCommitted }) {
  if (!['admin', 'command_operator'].includes(user.role)) return null;
  const panel = $('#editor');
  panel.hidden = false;

  const source = new VectorSource();
  const findings = new VectorSource();
  const diff = new VectorSource();
  const layers = [
    new VectorLayer({ source, style: gridStyle, properties: { name: 'editor' } }),
    new VectorLayer({ source: findings, style: findingStyle }),
    new VectorLayer({ source: diff, style: diffStyle }),
  ];
  layers.forEach((l) => map.addLayer(l));

  const select = new Select({ layers: [layers[0]], condition: click, toggleCondition: shiftKeyOnly });
  const modify = new Modify({ source });
  const drawLine = new Draw({ source: new VectorSource(), type: 'LineString' });
  const drawShape = new Draw({ source: new VectorSource(), type: 'Polygon' });
  const snap = new Snap({ source });
  const drawing = { split: drawLine, boundary: drawLine, reshape: drawShape, create: drawShape };
  const editor = { draft: null, tool: 'select' };

  const message = (text, error = false) => {
    const el = $('#editor-message');
    el.textContent = text;
    el.classList.toggle('error', error);
  };
  const explain = (err) => (err instanceof ApiError ? err.body?.message ?? err.message : err.message);

  function setTool(tool) {
    editor.tool = tool;
    for (const i of [select, modify, drawLine, drawShape, snap]) map.removeInteraction(i);
    $('#new-feature').hidden = tool !== 'create';
    if (!editor.draft) return;
    if (tool === 'select') map.addInteraction(select);
    if (tool === 'modify') map.addInteraction(modify);
    if (drawing[tool]) map.addInteraction(drawing[tool]); // on the grids chosen with the select tool
    map.addInteraction(snap); // after the others, as OpenLayers asks
    $('#editor-hint').textContent = t(`hint_${tool}`);
    for (const b of document.querySelectorAll('#editor-tools button')) b.classList.toggle('on', b.dataset.tool === tool);
  }

  // The grids in view, as the layer has them now, with the draft's changes over them.
  async function loadGrids() {
    const extent = transformExtent(map.getView().calculateExtent(map.getSize()), 'EPSG:3857', 'EPSG:4326');
    const page = await api(`/api/v1/layers/${layerName}/features?bbox=${extent.map((v) => v.toFixed(6)).join(',')}&limit=5000`);
    source.clear();
    source.addFeatures(geojson.readFeatures(page));
    if (editor.draft) {
      const draft = await api(`/api/v1/layers/${layerName}/changesets/${editor.draft}`);
      apply(draft.features);
    }
  }

  // Puts the features an operation changed on the map (removed ones go).
  function apply(collection) {
    for (const f of collection.features) {
      const old = source.getFeatureById(f.id);
      if (old) source.removeFeature(old);
      if (!f.properties.removed) source.addFeature(geojson.readFeature(f));
    }
  }

  async function operate(body) {
    try {
      const out = await api(`/api/v1/layers/${layerName}/changesets/${editor.draft}/operations`, { method: 'POST', body });
      apply(out.features);
      message(`${t('op_' + body.op)}: ${out.operation.codes.join(', ')}`);
      await review();
      return true;
    } catch (err) {
      message(explain(err), true);
      await loadGrids(); // back to what the draft has
      return false;
    }
  }

  // The draft's validation findings on the map and its impact in the panel.
  async function review() {
    const base = `/api/v1/layers/${layerName}/changesets/${editor.draft}`;
    const [report, impact] = await Promise.all([api(`${base}/validate`, { method: 'POST' }), api(`${base}/impact`)]);
    findings.clear();
    findings.addFeatures(geojson.readFeatures(report.findings).filter((f) => f.getGeometry()));
    const list = $('#editor-findings');
    list.replaceChildren();
    const summary = document.createElement('p');
    summary.className = report.errors ? 'error' : 'muted';
    summary.textContent = `${t('errors')}: ${report.errors} · ${t('warnings')}: ${report.warnings}`;
    list.append(summary);
    for (const f of report.findings.features.slice(0, 20)) {
      const li = document.createElement('li');
      li.textContent = f.properties.message;
      list.append(li);
    }
    const table = document.createElement('table');
    table.innerHTML = `<tr><th>${t('grid')}</th><th>${t('households')}</th><th>${t('open_events')}</th><th>${t('people')}</th></tr>`;
    const names = (people) => people.map((p) => p.name).join('、') || t('nobody');
    for (const g of impact.grids) {
      const row = table.insertRow();
      row.dataset.code = g.code;
      const owners = names(g.people) === names(g.people_after) ? names(g.people_after)
        : `${names(g.people)} → ${names(g.people_after)}`;
      for (const text of [`${g.code} (${t('change_' + g.change)})`, `${g.before.households} → ${g.after.households}`,
        `${g.before.open_events} → ${g.after.open_events}`, owners])
        row.insertCell().textContent = text;
    }
    const moved = document.createElement('p');
    moved.className = 'muted';
    moved.textContent = `${t('moved')}: ${impact.moved.buildings} ${t('buildings')}, ${impact.moved.households} ${t('households')}, ` +
      `${impact.moved.open_events} ${t('open_events')}, ${impact.moved.cameras} ${t('cameras')}`;
    $('#editor-impact').replaceChildren(table, moved);
  }

  async function start() {
    if (map.getView().getZoom() < minEditZoom) {
      message(t('zoom_in_to_edit'), true);
      return;
    }
    const title = $('#draft-title').value.trim() || t('redraw');
    try {
      const draft = await api(`/api/v1/layers/${layerName}/changesets`, { method: 'POST', body: { title } });
      editor.draft = draft.id;
      panel.classList.add('editing');
      await loadGrids();
      setTool('select');
      message(`${t('draft')} ${draft.id}`);
    } catch (err) {
      message(explain(err), true);
    }
  }

  function stop() {
    editor.draft = null;
    setTool('select');
    source.clear();
    findings.clear();
    select.getFeatures().clear();
    $('#owners').hidden = true;
    panel.classList.remove('editing');
    $('#editor-findings').replaceChildren();
    $('#editor-impact').replaceChildren();
  }

  async function commit() {
    const reason = $('#commit-reason').value.trim();
    if (!reason) {
      message(t('reason_needed'), true);
      return;
    }
    try {
      const out = await api(`/api/v1/layers/${layerName}/changesets/${editor.draft}/commit`, { method: 'POST', body: { reason } });
      stop();
      message(`${t('committed')} ${out.changeset.version} · ${t('moved_events')} ${out.moved_events.length}`);
      onCommitted();
      loadHistory();
    } catch (err) {
      if (err instanceof ApiError && err.body?.report) {
        findings.clear();
        findings.addFeatures(geojson.readFeatures(err.body.report.findings));
      }
      message(explain(err), true);
    }
  }

  async function discard() {
    try {
      await api(`/api/v1/layers/${layerName}/changesets/${editor.draft}/discard`, { method: 'POST' });
    } finally {
      stop();
      message(t('discarded'));
    }
  }

  // The committed versions; a click shows what that version changed.
  async function loadHistory() {
    const out = await api(`/api/v1/layers/${layerName}/changesets`);
    const list = $('#history');
    list.replaceChildren();
    for (const c of out.changesets.slice().reverse().slice(0, 10)) {
      const li = document.createElement('li');
      li.dataset.version = c.version;
      li.textContent = `v${c.version} · ${c.author} · ${c.reason}`;
      li.addEventListener('click', async () => {
        const changes = await api(`/api/v1/layers/${layerName}/diff?to=${c.version}`);
        diff.clear();
        diff.addFeatures(geojson.readFeatures(changes).filter((f) => f.getGeometry()));
        const extent = diff.getExtent();
        if (diff.getFeatures().length) map.getView().fit(extent, { padding: [40, 40, 40, 40], maxZoom: 16 });
        message(`v${c.version}: ${changes.features.length} ${t('grids_changed')}`);
      });
      list.append(li);
    }
  }

  // A dragged vertex: the one whose position changed, from where to where (lon, lat).
  let before = null;
  modify.on('modifystart', (e) => {
    before = new Map(e.features.getArray().map((f) => [f.getId(), f.getGeometry().clone()]));
  });
  modify.on('modifyend', async (e) => {
    const f = e.features.item(0);
    const old = before?.get(f.getId());
    if (!old) return;
    const a = old.getCoordinates().flat(3), b = f.getGeometry().getCoordinates().flat(3);
    let from = null, to = null;
    for (let i = 0; i + 1 < Math.min(a.length, b.length); i += 2)
      if (a[i] !== b[i] || a[i + 1] !== b[i + 1]) {
        from = toLonLat([a[i], a[i + 1]]);
        to = toLonLat([b[i], b[i + 1]]);
        break;
      }
    if (from) await operate({ op: 'move_vertex', from, to });
  });
  // A drawn line or shape, as the tool in hand uses it.
  const drawn = (e) => {
    const g = e.feature.getGeometry().clone().transform('EPSG:3857', 'EPSG:4326');
    return { type: g.getType(), coordinates: g.getCoordinates() };
  };
  const selected = () => select.getFeatures().getArray().map((f) => f.getId());
  drawLine.on('drawend', async (e) => {
    const codes = selected();
    if (editor.tool === 'boundary') {
      if (codes.length !== 2) return message(t('hint_boundary'), true);
      await operate({ op: 'move_boundary', codes, line: drawn(e) });
    } else {
      if (!codes.length) return message(t('select_first'), true);
      await operate({ op: 'split', code: codes[0], line: drawn(e) });
    }
    select.getFeatures().clear();
  });
  drawShape.on('drawend', async (e) => {
    if (editor.tool === 'create') {
      const code = $('#new-code').value.trim(), name = $('#new-name').value.trim();
      if (!code || !name) return message(t('code_needed'), true);
      if (await operate({ op: 'create', code, name, geometry: drawn(e) })) $('#new-code').value = $('#new-name').value = '';
      return;
    }
    const codes = selected();
    if (!codes.length) return message(t('hint_reshape'), true);
    await operate({ op: 'reshape', code: codes[0], geometry: drawn(e) });
    select.getFeatures().clear();
  });

  // Who is responsible for the one grid selected: as the draft has it, or as it is now.
  select.on('select', async () => {
    const codes = selected();
    $('#owners').hidden = codes.length !== 1;
    if (codes.length !== 1) return;
    const code = codes[0];
    $('#owners-grid').textContent = code;
    const draft = await api(`/api/v1/layers/${layerName}/changesets/${editor.draft}`);
    const planned = draft.owners.find((o) => o.code === code);
    if (planned) {
      $('#owners-codes').value = planned.people.join(', ');
      $('#owners-names').textContent = '';
      return;
    }
    try {
      const now = await api(`/api/v1/layers/${layerName}/features/${encodeURIComponent(code)}/people`);
      $('#owners-codes').value = now.people.map((p) => p.code).join(', ');
      $('#owners-names').textContent = now.people.map((p) => `${p.name}（${t(p.role)}）`).join('、') || t('nobody');
    } catch (err) {
      $('#owners-codes').value = '';
      // A grid of this draft only has no one yet; another's area is not ours to see.
      $('#owners-names').textContent = err instanceof ApiError && err.status === 404 ? t('nobody') : explain(err);
    }
  });
  $('#owners-set').addEventListener('click', async () => {
    const code = $('#owners-grid').textContent;
    const people = $('#owners-codes').value.split(/[,，、\s]+/).filter(Boolean);
    if (await operate({ op: 'set_owners', code, people })) $('#owners-names').textContent = '';
  });

  $('#draft-start').addEventListener('click', start);
  $('#draft-commit').addEventListener('click', commit);
  $('#draft-discard').addEventListener('click', discard);
  $('#merge').addEventListener('click', () => {
    const codes = select.getFeatures().getArray().map((f) => f.getId());
    if (codes.length < 2) {
      message(t('select_two'), true);
      return;
    }
    operate({ op: 'merge', codes }).then(() => select.getFeatures().clear());
  });
  $('#remove').addEventListener('click', () => {
    const codes = selected();
    if (codes.length !== 2) return message(t('select_remove'), true);
    operate({ op: 'remove', code: codes[0], into: codes[1] }).then(() => select.getFeatures().clear());
  });
  for (const b of document.querySelectorAll('#editor-tools button[data-tool]'))
    b.addEventListener('click', () => setTool(b.dataset.tool));
  applyTexts(panel);
  loadHistory();
  return editor;
}
