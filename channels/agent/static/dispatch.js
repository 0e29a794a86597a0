// The dispatcher's view (派单调度) of the agent console, for supervisors: orders waiting for a
// unit (待派单), sent back (退单), overdue (超期) and extension requests (延期申请); per order:
// (re-)dispatch with a unit picker and an optional category override, approve or decline an
// extension, close with a reason. Refreshed on the live `work_order` events and every 30 s.

import { $, el } from './dom.js';
import {
  STATUS_LABELS, TYPE_LABELS, URGENCY_LABELS, actorLabel, beijingTime, deadlineState, deadlineText, eventLabel,
  eventNote, explainError, placeText,
} from './orders.js';

const LISTS = {
  accepted: '?status=accepted', returned: '?status=returned', overdue: '?overdue=true', extension: '?extension=true',
};
const REFRESH_MS = 30000;
const d = { api: null, notice: null, list: 'accepted', items: {}, selected: null, order: null, timer: null,
  pending: null, services: null, unitTimer: null, seq: 0 };

// ---------- lists ----------

export async function refreshDispatch() {
  if (!d.api) return;
  const seq = ++d.seq;  // an earlier, slower refresh must not overwrite a newer one
  const results = await Promise.all(Object.entries(LISTS).map(async ([name, query]) =>
    [name, await d.api('GET', '/api/units/orders' + query + '&page_size=100')]));
  if (seq !== d.seq) return;
  let total = 0;
  for (const [name, r] of results) {
    if (!r.ok) { if (r.status !== 401) d.notice(explainError(r, '刷新调度列表'), 'error'); continue; }
    d.items[name] = r.data.items;
    document.querySelector('[data-count="' + name + '"]').textContent = String(r.data.total);
    if (name !== 'overdue') total += r.data.total;
  }
  $('dispatch-total').textContent = String(total);
  renderList();
  $('dispatch-updated').textContent = '更新于 ' + new Date().toLocaleTimeString('zh-CN', { hour12: false });
}

function renderList() {
  const items = d.items[d.list] || [];
  const list = $('dispatch-list');
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('.dispatch-item');
  list.replaceChildren();
  $('dispatch-empty').hidden = items.length > 0;
  const now = Date.now();
  for (const o of items) {
    const urgency = deadlineState(o, now);
    const li = el('li');
    const item = el('button', 'dispatch-item ' + urgency);
    item.type = 'button';
    item.dataset.number = o.number;
    item.dataset.status = o.status;
    item.setAttribute('aria-current', String(o.number === d.selected));
    const head = el('span', 'item-head');
    head.append(el('strong', null, o.number), el('span', 'badge', STATUS_LABELS[o.status] || o.status),
      el('span', 'wait', deadlineText(o, now)));
    const unit = o.unit ? (o.unit.name || o.unit.code) : '未派单';
    const ext = o.extension ? '申请延期 ' + o.extension.days + ' 个工作日：' + (o.extension.reason || '') : '';
    item.append(head, el('span', 'preview', o.description || ''),
      el('span', 'meta', [(o.category_path || []).slice(-1)[0], o.district, unit].filter(Boolean).join(' · ')));
    if (ext) item.appendChild(el('span', 'meta ext', ext));
    item.addEventListener('click', () => open(o.number, true));
    li.appendChild(item);
    list.appendChild(li);
  }
  if (focused) {
    const again = list.querySelector('.dispatch-item[data-number="' + CSS.escape(focused.dataset.number) + '"]');
    if (again) again.focus();
  }
}

function choose(name) {
  d.list = name;
  for (const b of $('dispatch-filters').querySelectorAll('[data-list]')) b.setAttribute('aria-pressed', String(b.dataset.list === name));
  renderList();
}

// ---------- one order ----------

async function open(number, focus) {
  const r = await d.api('GET', '/api/units/orders/' + encodeURIComponent(number));
  if (!r.ok) { if (r.status !== 401) d.notice(explainError(r, '打开工单'), 'error'); return; }
  d.selected = number;
  d.order = r.data;
  for (const b of $('dispatch-list').querySelectorAll('.dispatch-item')) b.setAttribute('aria-current', String(b.dataset.number === number));
  render(r.data);
  if (focus) $('dispatch-title').focus();
}

function render(o) {
  $('dispatch-none').hidden = true;
  $('dispatch-order').hidden = false;
  $('dispatch-order').dataset.number = o.number;
  $('dispatch-order').dataset.status = o.status;
  $('dispatch-title').textContent = '工单 ' + o.number + ' · ' + (STATUS_LABELS[o.status] || o.status);
  const dl = $('dispatch-fields');
  dl.replaceChildren();
  const returned = (o.events || []).filter((e) => e.kind === 'return').pop();
  const pairs = [['诉求分类', (o.category_path || []).join(' / ') || '（未分类）'], ['诉求类型', TYPE_LABELS[o.request_type] || o.request_type],
    ['紧急程度', URGENCY_LABELS[o.urgency] || o.urgency], ['地点', placeText(o)],
    ['承办单位', o.unit ? (o.unit.name || o.unit.code) + '（' + o.unit.code + '）' : '未派单'],
    ['办理期限', beijingTime(o.deadline) + (deadlineText(o) ? '（' + deadlineText(o) + '）' : '')],
    ['退单原因', returned ? returned.note + '（' + actorLabel(returned.actor) + '）' : null],
    ['重新派单', o.reopen_count ? o.reopen_count + ' 次' : null], ['办理结果', o.result]];
  for (const [k, v] of pairs) if (v) dl.append(el('dt', null, k), el('dd', null, v));
  $('dispatch-words').textContent = o.description || '';
  const ext = o.extension;
  $('extension-box').hidden = !ext;
  if (ext) {
    $('extension-request').textContent = actorLabel(ext.by) + ' 申请延长 ' + ext.days + ' 个工作日：' + (ext.reason || '');
    $('extension-days').value = String(ext.days);
  }
  const open = ['dispatched', 'in_progress'].includes(o.status);
  $('redispatch-form').hidden = !['accepted', 'returned', 'dispatched', 'in_progress'].includes(o.status);
  $('redispatch').textContent = o.status === 'accepted' ? '派单' : '改派';
  $('extension-form').hidden = !open;
  $('close-form').hidden = o.status === 'closed';
  const timeline = $('dispatch-timeline');
  timeline.replaceChildren();
  for (const e of o.events || []) {
    const li = el('li', 'event ev-' + e.kind);
    li.append(el('span', 'ev-time', beijingTime(e.created_at)), el('strong', null, eventLabel(e.kind)),
      el('span', 'ev-actor', actorLabel(e.actor)));
    const note = eventNote(e);
    if (note) li.appendChild(el('div', 'ev-note', note));
    timeline.appendChild(li);
  }
}

