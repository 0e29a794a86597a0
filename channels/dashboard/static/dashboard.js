// Supervisors' dashboard of the 12345 hotline (监管大屏): today's or this week's volumes (channel,
// request type, category, district map), the three rates by unit/district/category, the overdue
// orders, the hot issues with their orders and the surge alerts (未诉先办). Data from
// /api/reports/overview, /api/reports/hot-issues and /api/reports/surges; charts with Apache ECharts (window.echarts, served by the gateway).
// Every text from the server is rendered with textContent (never innerHTML).

import { $, el } from '/agent/static/dom.js';
import { STATUS_LABELS, beijingTime, explainError, makeApi } from '/agent/static/orders.js';

const TOKEN_KEY = 'hotline.dashboard.token';
const REFRESH_MS = 60000;
const RATES = [['response', '响应率'], ['resolution', '解决率'], ['satisfaction', '满意率']];
const RATE_COLOURS = ['#1a5fb4', '#26a269', '#f0a500'];
const HOT_TOP = 10;
const HOT_REFRESH_MS = 10 * 60000;

const state = { token: null, period: 'today', by: 'unit', report: null, issues: [], open: null, hotKey: null, hotAt: 0, charts: {}, map: null, timer: null, seq: 0 };
const api = makeApi(() => state.token, () => logout('登录已过期，请重新登录。'));
const echarts = window.echarts;

function showError(text) { $('error').textContent = text || ''; }
export function percent(rate) { return rate === null || rate === undefined ? '—' : (rate * 100).toFixed(1) + '%'; }

// ---------- login ----------

async function login(ev) {
  ev.preventDefault();
  $('login-error').textContent = '';
  let resp;
  try {
    resp = await fetch('/api/agent/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: $('username').value.trim(), password: $('password').value }),
    });
  } catch (e) { $('login-error').textContent = '网络异常，请稍后重试。'; return; }
  const data = await resp.json().catch(() => ({}));
  if (resp.status === 429) { $('login-error').textContent = '登录尝试过于频繁，请稍后再试。'; return; }
  if (!resp.ok) { $('login-error').textContent = '账号或密码错误。'; return; }
  state.token = data.token;
  try { sessionStorage.setItem(TOKEN_KEY, data.token); } catch (e) { /* memory only */ }
  $('password').value = '';
  await enter();
}

function logout(message) {
  state.token = null;
  clearInterval(state.timer);
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
  $('board').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message || '';
  $('username').focus();
}

async function enter() {
  const me = await api('GET', '/api/agent/me');
  if (!me.ok) { if (state.token) logout(me.status === 0 ? '网络异常，请稍后重试。' : '仅限班长账号登录监管大屏。'); return; }
  if (me.data.agent.role !== 'supervisor') { logout('仅限班长账号登录监管大屏。'); return; }
  $('me').textContent = me.data.agent.display_name;
  $('login-view').hidden = true;
  $('board').hidden = false;
  if (!echarts) showError('图表库未安装（请运行 make setup），以下仅显示数据表。');
  await refresh(true);
  clearInterval(state.timer);
  state.timer = setInterval(() => refresh(), REFRESH_MS);
}

// ---------- data ----------

async function refresh(force = false) {
  if (!state.token) return;
  const seq = ++state.seq;  // a slower answer for the other period must not overwrite a newer one
  const r = await api('GET', '/api/reports/overview?period=' + state.period);
  if (seq !== state.seq) return;
  if (r.status === 403) { logout('该账号无权查看监管大屏（仅限班长）。'); return; }
  if (!r.ok) { if (r.status !== 401) showError(explainError(r, '读取统计')); return; }
  showError(echarts ? '' : $('error').textContent);
  state.report = r.data;
  render(r.data);
  const surges = await api('GET', '/api/reports/surges?days=' + (state.period === 'week' ? 7 : 1));
  if (seq !== state.seq) return;
  renderSurges(surges);
  // Mining is the costly part: again only for another period, on 刷新, or after HOT_REFRESH_MS.
  const hotKey = r.data.from + '/' + r.data.to;
  if (force || hotKey !== state.hotKey || Date.now() - state.hotAt > HOT_REFRESH_MS) {
    const hot = await api('GET', '/api/reports/hot-issues?from=' + r.data.from + '&to=' + r.data.to + '&top=' + HOT_TOP);
    if (seq !== state.seq) return;
    renderHot(hot);
    [state.hotKey, state.hotAt] = [hot.ok ? hotKey : null, Date.now()];
  }
  $('updated').textContent = '更新于 ' + new Date().toLocaleTimeString('zh-CN', { hour12: false });
  document.body.dataset.loaded = r.data.period + ':' + r.data.generated_at;
}

// ---------- rendering ----------

