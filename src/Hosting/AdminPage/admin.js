// The admin page: figures from /admin/usage/{series,top,outcomes}, records live from /admin/usage/live.
// Every figure is also in the DOM as text and data-* attributes (the exact numbers the relay sent), so
// it can be read without looking at canvas pixels. No framework, no build step; Chart.js is vendored.
const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };
const LIVE_CAP = 50;
const ERROR_FREE = new Set(['completed', 'incomplete']);
const SIDES = ['upstream', 'client', 'relay'];
const PALETTE = ['#3b6fd8', '#e8833a', '#2ca58d', '#c0392b', '#8e44ad', '#7f8c8d', '#d4ac0d', '#16a085'];

const $ = (selector) => document.querySelector(selector);
const charts = {};
let refreshes = 0;
let pending = null;

async function get(path) {
  const response = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  return response.json();
}

function formatCost(cost) {
  if (cost === 0) return '$0';
  const digits = Math.abs(cost) >= 1 ? 2 : Math.min(8, 2 - Math.floor(Math.log10(Math.abs(cost))) + 2);
  return '$' + cost.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

const formatCount = (n) => n.toLocaleString('en-US');

function bucketLabel(time, bucket) {
  const text = new Date(time).toISOString();
  return bucket === 'day' ? text.slice(0, 10) : text.slice(5, 16).replace('T', ' ');
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function costCell(cost, unpriced) {
  const td = cell(formatCost(cost), 'num');
  if (unpriced) {
    const note = document.createElement('span');
    note.className = 'unpriced';
    note.textContent = `+${unpriced} unpriced`;
    td.append(note);
  }
  return td;
}

function row(cells, data) {
  const tr = document.createElement('tr');
  for (const [key, value] of Object.entries(data)) tr.dataset[key] = String(value);
  tr.append(...cells);
  return tr;
}

function drawChart(id, labels, datasets, stacked) {
  charts[id]?.destroy();
  charts[id] = new Chart($(id), {
    type: 'bar',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked }, y: { stacked, beginAtZero: true } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  });
}

const WIDTHS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

// Every bucket of the range, empty ones too, so the x axis is time: ISO strings as the relay writes them.
function buckets(series, from) {
  const width = WIDTHS[series.bucket];
  const all = new Set();
  for (let t = Math.floor(from / width) * width; t <= Date.now(); t += width) all.add(t);
  for (const point of series.data) all.add(Date.parse(point.bucket)); // one past now (a skewed clock) still shows
  return [...all].sort((a, b) => a - b);
}

const sameBucket = (point, t) => Date.parse(point.bucket) === t;

// A chart of cost per bucket, one dataset per group, and the group's totals (exact, from the relay) in a table.
function renderSeries(by, series, from) {
  const labels = buckets(series, from);
  const groups = series.totals.map((t) => t.group);
  const datasets = groups.map((group, i) => ({
    label: group ?? '(none)',
    backgroundColor: PALETTE[i % PALETTE.length],
    data: labels.map((t) => series.data.find((p) => sameBucket(p, t) && p.group === group)?.cost ?? 0),
  }));
  drawChart(`#chart-${by}`, labels.map((b) => bucketLabel(b, series.bucket)), datasets, true);
  $(`#chart-${by}`).dataset.points = String(series.data.length);
  const body = $(`#table-${by} tbody`);
  body.replaceChildren(...series.totals.map((t) => row(
    [cell(t.group ?? '(none)'), cell(formatCount(t.requests), 'num'), cell(formatCount(t.input_tokens), 'num'),
      cell(formatCount(t.output_tokens), 'num'), costCell(t.cost, t.unpriced_requests)],
    { group: t.group ?? '', requests: t.requests, inputTokens: t.input_tokens, outputTokens: t.output_tokens, cost: t.cost, unpriced: t.unpriced_requests })));
}

function renderTokens(series, from) {
  const labels = buckets(series, from);
  const sum = (t, field) => series.data.filter((p) => sameBucket(p, t)).reduce((n, p) => n + p[field], 0);
  drawChart('#chart-tokens', labels.map((b) => bucketLabel(b, series.bucket)), [
    { label: 'input', backgroundColor: PALETTE[0], data: labels.map((b) => sum(b, 'input_tokens')) },
    { label: 'output', backgroundColor: PALETTE[1], data: labels.map((b) => sum(b, 'output_tokens')) },
  ], false);
  const total = series.total;
  setFigure('#total-cost', formatCost(total.cost), { cost: total.cost });
  setFigure('#total-requests', formatCount(total.requests), { requests: total.requests });
  setFigure('#total-input', formatCount(total.input_tokens), { tokens: total.input_tokens });
  setFigure('#total-output', formatCount(total.output_tokens), { tokens: total.output_tokens });
}

function setFigure(selector, text, data) {
  const element = $(selector);
  element.textContent = text;
  Object.assign(element.dataset, Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)])));
}

