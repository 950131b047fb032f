'use strict';
// The review page: open alerts, and one slide's flagged cells to confirm or reject. Plain JS, no build step.
const app = document.getElementById('app');
const NAMES = { blast: 'Blast', non_blast: 'Not blast', segmented_neutrophil: 'Seg. neutrophil', band_neutrophil: 'Band neutrophil',
  lymphocyte: 'Lymphocyte', lymphocyte_variant: 'Variant lymphocyte', monocyte: 'Monocyte', eosinophil: 'Eosinophil',
  basophil: 'Basophil', promyelocyte: 'Promyelocyte', myelocyte: 'Myelocyte', metamyelocyte: 'Metamyelocyte',
  erythroblast: 'Erythroblast', platelet: 'Platelet', smudge_cell: 'Smudge cell' };
const ABBR = { blast: 'Blast', non_blast: 'Not blast', segmented_neutrophil: 'Seg', band_neutrophil: 'Band', lymphocyte: 'Lym',
  lymphocyte_variant: 'VarLy', monocyte: 'Mono', eosinophil: 'Eos', basophil: 'Baso', promyelocyte: 'Pro', myelocyte: 'Myelo',
  metamyelocyte: 'Meta', erythroblast: 'NRBC', platelet: 'PLT', smudge_cell: 'Smudge' };
const KEYS = { b: 'blast', n: 'non_blast', p: 'promyelocyte', l: 'lymphocyte', v: 'lymphocyte_variant', o: 'monocyte',
  e: 'erythroblast', s: 'smudge_cell' };
const VERDICT_KEYS = { c: 'confirmed', r: 'rejected', m: 'needs-microscopy' };
const VERDICT_NAMES = { confirmed: 'Confirmed', rejected: 'Rejected', 'needs-microscopy': 'Needs microscopy' };
const CBC_ROWS = ['WBC', 'RBC', 'HGB', 'HCT', 'MCV', 'PLT', 'NEUT#', 'LYMPH#', 'MONO#', 'EO#', 'BASO#', 'IG#', 'NRBC#'];
let slide = null;            // the slide shown: the API's answer
let tiles = [];              // cells on screen, in grid order
let decisions = new Map();   // cellId -> decision, not yet sent
let sel = 0;
let showAll = false;
let sending = false;
window.reviewTiming = {};

const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const pct = p => (p * 100).toFixed(0) + ' %';
const time = t => t ? new Date(t).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium', hourCycle: 'h23' }) : '';

async function api(path, options) {
  const r = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, options));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
  return body;
}

function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove('show'), 2600);
}

function stageBadge(a) {
  if (a.stage === 'final' && a.slideRuleMet === false) return '<span class="badge withdrawn">withdrawn</span>';
  return `<span class="badge ${esc(a.stage)}">${esc(a.stage)}</span>` + (a.promyelocyteExcess ? ' <span class="badge apl">promyelocyte excess</span>' : '');
}