function render(report) {
  $('range').textContent = report.from === report.to ? report.from : report.from + ' 至 ' + report.to;
  const t = report.totals;
  for (const key of ['received', 'resolved', 'overdue']) {
    $('kpi-' + key).textContent = String(t[key]);
    $('kpi-' + key).dataset.value = String(t[key]);
  }
  for (const [key] of RATES) {
    $('kpi-' + key).textContent = percent(t.rates[key]);
    $('kpi-' + key).dataset.value = t.rates[key] === null ? '' : String(t.rates[key]);
    $('kpi-' + key + '-counts').textContent = t.counts[key].numerator + '/' + t.counts[key].denominator;
  }
  for (const by of ['channel', 'request_type', 'category', 'district']) volumeTable(by, report.volume[by]);
  pie('channel', report.volume.channel);
  pie('request_type', report.volume.request_type);
  categoryBars(report.volume.category);
  districtMap(report.volume.district);
  renderRates();
  renderOverdue(report.overdue);
}

function volumeTable(by, rows) {
  const table = $('volume-' + by);
  table.replaceChildren();
  if (!rows.length) { table.append(row(['暂无受理'], [], 'none')); return; }
  for (const r of rows) {
    const tr = row([r.name], [String(r.count)], r.key === null ? 'none' : '');
    tr.dataset.key = r.key === null ? '' : r.key;
    tr.dataset.count = String(r.count);
    table.append(tr);
  }
}

function row(texts, numbers, cls) {
  const tr = el('tr', cls || '');
  for (const t of texts) tr.append(el('td', '', t));
  for (const n of numbers) tr.append(el('td', 'n', n));
  return tr;
}

function chart(id) {
  if (!echarts) return null;
  if (!state.charts[id]) state.charts[id] = echarts.init($(id), null, { renderer: 'canvas' });
  return state.charts[id];
}

function pie(by, rows) {
  const c = chart('chart-' + by);
  if (!c) return;
  c.setOption({
    tooltip: { trigger: 'item', formatter: '{b}：{c}（{d}%）' },
    series: [{ type: 'pie', radius: ['32%', '58%'], center: ['50%', '52%'], label: { fontSize: 11, formatter: '{b} {c}' },
      data: rows.map((r) => ({ name: r.name, value: r.count })) }],
  }, true);
}

function categoryBars(rows) {
  const c = chart('chart-category');
  if (!c) return;
  const top = rows.slice(0, 8).reverse();
  c.setOption({
    grid: { left: 80, right: 24, top: 6, bottom: 18 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: top.map((r) => r.name), axisLabel: { fontSize: 11 } },
    series: [{ type: 'bar', data: top.map((r) => r.count), itemStyle: { color: '#c8102e' }, label: { show: true, position: 'right' } }],
  }, true);
}

async function districtMap(rows) {
  const c = chart('chart-map');
  if (!c) return;
  if (!state.map) {
    const resp = await fetch('/dashboard/static/map/beijing.geojson').catch(() => null);
    if (!resp || !resp.ok) { showError('北京市区划地图加载失败。'); return; }
    state.map = await resp.json();
    echarts.registerMap('beijing', state.map);
  }
  const max = Math.max(1, ...rows.map((r) => r.count));
  c.setOption({
    tooltip: { trigger: 'item', formatter: (p) => p.name + '：' + (Number.isFinite(p.value) ? p.value : 0) + ' 件' },
    visualMap: { min: 0, max, left: 0, bottom: 0, itemHeight: 70, text: ['多', '少'], calculable: false, inRange: { color: ['#fdeaea', '#c8102e'] } },
    // Names only where there are orders: the six central districts are too small for all labels.
    series: [{ type: 'map', map: 'beijing', roam: false, label: { show: false, fontSize: 10, color: '#222' },
      emphasis: { label: { show: true } },
      data: rows.filter((r) => r.key).map((r) => ({ name: r.key, value: r.count, label: { show: true, formatter: '{b} {c}', backgroundColor: 'rgba(255,255,255,.85)', padding: [1, 3], borderRadius: 2 } })) }],
  }, true);
  $('chart-map').dataset.ready = 'true';
}

function renderRates() {
  const report = state.report;
  if (!report) return;
  for (const b of document.querySelectorAll('#rate-tabs button')) b.setAttribute('aria-pressed', String(b.dataset.by === state.by));
  const groups = report.rates[state.by];
  const table = $('rates-table');
  table.replaceChildren();
  const head = el('tr');
  head.append(el('th', '', { unit: '承办单位', district: '区', category: '类别' }[state.by]));
  for (const [, label] of RATES) head.append(el('th', 'n', label));
  table.append(head);
  for (const g of groups) {
    const tr = row([g.name || '—'], RATES.map(([k]) => percent(g.rates[k]) + ' (' + g.counts[k].numerator + '/' + g.counts[k].denominator + ')'));
    tr.dataset.key = g[state.by] === null ? '' : g[state.by];
    table.append(tr);
  }
  if (!groups.length) table.append(row(['暂无数据'], [], 'none'));
  const c = chart('chart-rates');
  if (!c) return;
  const shown = groups.slice(0, 12);
  c.setOption({
    grid: { left: 36, right: 8, top: 20, bottom: 22 },
    legend: { top: 0, itemHeight: 8, textStyle: { fontSize: 11 } },
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined ? '—' : v.toFixed(1) + '%') },
    xAxis: { type: 'category', data: shown.map((g) => g.name || '—'), axisLabel: { fontSize: 10, interval: 0, overflow: 'truncate', width: 60 } },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%', fontSize: 10 } },
    series: RATES.map(([k, label], i) => ({ name: label, type: 'bar', itemStyle: { color: RATE_COLOURS[i] },
      data: shown.map((g) => (g.rates[k] === null ? null : Math.round(g.rates[k] * 1000) / 10)) })),
  }, true);
}