function renderTop(records) {
  $('#top tbody').replaceChildren(...records.map((r) => row(
    [cell(r.started_at.slice(0, 19).replace('T', ' ')), cell(r.key_id ?? '(none)'), cell(r.requested_model ?? '(none)'),
      cell(formatCount(r.usage.input_tokens), 'num'), cell(formatCount(r.usage.output_tokens), 'num'), cell(formatCost(r.cost), 'num'), cell(r.outcome)],
    { requestId: r.request_id, key: r.key_id ?? '', cost: r.cost, inputTokens: r.usage.input_tokens, outputTokens: r.usage.output_tokens })));
}

// Per side: records it ended, those of them that are errors, and errors over every record in the range.
function renderErrors(counts) {
  const all = counts.reduce((n, c) => n + c.requests, 0);
  const sides = [...new Set([...SIDES, ...counts.map((c) => c.ended_by)])];
  $('#errors tbody').replaceChildren(...sides.map((side) => {
    const mine = counts.filter((c) => c.ended_by === side);
    const ended = mine.reduce((n, c) => n + c.requests, 0);
    const errors = mine.filter((c) => !ERROR_FREE.has(c.outcome)).reduce((n, c) => n + c.requests, 0);
    const rate = all === 0 ? 0 : errors / all;
    return row([cell(side), cell(formatCount(ended), 'num'), cell(formatCount(errors), 'num'), cell((rate * 100).toFixed(1) + '%', 'num')],
      { side, ended, errors, requests: all, rate });
  }));
}

async function refresh() {
  const start = Date.now() - RANGES[$('#range').value];
  const from = encodeURIComponent(new Date(start).toISOString());
  try {
    const [byKey, byModel, top, outcomes] = await Promise.all([
      get(`/admin/usage/series?by=key&from=${from}`),
      get(`/admin/usage/series?by=model&from=${from}`),
      get(`/admin/usage/top?limit=10&from=${from}`),
      get(`/admin/usage/outcomes?from=${from}`),
    ]);
    renderSeries('key', byKey, start);
    renderSeries('model', byModel, start);
    renderTokens(byModel, start);
    renderTop(top.data);
    renderErrors(outcomes.data);
    $('#source').textContent = byKey.source === 'ledger'
      ? `from the usage ledger, ${byKey.bucket} buckets (UTC)`
      : `the usage ledger is off: figures from this process's recent records only, ${byKey.bucket} buckets (UTC)`;
    $('#error').hidden = true;
    document.body.dataset.source = byKey.source;
    document.body.dataset.refreshes = String(++refreshes);
    document.body.dataset.state = 'ready';
  } catch (error) {
    $('#error').textContent = `Could not load the figures: ${error.message}`;
    $('#error').hidden = false;
    document.body.dataset.state = 'error';
  }
}

// Records arrive faster than the figures need redrawing: one refresh a couple of seconds after a burst.
function refreshSoon() {
  if (pending === null) {
    pending = setTimeout(() => { pending = null; refresh(); }, 2000);
  }
}

function addLive(record) {
  const item = document.createElement('li');
  item.className = 'fresh';
  Object.assign(item.dataset, {
    requestId: record.request_id, key: record.key_id ?? '', model: record.requested_model ?? '', outcome: record.outcome,
    endedBy: record.ended_by, inputTokens: String(record.usage.input_tokens), outputTokens: String(record.usage.output_tokens),
    cost: record.cost === null ? '' : String(record.cost),
  });
  const span = (text, className) => { const s = document.createElement('span'); s.textContent = text; if (className) s.className = className; return s; };
  item.append(
    span(record.started_at.slice(11, 19)), span(record.key_id ?? '(none)'), span(record.requested_model ?? '(none)'),
    span(`${formatCount(record.usage.input_tokens)} in`), span(`${formatCount(record.usage.output_tokens)} out`),
    span(record.cost === null ? 'unpriced' : formatCost(record.cost)), span(`${record.outcome} (${record.ended_by})`, 'outcome'));
  const list = $('#live');
  list.prepend(item);
  while (list.children.length > LIVE_CAP) list.lastElementChild.remove();
}

function connectLive() {
  const state = $('#live-state');
  const source = new EventSource('/admin/usage/live');
  let dropped = 0;
  source.onopen = () => { state.dataset.state = 'open'; state.textContent = 'live: connected'; };
  source.onerror = () => { state.dataset.state = 'closed'; state.textContent = 'live: reconnecting'; };
  source.addEventListener('record', (event) => { addLive(JSON.parse(event.data)); refreshSoon(); });
  source.addEventListener('dropped', (event) => {
    dropped += JSON.parse(event.data).dropped;
    $('#live-dropped').textContent = `(${dropped} records not shown: this page fell behind)`;
  });
}

$('#range').addEventListener('change', refresh);
connectLive();
refresh();
