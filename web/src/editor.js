// The boundary editor (docs/redrawing.md): a draft changeset of the grid layer, edited on the map
// (drag a vertex, shared corners move for every grid that has them; split a grid along a drawn
// line; merge adjacent grids), with the draft's validation findings drawn on the map, its impact
// on the ground, commit with a reason, and the layer's history with each version's changes.
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
  const draw = new Draw({ source: new VectorSource(), type: 'LineString' });
  const snap = new Snap({ source });
  const editor = { draft: null, tool: 'select' };

  const message = (text, error = false) => {
    const el = $('#editor-message');
    el.textContent = text;
    el.classList.toggle('error', error);
  };
  const explain = (err) => (err instanceof ApiError ? err.body?.message ?? err.message : err.message);

  function setTool(tool) {
    editor.tool = tool;
    for (const i of [select, modify, draw, snap]) map.removeInteraction(i);
    if (!editor.draft) return;
    if (tool === 'select') map.addInteraction(select);
    if (tool === 'modify') map.addInteraction(modify);
    if (tool === 'split') map.addInteraction(draw); // the grid chosen with the select tool
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
    table.innerHTML = `<tr><th>${t('grid')}</th><th>${t('households')}</th><th>${t('open_events')}</th></tr>`;
    for (const g of impact.grids) {
      const row = table.insertRow();
      row.dataset.code = g.code;
      for (const text of [`${g.code} (${t('change_' + g.change)})`, `${g.before.households} → ${g.after.households}`,
        `${g.before.open_events} → ${g.after.open_events}`])
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
  draw.on('drawend', async (e) => {
    const grid = select.getFeatures().item(0);
    if (!grid) {
      message(t('select_first'), true);
      return;
    }
    const line = e.feature.getGeometry().clone().transform('EPSG:3857', 'EPSG:4326');
    await operate({ op: 'split', code: grid.getId(), line: { type: 'LineString', coordinates: line.getCoordinates() } });
    select.getFeatures().clear();
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
  for (const b of document.querySelectorAll('#editor-tools button[data-tool]'))
    b.addEventListener('click', () => setTool(b.dataset.tool));
  applyTexts(panel);
  loadHistory();
  return editor;
}