// ------------------------------------------------------------------ the list of alerts
async function showList() {
  slide = null;
  document.getElementById('crumbs').textContent = 'Blast alerts';
  const show = new URLSearchParams(location.search).get('show') || 'open';
  const rows = await api('/api/alerts');
  const shown = rows.filter(r => show === 'all' || (show === 'open') === !r.verdict);
  const tab = (k, label, n) => `<button data-show="${k}" class="${show === k ? 'on' : ''}">${label} (${n})</button>`;
  app.innerHTML = `<div class="tabs">${tab('open', 'Open', rows.filter(r => !r.verdict).length)}${tab('reviewed', 'Reviewed', rows.filter(r => r.verdict).length)}${tab('all', 'All', rows.length)}</div>
    <table class="alerts"><thead><tr><th>Alert</th><th>Specimen / slide</th><th>Stage</th><th>Blasts</th><th>CBC flags</th><th>Review</th></tr></thead><tbody>
    ${shown.map(r => `<tr class="row" data-id="${esc(r.alertId)}"><td>${esc(time(r.issuedAt))}</td>
      <td><b>${esc(r.specimenId)}</b><br><span class="muted">${esc(r.slideId)}</span></td><td>${stageBadge(r)}</td>
      <td><b>${r.blastCount + r.promyelocyteCount}</b> of ${r.classifiedCells} (${Number(r.blastPercent).toFixed(1)} %)${r.promyelocyteCount ? `<br><span class="muted">${r.promyelocyteCount} abnormal promyelocytes</span>` : ''}</td>
      <td class="flags">${(r.cbcFlags || []).map(f => `<span>${esc(f)}</span>`).join('')}</td>
      <td>${r.verdict ? `<span class="badge ${esc(r.verdict)}">${esc(VERDICT_NAMES[r.verdict])}</span><br><span class="muted">${esc(r.reviewedBy)}</span>` : '<span class="muted">open</span>'}</td></tr>`).join('')
      || '<tr><td colspan="6" class="muted">No alerts here.</td></tr>'}
    </tbody></table>`;
  app.querySelectorAll('[data-show]').forEach(b => b.onclick = () => navigate('/?show=' + b.dataset.show));
  app.querySelectorAll('tr.row').forEach(tr => tr.onclick = () => navigate('/alerts/' + tr.dataset.id));
}

// ------------------------------------------------------------------ one slide
async function showSlide(alertId) {
  const t0 = performance.now();
  slide = await api('/api/alerts/' + encodeURIComponent(alertId));
  const tData = performance.now() - t0;
  decisions = new Map();
  sel = 0;
  showAll = false;
  const a = slide.alert;
  document.getElementById('crumbs').textContent = `Blast alerts › ${slide.specimenId} › ${slide.slideId}`;
  const listed = slide.cells.filter(c => c.listed)
    .sort((x, y) => (y.flagged - x.flagged) || (y.blastProbability - x.blastProbability));
  const others = slide.cells.filter(c => !c.listed)
    .sort((x, y) => x.cellType.localeCompare(y.cellType) || (y.probability - x.probability));
  slide.listedCells = listed;
  slide.otherCells = others;
  const prior = priorDecisions();
  app.innerHTML = `<div class="layout">
    <aside class="side">${cbcCard()}${historyCard()}${reviewsCard()}</aside>
    <section>
      <div class="summary"><h1>${esc(slide.specimenId)}</h1><span class="muted">slide ${esc(slide.slideId)}</span>${stageBadge(a)}
        <span class="big">${a.blastCount} blast${a.blastCount === 1 ? '' : 's'}${a.promyelocyteCount ? ` + ${a.promyelocyteCount} abnormal promyelocytes` : ''}</span>
        <span>of ${a.classifiedCells} cells (${Number(a.blastPercent).toFixed(1)} %)</span>
        <span class="muted">model ${esc(a.modelVersion)}, threshold ${a.threshold}</span>
        ${a.lostCells ? `<span class="muted">${a.lostCells} cells not classifiable</span>` : ''}${verdictBadge()}</div>
      <div class="section-title"><h2>Flagged cells (${listed.length})</h2><span class="muted">model's call; decide each, then the slide — press <kbd>?</kbd> for keys</span></div>
      <div class="grid" id="listed">${listed.map(c => tile(c, prior)).join('')}</div>
      <div class="section-title"><h2>The slide's other cells (${others.length})</h2><button id="toggle">Show <kbd>X</kbd></button><span class="timing" id="timing"></span></div>
      <div class="grid" id="others" hidden></div>
    </section></div>
    <div class="bottom"><span class="count" id="count"></span>
      <input id="comment" maxlength="2000" placeholder="Comment (optional)" aria-label="comment">
      <button id="save">Save cells</button>
      <button class="v confirmed" data-verdict="confirmed" title="blasts confirmed">Confirm <kbd>C</kbd></button>
      <button class="v rejected" data-verdict="rejected" title="no blasts: a false alert">Reject <kbd>R</kbd></button>
      <button class="v needs-microscopy" data-verdict="needs-microscopy" title="needs microscopy">Microscopy <kbd>M</kbd></button></div>`;
  document.getElementById('toggle').onclick = toggleOthers;
  document.getElementById('save').onclick = () => send(null);
  app.querySelectorAll('[data-verdict]').forEach(b => b.onclick = () => send(b.dataset.verdict));
  bindTiles();
  updateCount();
  await loadImages(document.getElementById('listed'), true);
  window.reviewTiming.listed = { cells: listed.length, ms: Math.round(performance.now() - t0), dataMs: Math.round(tData) };
  document.getElementById('timing').textContent = `${listed.length} flagged cells on screen in ${window.reviewTiming.listed.ms} ms`;
}

