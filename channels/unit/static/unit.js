// Unit console of the 12345 hotline (承办单位办理台): a handling unit's inbox, nearest deadline
// first, one order's details and its log, and the unit's actions (接单, 进展, 办结, 申请延期, 退单).
// Plain ES modules; every text from the server is rendered with textContent (never innerHTML).

import { $, el } from '/agent/static/dom.js';
import {
  STATUS_LABELS, TYPE_LABELS, URGENCY_LABELS, actorLabel, beijingTime, deadlineState, deadlineText, eventLabel,
  eventNote, explainError, makeApi,
} from '/agent/static/orders.js';

const TOKEN_KEY = 'hotline.unit.token';
const REFRESH_MS = 15000;
const LABELS = { ...STATUS_LABELS, dispatched: '待接单', returned: '已退回' };
const OPEN_WORK = new Set(['dispatched', 'in_progress']);
const ACTION_NAMES = { accept: '接单', reply: '提交进展', resolve: '办结', extend: '延期申请', return: '退单' };
const URGENCY_TEXT = { overdue: '超期', near: '临期', normal: '', done: '' };

const state = { token: null, me: null, filter: '', items: [], selected: null, order: null, revealed: null, timer: null, busy: false, seq: 0 };
const api = makeApi(() => state.token, () => logout('登录已过期，请重新登录。'));

function notice(text) { $('notice').textContent = text || ''; }
function showError(text) { $('error').textContent = text || ''; }

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
  if (data.agent.role !== 'unit') {
    $('login-error').textContent = '该账号不是承办单位账号，坐席和班长请使用坐席控制台（/agent）。';
    return;
  }
  state.token = data.token;
  try { sessionStorage.setItem(TOKEN_KEY, data.token); } catch (e) { /* memory only */ }
  $('password').value = '';
  await enter();
}

function logout(message) {
  state.token = null;
  state.me = null;
  clearInterval(state.timer);
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
  $('desk-view').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message || '';
  $('username').focus();
}

async function enter() {
  const me = await api('GET', '/api/agent/me');
  if (!me.ok) { if (state.token) logout(me.status === 0 ? '网络异常，请稍后重试。' : ''); return; }
  if (me.data.agent.role !== 'unit') { logout('该账号不是承办单位账号。'); return; }
  state.me = me.data.agent;
  $('me').textContent = state.me.display_name;
  $('unit-name').textContent = state.me.unit || '';
  $('login-view').hidden = true;
  $('desk-view').hidden = false;
  await refreshInbox();
  clearInterval(state.timer);
  state.timer = setInterval(refreshInbox, REFRESH_MS);
}

// ---------- inbox ----------

async function refreshInbox() {
  if (!state.token) return;
  const seq = ++state.seq;  // a slower earlier answer (another filter) must not overwrite a newer one
  const query = state.filter ? '?status=' + encodeURIComponent(state.filter) + '&page_size=200' : '?page_size=200';
  const r = await api('GET', '/api/units/orders' + query);
  if (seq !== state.seq) return;
  if (!r.ok) { if (r.status !== 401) showError(explainError(r, '刷新列表')); return; }
  if (r.data.unit) $('unit-name').textContent = r.data.unit.name || r.data.unit.code;
  const items = r.data.items.slice().sort((a, b) => new Date(a.deadline) - new Date(b.deadline));
  renderInbox(items, r.data.total);
  $('updated').textContent = '更新于 ' + new Date().toLocaleTimeString('zh-CN', { hour12: false });
}