async function act(action, body, what, form) {
  if (!d.order) return;
  const number = d.order.number;
  const buttons = form.querySelectorAll('button');
  for (const b of buttons) b.disabled = true;
  try {
    const r = await d.api('POST', '/api/tickets/' + encodeURIComponent(number) + '/' + action, body);
    if (r.ok) {
      form.reset();
      const unit = r.data.unit ? '，承办单位：' + (r.data.unit.name || r.data.unit.code) : '';
      d.notice('工单 ' + number + ' ' + what + '成功，当前状态：' + (STATUS_LABELS[r.data.status] || r.data.status) + unit + '。');
    } else if (r.status !== 401) d.notice(explainError(r, what), 'error');
    await open(number, false);
    await refreshDispatch();
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ---------- the unit picker and the category select ----------

async function searchUnits() {
  const q = $('unit-query').value.trim();
  const r = await d.api('GET', '/api/units?limit=30' + (q ? '&q=' + encodeURIComponent(q) : ''));
  const select = $('unit-choice');
  select.replaceChildren();
  if (!r.ok) { if (r.status !== 401) d.notice(explainError(r, '查询承办单位'), 'error'); return; }
  for (const u of r.data.items) {
    const opt = el('option', null, u.name + '（' + u.code + '）');
    opt.value = u.code;
    select.appendChild(opt);
  }
  if (!r.data.items.length) { const none = el('option', null, '没有匹配的承办单位'); none.disabled = true; select.appendChild(none); }
  else if (r.data.items.length === 1) select.value = r.data.items[0].code;
}

async function loadServices() {
  if (d.services) return;
  const resp = await fetch('/open311/v2/services.json').catch(() => null);
  if (!resp || !resp.ok) return;
  d.services = await resp.json();
  const select = $('category-choice');
  const groups = new Map();
  for (const s of d.services) {
    if (!groups.has(s.group)) { const g = el('optgroup'); g.label = s.group; groups.set(s.group, g); select.appendChild(g); }
    const opt = el('option', null, s.description + '（' + s.service_code + '）');
    opt.value = s.service_code;
    groups.get(s.group).appendChild(opt);
  }
}

// ---------- wiring ----------

function wire() {
  for (const b of $('dispatch-filters').querySelectorAll('[data-list]')) b.addEventListener('click', () => choose(b.dataset.list));
  $('dispatch-refresh').addEventListener('click', refreshDispatch);
  $('unit-search').addEventListener('click', searchUnits);
  $('unit-query').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); searchUnits(); } });
  $('unit-query').addEventListener('input', () => { clearTimeout(d.unitTimer); d.unitTimer = setTimeout(searchUnits, 300); });
  $('redispatch-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const unit = $('unit-choice').value;
    if (!unit) { d.notice('请先搜索并选择承办单位。', 'error'); $('unit-query').focus(); return; }
    const category = $('category-choice').value;
    act('dispatch', category ? { unit, category } : { unit }, d.order.status === 'accepted' ? '派单' : '改派', ev.currentTarget);
  });
  $('extension-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act('extend', { days: Number($('extension-days').value), reason: $('extension-reason').value.trim() }, '批准延期', ev.currentTarget);
  });
  $('extension-decline').addEventListener('click', () => {
    const form = $('extension-form');
    if (!form.reportValidity()) return;
    act('extend', { days: 0, reason: $('extension-reason').value.trim() }, '不予延期', form);
  });
  $('close-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act('close', { reason: $('close-reason').value.trim() }, '关闭工单', ev.currentTarget);
  });
}

// After login: for a supervisor, load the lists and keep them fresh; anyone else: nothing.
export function startDispatch(api, notice, role) {
  stopDispatch();
  if (role !== 'supervisor') return;
  d.api = api;
  d.notice = notice;
  refreshDispatch();
  loadServices();
  searchUnits();
  d.timer = setInterval(refreshDispatch, REFRESH_MS);
}

export function stopDispatch() {
  clearInterval(d.timer);
  d.api = null;
}

// A live {"type": "work_order", ...} event: refresh soon (several events often come together).
export function onWorkOrderEvent(e) {
  if (!d.api) return;
  clearTimeout(d.pending);
  d.pending = setTimeout(async () => {
    await refreshDispatch();
    if (d.selected === e.work_order) open(e.work_order, false);
  }, 300);
}

wire();
window.dispatchView = { refresh: refreshDispatch, state: () => d };