function verdictBadge() {
  const v = [...slide.reviews].reverse().find(r => r.verdict);
  return v ? `<span class="badge ${esc(v.verdict)}">${esc(VERDICT_NAMES[v.verdict])} by ${esc(v.reviewer.name)}, ${esc(time(v.reviewedAt))}</span>` : '';
}

function priorDecisions() {
  const prior = new Map();
  for (const r of slide.reviews) for (const c of r.cells || []) prior.set(c.cellId, { decision: c.decision, by: r.reviewer.name });
  return prior;
}

function cbcCard() {
  const c = slide.cbc;
  if (!c) return '<div class="card"><h3>CBC</h3><p class="muted">No CBC received for this specimen.</p></div>';
  const values = c.parameters || {};
  const rows = CBC_ROWS.filter(k => values[k] != null).map(k => {
    const v = values[k];
    const value = typeof v === 'object' ? `${v.value} ${v.unit || ''}` : v;
    return `<tr><td>${esc(k)}</td><td>${esc(value)}</td></tr>`;
  }).join('');
  return `<div class="card"><h3>CBC <span class="muted">${esc(time(c.measuredAt))}</span></h3>
    <div class="flags">${(c.flags || []).map(f => `<span>${esc(f)}</span>`).join('') || '<span class="muted" style="background:none;color:var(--muted)">no suspect flags</span>'}</div>
    <table class="cbc">${rows}</table></div>`;
}

function historyCard() {
  return `<div class="card"><h3>Alert history</h3><ul class="hist">${slide.history.map(h =>
    `<li>${stageBadge(h)} ${esc(time(h.issuedAt))}: ${h.blastCount + (h.promyelocyteCount || 0)} of ${h.classifiedCells} cells</li>`).join('')}</ul></div>`;
}

function reviewsCard() {
  if (!slide.reviews.length) return '<div class="card"><h3>Reviews</h3><p class="muted">Not reviewed yet.</p></div>';
  return `<div class="card"><h3>Reviews</h3><ul class="revs">${slide.reviews.map(r =>
    `<li>${r.verdict ? `<span class="badge ${esc(r.verdict)}">${esc(VERDICT_NAMES[r.verdict])}</span>` : 'cells'} by <b>${esc(r.reviewer.name)}</b>, ${esc(time(r.reviewedAt))}; ${(r.cells || []).length} cell decisions${r.comment ? `<br><i>${esc(r.comment)}</i>` : ''}</li>`).join('')}</ul></div>`;
}

function tile(c, prior) {
  const img = c.capture ? `<img data-fallback="/api/captures/${c.capture.partition}/${c.capture.offset}" alt="cell ${esc(c.cellId)}" width="128" height="128">`
    : '<img alt="no image position" width="128" height="128">';
  const flag = c.listed ? `<span class="flag ${c.alertCellType === 'promyelocyte' ? 'pro' : ''}">${c.flagged ? esc(c.alertCellType) : 'promyelocyte'}</span>` : '';
  const p = prior.get(c.cellId);
  const second = (c.top || []).find(t => t.type !== c.cellType);
  const detail = c.cellType === 'blast' ? (second ? `next: ${esc(ABBR[second.type] || second.type)} ${pct(second.probability)}` : '')
    : `P(blast) ${pct(c.blastProbability)}`;
  const options = Object.keys(NAMES).map(k => `<option value="${k}">${esc(NAMES[k])}</option>`).join('');
  return `<div class="cell" data-cell="${esc(c.cellId)}" tabindex="-1"><div class="pic">${img}${flag}
    <span class="dec${p && p.decision === 'blast' ? ' blast' : ''}" ${p ? `title="decided by ${esc(p.by)}"` : 'hidden'} data-prior="${p ? esc(p.decision) : ''}">${p ? '✓ ' + esc(NAMES[p.decision]) : ''}</span></div>
    <div class="cap"><div class="type">${esc(NAMES[c.cellType] || c.cellType)} ${pct(c.probability)}</div>
    <div class="pb">${detail}</div><div class="bar" title="P(blast) ${pct(c.blastProbability)}"><i style="width:${(c.blastProbability * 100).toFixed(1)}%"></i></div></div>
    <div class="acts"><button class="b" data-d="blast">Blast</button><button data-d="non_blast">Not</button>
    <select aria-label="other type"><option value="">Type…</option>${options}</select></div></div>`;
}