function renderInbox(items, total) {
  state.items = items;
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('.order-item');
  const focusNumber = focused ? focused.dataset.number : null;
  $('inbox-count').textContent = String(total);
  $('inbox-empty').hidden = items.length > 0;
  const list = $('inbox');
  list.replaceChildren();
  const now = Date.now();
  for (const o of items) {
    const urgency = deadlineState(o, now);
    const li = el('li');
    const item = el('button', 'order-item ' + urgency);
    item.type = 'button';
    item.dataset.number = o.number;
    item.dataset.status = o.status;
    item.dataset.urgency = urgency;
    item.setAttribute('aria-current', String(o.number === state.selected));
    const head = el('span', 'item-head');
    head.append(el('span', 'number', o.number), el('span', 'status s-' + o.status, LABELS[o.status] || o.status));
    if (URGENCY_TEXT[urgency]) head.append(el('span', 'flag', URGENCY_TEXT[urgency]));
    const due = el('span', 'due', deadlineText(o, now) || (o.resolved_at ? '办结于 ' + beijingTime(o.resolved_at) : ''));
    const what = [(o.category_path || []).slice(-1)[0], o.district, o.street].filter(Boolean).join(' · ');
    item.append(head, el('span', 'preview', o.description || ''), el('span', 'meta', what), due);
    item.addEventListener('click', () => openOrder(o.number, true));
    li.appendChild(item);
    list.appendChild(li);
  }
  if (focusNumber) {
    const again = list.querySelector('.order-item[data-number="' + CSS.escape(focusNumber) + '"]');
    if (again) again.focus();
  }
}

function setFilter(value) {
  state.filter = value;
  for (const b of $('filters').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.filter === value));
  refreshInbox();
}

// ---------- one order ----------

async function openOrder(number, focus) {
  const r = await api('GET', '/api/units/orders/' + encodeURIComponent(number));
  if (!r.ok) { if (r.status !== 401) showError(explainError(r, '打开工单')); return; }
  if (focus) showError('');
  state.selected = number;
  for (const b of $('inbox').querySelectorAll('.order-item')) b.setAttribute('aria-current', String(b.dataset.number === number));
  renderOrder(r.data);
  document.body.classList.add('showing-order');
  if (focus) $('order-title').focus();
}

function fields(dl, pairs) {
  dl.replaceChildren();
  for (const [k, v] of pairs) if (v !== null && v !== undefined && v !== '') dl.append(el('dt', null, k), el('dd', null, v));
}

function renderOrder(o) {
  state.order = o;
  $('detail-empty').hidden = true;
  $('order').hidden = false;
  $('order').dataset.number = o.number;
  $('order').dataset.status = o.status;
  $('order-title').textContent = '工单 ' + o.number;
  $('order-status').textContent = LABELS[o.status] || o.status;
  $('order-status').dataset.status = o.status;
  const urgency = deadlineState(o);
  $('order-deadline').textContent = '办理期限 ' + beijingTime(o.deadline) + (deadlineText(o) ? '（' + deadlineText(o) + '）' : '');
  $('order-deadline').dataset.urgency = urgency;
  $('order-description').textContent = o.description || '';
  fields($('order-place'), [['区', o.district], ['街道/乡镇', o.street], ['详细地址', o.address],
    ['发生时间', o.occurred_at ? beijingTime(o.occurred_at) : null], ['持续发生', o.ongoing ? '是' : null]]);
  const summary = [['诉求分类', (o.category_path || []).join(' / ')], ['诉求类型', TYPE_LABELS[o.request_type] || o.request_type],
    ['紧急程度', URGENCY_LABELS[o.urgency] || o.urgency], ['办理期限（北京时间）', beijingTime(o.deadline)],
    ['首次响应时限', o.response_due_at ? beijingTime(o.response_due_at) : null],
    ['重新派单', o.reopen_count ? o.reopen_count + ' 次（市民反馈未解决或不满意）' : null], ['受理时间', beijingTime(o.created_at)]];
  fields($('order-summary'), summary);
  const shown = state.revealed && state.revealed.number === o.number ? state.revealed : null;
  fields($('order-contact'), [['联系人', (shown ? shown.name : o.contact_name) || '（未留）'],
    ['联系电话', (shown ? shown.phone : o.contact_phone) || '（未留）']]);
  $('order-contact').dataset.revealed = String(!!shown);
  $('reveal').hidden = !o.contact_phone || !!shown;
  $('result-block').hidden = !o.result;
  $('order-result').textContent = o.result || '';
  const ext = o.extension;
  $('extension-block').hidden = !ext;
  $('order-extension').textContent = ext ? '申请延长 ' + ext.days + ' 个工作日：' + (ext.reason || '') + (ext.at ? '（' + beijingTime(ext.at) + ' 提交）' : '') : '';
  const open = OPEN_WORK.has(o.status);
  $('actions').hidden = !open;
  $('accept').hidden = o.status !== 'dispatched';
  $('extend-form').hidden = !!ext;
  const timeline = $('timeline');
  timeline.replaceChildren();
  for (const e of o.events || []) {
    const li = el('li', 'event ev-' + e.kind);
    li.dataset.kind = e.kind;
    li.append(el('span', 'ev-time', beijingTime(e.created_at)), el('strong', 'ev-kind', eventLabel(e.kind)),
      el('span', 'ev-actor', actorLabel(e.actor)));
    const note = eventNote(e);
    if (note) li.appendChild(el('div', 'ev-note', note));
    timeline.appendChild(li);
  }
}