function renderOverdue(overdue) {
  $('overdue-count').textContent = String(overdue.count);
  $('overdue-empty').hidden = overdue.count > 0;
  const table = $('overdue-table');
  table.replaceChildren();
  if (!overdue.orders.length) return;
  const head = el('tr');
  for (const [t, cls] of [['工单编号', ''], ['承办单位', ''], ['截止时间', ''], ['超期', 'n']]) head.append(el('th', cls, t));
  table.append(head);
  for (const o of overdue.orders) {
    const tr = row([o.number, o.unit_name || o.unit || '未派单', beijingTime(o.deadline)], [o.overdue_hours + '小时']);
    tr.dataset.number = o.number;
    tr.title = (STATUS_LABELS[o.status] || o.status) + (o.district ? ' · ' + o.district : '') + (o.category ? ' · ' + o.category : '');
    table.append(tr);
  }
}

// One problem rising at one place: where, what, since when, how many (usually), which orders.
function renderSurges(r) {
  const list = $('surge-list');
  list.replaceChildren();
  const surges = (r.ok && r.data.surges) || [];
  $('surge-count').textContent = String(surges.length);
  $('surge-empty').hidden = surges.length > 0;
  $('surge-empty').textContent = r.ok ? '本期没有诉求突增。' : explainError(r, '读取诉求突增');
  if (!r.ok) $('surge-empty').hidden = false;
  for (const e of surges) {
    const li = el('li');
    li.dataset.surge = String(e.id);
    const what = (e.category || '').split(' / ').pop() || e.category_code;
    li.append(el('strong', null, [e.district, e.place].filter(Boolean).join(' ') + '：' + what),
      el('span', 'muted', ' ' + beijingTime(e.window_start) + ' 起 ' + e.count + ' 件（平时约 ' + Number(e.baseline).toFixed(1) + ' 件）'),
      el('div', 'surge-orders', '工单 ' + e.work_orders.join('、')));
    list.append(li);
  }
}

function renderHot(r) {
  const list = $('hot-list');
  list.replaceChildren();
  if (!r.ok) {
    state.issues = [];
    $('hot-empty').hidden = false;
    $('hot-empty').textContent = explainError(r, '读取热点问题');
    $('hot-detail').hidden = true;
    return;
  }
  state.issues = r.data.issues || [];
  $('hot-empty').hidden = state.issues.length > 0;
  $('hot-empty').textContent = '本期暂无热点问题。';
  for (const issue of state.issues) {
    const b = el('button');
    b.type = 'button';
    b.className = 'hot-issue';
    b.dataset.rank = String(issue.rank);
    b.setAttribute('aria-expanded', String(state.open === issue.title));
    b.append(el('span', 'rank', issue.rank), el('span', 'title', issue.title), el('span', 'muted', issue.count + '件'));
    b.addEventListener('click', () => openIssue(issue));
    const li = el('li');
    li.append(b);
    list.append(li);
  }
  const again = state.issues.find((i) => i.title === state.open);
  if (again) openIssue(again); else $('hot-detail').hidden = true;
}

function openIssue(issue) {
  state.open = issue.title;
  for (const b of document.querySelectorAll('.hot-issue')) b.setAttribute('aria-expanded', String(b.dataset.rank === String(issue.rank)));
  $('hot-title').textContent = issue.rank + '. ' + issue.title;
  const place = [issue.district, issue.place, issue.category].filter(Boolean).join(' · ');
  $('hot-meta').textContent = place + '　' + issue.count + '件　' + beijingTime(issue.first) + ' 至 ' + beijingTime(issue.last);
  const orders = $('hot-orders');
  orders.replaceChildren();
  for (const number of issue.message_ids || []) {
    const li = el('li', '', number);
    li.dataset.number = String(number);
    orders.append(li);
  }
  $('hot-detail').hidden = false;
}

// ---------- wiring ----------

function setPeriod(period) {
  state.period = period;
  for (const b of document.querySelectorAll('#periods button')) b.setAttribute('aria-pressed', String(b.dataset.period === period));
  refresh();
}

$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', () => logout(''));
$('refresh').addEventListener('click', () => refresh(true));
for (const b of document.querySelectorAll('#periods button')) b.addEventListener('click', () => setPeriod(b.dataset.period));
for (const b of document.querySelectorAll('#rate-tabs button')) b.addEventListener('click', () => { state.by = b.dataset.by; renderRates(); });
window.addEventListener('resize', () => { for (const c of Object.values(state.charts)) c.resize(); });

try { state.token = sessionStorage.getItem(TOKEN_KEY); } catch (e) { state.token = null; }
if (state.token) enter(); else $('username').focus();