/** The slide's other cells, grouped by the model's top type as review stations show them. */
function groupedTiles(cells, prior) {
  let type = null;
  return cells.map(c => {
    const head = c.cellType !== type ? `<div class="group">${esc(NAMES[c.cellType] || c.cellType)} <span class="muted">${cells.filter(x => x.cellType === c.cellType).length}</span></div>` : '';
    type = c.cellType;
    return head + tile(c, prior);
  }).join('');
}

function bindTiles() {
  tiles = [...app.querySelectorAll('.cell')].filter(t => !t.closest('[hidden]'));
  tiles.forEach((t, i) => {
    t.onclick = e => { if (!e.target.closest('.acts')) select(i); };
    t.querySelectorAll('button[data-d]').forEach(b => b.onclick = () => { select(i); decide(b.dataset.d); });
    t.querySelector('select').onchange = e => { if (e.target.value) { select(i); decide(e.target.value); } };
  });
  select(Math.min(sel, tiles.length - 1));
}

function select(i) {
  if (i < 0 || i >= tiles.length) return;
  tiles[sel] && tiles[sel].classList.remove('sel');
  sel = i;
  tiles[sel].classList.add('sel');
  tiles[sel].scrollIntoView({ block: 'nearest' });
}

function decide(decision, tileEl) {
  const t = tileEl || tiles[sel];
  if (!t) return;
  const id = t.dataset.cell;
  const label = t.querySelector('.dec');
  if (decision == null) {
    decisions.delete(id);
  } else {
    decisions.set(id, decision);
  }
  const d = decisions.get(id);
  label.hidden = !d && !label.dataset.prior;
  label.textContent = d ? NAMES[d] : (label.dataset.prior ? '✓ ' + NAMES[label.dataset.prior] : '');
  label.className = 'dec' + ((d || label.dataset.prior) === 'blast' ? ' blast' : '') + (d ? ' pending' : '');
  updateCount();
}

function updateCount() {
  const n = decisions.size;
  document.getElementById('count').textContent = n ? `${n} cell decision${n === 1 ? '' : 's'} to send` : 'no cell decisions yet';
}

async function toggleOthers() {
  const box = document.getElementById('others');
  showAll = !showAll;
  if (showAll && !box.childElementCount) {
    const t0 = performance.now();
    box.innerHTML = groupedTiles(slide.otherCells, priorDecisions());
    box.hidden = false;
    bindTiles();
    await loadImages(box, false);
    const all = slide.listedCells.length + slide.otherCells.length;
    window.reviewTiming.others = { cells: slide.otherCells.length, ms: Math.round(performance.now() - t0) };
    document.getElementById('timing').textContent = `all ${all} cells on screen; the other ${slide.otherCells.length} in ${window.reviewTiming.others.ms} ms`;
  } else {
    box.hidden = !showAll;
    bindTiles();
  }
  document.getElementById('toggle').innerHTML = (showAll ? 'Hide' : 'Show') + ' <kbd>X</kbd>';
}