async function revealContact() {
  if (!state.order) return;
  const number = state.order.number;
  const r = await api('POST', '/api/units/orders/' + encodeURIComponent(number) + '/contact');
  if (!r.ok) { if (r.status !== 401) showError(explainError(r, '显示电话')); return; }
  state.revealed = { number, name: r.data.contact_name, phone: r.data.contact_phone };
  notice('已显示联系电话，查看记录已写入办理记录。');
  await openOrder(number, false);
}

// ---------- actions ----------

async function act(action, body, form) {
  if (!state.order || state.busy) return;
  state.busy = true;
  showError('');
  const number = state.order.number;
  const buttons = form ? form.querySelectorAll('button') : [$('accept')];
  for (const b of buttons) b.disabled = true;
  try {
    const r = await api('POST', '/api/tickets/' + encodeURIComponent(number) + '/' + action, body);
    if (!r.ok) { if (r.status !== 401) showError(explainError(r, ACTION_NAMES[action])); }
    else {
      if (form) form.reset();
      notice('工单 ' + number + ' ' + ACTION_NAMES[action] + '成功，当前状态：' + (LABELS[r.data.status] || r.data.status) + '。');
    }
    await openOrder(number, false);
    await refreshInbox();
    if (r.ok) $('order-title').focus();
  } finally {
    for (const b of buttons) b.disabled = false;
    state.busy = false;
  }
}

function onSubmit(id, build) {
  $(id).addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (!form.reportValidity()) return;
    const [action, body] = build();
    act(action, body, form);
  });
}

// ---------- wiring ----------

$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', () => logout(''));
$('refresh').addEventListener('click', () => { notice(''); refreshInbox(); });
for (const b of $('filters').querySelectorAll('button')) b.addEventListener('click', () => setFilter(b.dataset.filter));
$('reveal').addEventListener('click', revealContact);
$('accept').addEventListener('click', () => act('accept', {}, null));
$('back').addEventListener('click', () => {
  document.body.classList.remove('showing-order');
  const item = $('inbox').querySelector('.order-item[aria-current="true"]');
  if (item) item.focus();
});
onSubmit('reply-form', () => ['reply', { text: $('reply-text').value.trim() }]);
onSubmit('resolve-form', () => ['resolve', { text: $('resolve-text').value.trim() }]);
onSubmit('extend-form', () => ['extend', { days: Number($('extend-days').value), reason: $('extend-reason').value.trim() }]);
onSubmit('return-form', () => ['return', { reason: $('return-reason').value.trim() }]);

window.unitConsole = { state: () => state, refresh: refreshInbox, open: openOrder };

state.token = (() => { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } })();
if (state.token) enter().catch(() => logout('')); else logout('');