/** A grid's images in one request (the flagged cells' or the others'), each cell's own URL where one is missing. */
async function loadImages(box, listed) {
  const images = await api(`/api/alerts/${encodeURIComponent(slide.alert.alertId)}/images?listed=${listed}`).catch(() => ({}));
  box.querySelectorAll('img[data-fallback]').forEach(i => { i.src = images[i.closest('.cell').dataset.cell] || i.dataset.fallback; });
  await imagesLoaded(box);
}

function imagesLoaded(box) {
  const imgs = [...box.querySelectorAll('img[src]')];
  return Promise.all(imgs.map(i => i.complete ? Promise.resolve() : new Promise(r => { i.onload = r; i.onerror = r; })));
}

async function send(verdict) {
  if (sending) return;
  const cells = [...decisions].map(([cellId, decision]) => ({ cellId, decision }));
  if (!verdict && !cells.length) { toast('Decide at least one cell first'); return; }
  const body = { alertId: slide.alert.alertId, cells };
  if (verdict) body.verdict = verdict;
  const comment = document.getElementById('comment').value.trim();
  if (comment) body.comment = comment;
  sending = true;
  try {
    const r = await api('/api/reviews', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
    window.lastReview = r;
    toast(`Recorded${verdict ? ': ' + VERDICT_NAMES[verdict] : ''} — ${cells.length} cell decisions, by ${r.reviewer.name}`);
    await showSlide(slide.alert.alertId);
  } catch (e) {
    toast('Not recorded: ' + e.message);
  } finally {
    sending = false;
  }
}

function move(dx, dy) {
  if (!tiles.length) return;
  if (dx) return select(Math.max(0, Math.min(tiles.length - 1, sel + dx)));
  const cur = tiles[sel].getBoundingClientRect();
  let best = -1, bestScore = Infinity;
  tiles.forEach((t, i) => {
    const r = t.getBoundingClientRect();
    if (dy > 0 ? r.top <= cur.top + 2 : r.top >= cur.top - 2) return;
    const score = Math.abs(r.top - cur.top) * 10 + Math.abs(r.left - cur.left);
    if (score < bestScore) { bestScore = score; best = i; }
  });
  if (best >= 0) select(best);
}

function zoom() {
  const img = tiles[sel] && tiles[sel].querySelector('img[src]');
  if (!img) return;
  const z = document.createElement('div');
  z.className = 'zoom';
  z.innerHTML = `<img src="${img.src}" alt="">`;
  z.onclick = () => z.remove();
  document.body.appendChild(z);
}

document.addEventListener('keydown', e => {
  if (e.target.closest && e.target.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key.toLowerCase();
  const z = document.querySelector('.zoom');
  if (z && (k === 'escape' || k === ' ')) { z.remove(); e.preventDefault(); return; }
  if (k === '?') { const h = document.getElementById('help'); h.hidden = !h.hidden; return; }
  if (!slide) return;
  if (k === 'escape') return navigate('/');
  if (k === 'arrowright') move(1, 0);
  else if (k === 'arrowleft') move(-1, 0);
  else if (k === 'arrowdown') move(0, 1);
  else if (k === 'arrowup') move(0, -1);
  else if (KEYS[k]) { decide(KEYS[k]); move(1, 0); }
  else if (k === '0') decide(null);
  else if (k === 'a') slide.listedCells.forEach(c => { if (c.flagged && !decisions.has(c.cellId)) decide('blast', app.querySelector(`[data-cell="${CSS.escape(c.cellId)}"]`)); });
  else if (k === 'x') toggleOthers();
  else if (k === ' ') zoom();
  else if (VERDICT_KEYS[k]) send(VERDICT_KEYS[k]);
  else return;
  e.preventDefault();
});

function navigate(path) {
  history.pushState(null, '', path);
  route();
}

function route() {
  const m = location.pathname.match(/^\/alerts\/([^/]+)$/);
  (m ? showSlide(decodeURIComponent(m[1])) : showList()).catch(e => { app.innerHTML = `<p class="pad">Cannot load: ${esc(e.message)}</p>`; });
}

window.addEventListener('popstate', route);
api('/api/me').then(me => document.getElementById('who').textContent = me.name).catch(() => {});
route();
