// Agent console of the 12345 hotline: queue, take, transcript, reply, hand back, close with a
// work order; supervisors see all agents and can watch any conversation.
// Plain ES modules. Every text from the server is rendered with textContent (never innerHTML).

import { $, confirmed, el } from './dom.js';
import { dropBanner, onAlert, onQueue, resetAlerts, setupAlerts, unlockSignals, signalsSoFar } from './alerts.js';
import { markRead, noteMessage, renderMine as drawMine, renderQueue as drawQueue, setupLists, titleOf, waited } from './lists.js';
import { renderOverview } from './supervisor.js';
import { onCallbackEvent, refreshCallbacks, startCallbacks, stopCallbacks } from './callbacks.js';
import { onWorkOrderEvent, refreshDispatch, startDispatch, stopDispatch } from './dispatch.js';
import { setupKnowledgeSearch } from './kb.js';
import { loadSurges, surgeAlert } from './surges.js';
import { draftPatch, fillDraft, renderSummary, setupPhoneMask, showErrors } from './panel.js';
import { onTab, selectTab, setupTabs, showTabs } from './tabs.js';

const TOKEN_KEY = 'hotline.agent.token';
const DISTRICTS = ['东城区', '西城区', '朝阳区', '丰台区', '石景山区', '海淀区', '门头沟区', '房山区',
  '通州区', '顺义区', '昌平区', '大兴区', '怀柔区', '平谷区', '密云区', '延庆区'];
const MODES = { bot: '智能客服', queued: '排队中', agent: '人工服务中' };
const SENDERS = { citizen: '市民', bot: '智能客服', agent: '坐席', system: '系统' };


const state = { token: null, me: null, ws: null, backoff: 500, queue: [], mine: [], open: null, seen: new Set(), names: {} };
const nameOf = (username) => state.names[username] || username;

// ---------- HTTP ----------

async function api(method, path, body) {
  const resp = await fetch(path, {
    method,
    headers: { 'Authorization': 'Bearer ' + state.token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 401) { logout('登录已过期，请重新登录。'); throw new Error('unauthorized'); }
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  return { ok: resp.ok, status: resp.status, data };
}

function notice(text, kind) {
  const box = $('notice');
  box.textContent = text || '';
  box.dataset.kind = kind || 'info';
}

function conflictText(r) {
  const d = r.data || {};
  if (d.code === 'taken_by_other') return '该会话已由坐席 ' + nameOf(d.agent || '') + ' 接入。';
  if (d.code === 'not_held') return '该会话当前不在您的服务中。';
  if (d.code === 'invalid_work_order') return '工单草稿不完整，请补全后再结束。';
  return '操作失败（' + r.status + '）：' + (d.detail || '');
}

// ---------- login ----------

async function login(ev) {
  ev.preventDefault();
  unlockSignals();
  $('login-error').textContent = '';
  const resp = await fetch('/api/agent/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: $('username').value.trim(), password: $('password').value }),
  });
  const data = await resp.json().catch(() => ({}));
  if (resp.status === 429) { $('login-error').textContent = '登录尝试过于频繁，请稍后再试。'; return; }
  if (!resp.ok) { $('login-error').textContent = '工号或密码错误。'; return; }
  state.token = data.token;
  try { sessionStorage.setItem(TOKEN_KEY, data.token); } catch (e) { /* memory only */ }
  $('password').value = '';
  await enter();
}

function logout(message) {
  state.token = null;
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
  const ws = state.ws;
  state.ws = null;
  if (ws) ws.close();
  stopDispatch(); stopCallbacks(); resetAlerts();
  $('desk-view').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message || '';
}

async function enter() {
  const me = await api('GET', '/api/agent/me');
  if (!me.ok) return;
  state.me = me.data.agent;
  state.names[state.me.username] = state.me.display_name;
  $('me').textContent = state.me.display_name + '（' + (state.me.role === 'supervisor' ? '班长' : '坐席') + '）';
  $('hours').textContent = '人工服务时间 ' + me.data.working_hours;
  $('login-view').hidden = true;
  $('desk-view').hidden = false;
  showTabs(state.me.role);
  startDispatch(api, notice, state.me.role);
  startCallbacks(api, notice);
  loadSurges(api, state.me.role);
  const canned = await api('GET', '/api/agent/canned');
  const select = $('canned');
  select.replaceChildren(el('option', null, '常用语…'));
  select.firstChild.value = '';
  for (const item of (canned.data && canned.data.items) || []) {
    const opt = el('option', null, item.title);
    opt.value = item.text;
    select.appendChild(opt);
  }
  connect();
}

// ---------- live events ----------

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(proto + '//' + location.host + '/ws/agent?token=' + encodeURIComponent(state.token));
  state.ws = ws;
  ws.onopen = () => { if (ws === state.ws) { setConn(true); state.backoff = 500; } };
  ws.onmessage = (ev) => { if (ws === state.ws) onEvent(JSON.parse(ev.data)); };
  ws.onclose = (ev) => {
    if (ws !== state.ws) return;
    setConn(false);
    if (ev.code === 4401) { logout('登录已过期，请重新登录。'); return; }
    setTimeout(() => { if (state.token && ws === state.ws) connect(); }, state.backoff);
    state.backoff = Math.min(state.backoff * 2, 5000);
  };
}

function setConn(open) {
  $('conn').dataset.state = open ? 'open' : 'closed';
  $('conn').textContent = open ? '已连接' : '连接中断，正在重连…';
}

function send(frame) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
}

function onEvent(e) {
  switch (e.type) {
    case 'hello':
      renderQueue(e.queue); renderMine(e.conversations);
      if (state.open) { send({ type: 'watch', conversation_id: state.open.conversation_id }); openConversation(state.open.conversation_id); }
      refreshOverview();
      break;
    case 'queue': renderQueue(e.items); refreshOverview(); break;
    case 'alert': onAlert(e, alertTitle); break;
    case 'emergency_delivery': emergencyDelivery(e); break;
    case 'surge': surgeAlert(e); break;
    case 'handoff': if (e.reason === 'emergency') notice('紧急会话进入排队，请优先接入。', 'alert'); break;
    case 'taken': case 'released': case 'closed': case 'left':
      if (e.agent_name) state.names[e.agent] = e.agent_name;
      if (e.type !== 'released') dropBanner(e.conversation_id);
      refreshMine(); refreshOverview();
      if (e.type === 'left') break;
      if (state.open && state.open.conversation_id === e.conversation_id) {
        if (state.me.role === 'supervisor' || (e.type === 'taken' && e.agent === state.me.username)) openConversation(e.conversation_id);
        else endView(e);
      }
      break;
    case 'message':
      if (state.open && state.open.conversation_id === e.conversation_id) appendMessage(e.message);
      noteMessage(e.conversation_id, e.message, state.open && state.open.conversation_id);
      break;
    case 'draft':
      if (state.open && state.open.conversation_id === e.conversation_id && e.agent !== state.me.username) fillDraft(e.draft);
      break;
    case 'agents': refreshOverview(); break;
    case 'work_order': onWorkOrderEvent(e); onCallbackEvent(e); break;
    case 'error': if (e.message) notice(e.message, 'error'); break;
    default: break;
  }
}

// ---------- lists ----------

function renderQueue(items) {
  state.queue = Array.isArray(items) ? items : [];
  drawQueue(state.queue, openConversation, takeConversation);
  onQueue(state.queue);
}

function renderMine(items) {
  state.mine = (Array.isArray(items) ? items : []).map((i) => ({ ...i, agent_name: nameOf(i.agent) }));
  drawMine(state.mine, state.me, state.open && state.open.conversation_id, openConversation);
}

// The human name of a conversation the safety net alerted on (it may not be in the queue).
async function alertTitle(cid) {
  const known = state.queue.find((q) => q.conversation_id === cid) || state.mine.find((q) => q.conversation_id === cid);
  if (known && known.title) return known.title;
  const r = await api('GET', '/api/agent/conversations/' + encodeURIComponent(cid));
  return r.ok ? r.data.title : null;
}

async function refreshMine() {
  const r = await api('GET', '/api/agent/conversations');
  if (r.ok) renderMine(r.data.items);
}

async function refreshOverview() {
  if (!state.me || state.me.role !== 'supervisor') return;
  const r = await api('GET', '/api/agent/overview');
  if (!r.ok) return;
  for (const a of r.data.agents) state.names[a.username] = a.display_name;
  renderOverview(r.data, {
    open: (cid) => { selectTab($('tab-desk'), false); openConversation(cid); },
    release: async (cid) => {
      if (!(await confirmed('将该会话转回智能客服？坐席离线，市民将继续由智能客服接待。', '转回智能客服'))) return;
      const x = await api('POST', '/api/agent/conversations/' + encodeURIComponent(cid) + '/release');
      notice(x.ok ? '已转回智能客服。' : conflictText(x), x.ok ? 'info' : 'error');
    },
    titleOf: (cid) => { const m = state.mine.find((i) => i.conversation_id === cid); return m ? titleOf(m) : '会话'; },
  });
}

// 12345+110: whether the emergency work order reached the emergency services' platform.
function emergencyDelivery(e) {
  const item = el('div', 'alert-item');
  item.dataset.workOrder = e.work_order;
  item.dataset.delivered = e.delivered ? 'yes' : 'no';
  item.append(el('strong', null, e.delivered ? '已推送联动' : '联动推送未成功'), el('span', null, ' 紧急工单 ' + e.work_order
    + (e.delivered ? ' 已送达应急联动平台' : '（第' + e.attempts + '次，自动重试中）')));
  const old = document.querySelector('#alerts [data-work-order="' + e.work_order + '"]');
  if (old) old.replaceWith(item); else $('alerts').appendChild(item);
}

// ---------- one conversation ----------

let opening = 0; // only the latest request is shown (a take re-opens while an older answer is on its way)

async function openConversation(cid) {
  const ticket = ++opening;
  const r = await api('GET', '/api/agent/conversations/' + encodeURIComponent(cid));
  if (ticket !== opening) return;
  if (!r.ok) { notice(r.status === 403 ? '无权查看该会话。' : conflictText(r), 'error'); return; }
  const d = r.data;
  if (!state.open || state.open.conversation_id !== cid) {
    if (state.open) send({ type: 'unwatch', conversation_id: state.open.conversation_id });
    send({ type: 'watch', conversation_id: cid });
  }
  state.open = d;
  state.seen = new Set();
  $('conv-empty').hidden = true;
  $('conv').hidden = false;
  $('conv').dataset.cid = cid;
  $('conv-title').textContent = d.title || titleOf(d);
  if (d.agent && d.agent_name) state.names[d.agent] = d.agent_name;
  markRead(cid);
  $('conv-mode').textContent = MODES[d.mode] || d.mode;
  $('conv-mode').dataset.mode = d.mode;
  $('conv-agent').textContent = d.agent ? '坐席：' + nameOf(d.agent) : '';
  const mine = d.mode === 'agent' && d.agent === state.me.username;
  $('take').hidden = d.mode === 'agent';
  for (const id of ['release', 'close-order', 'close-plain']) $(id).hidden = !mine;
  if (state.me.role === 'supervisor' && d.mode === 'agent') $('release').hidden = false; // an absent agent's conversation
  $('composer').hidden = !mine;
  $('readonly').hidden = mine || d.mode !== 'agent';
  $('transcript').replaceChildren();
  for (const m of d.transcript) appendMessage(m);
  renderSummary(d.summary);
  $('draft-form').hidden = false;
  fillDraft(d.draft);
  for (const input of $('draft-form').elements) input.disabled = !mine;
  $('work-order').textContent = d.work_order ? '工单 ' + d.work_order : '';
  $('draft-category').textContent = d.category ? '诉求分类（按诉求内容自动判定）：' + d.category : '';
}

// The open conversation left this agent's hands (or went to another agent): keep the transcript
// on screen, read-only.
function endView(e) {
  const mode = e.type === 'taken' ? 'agent' : 'bot';
  state.open.mode = mode;
  $('conv-mode').textContent = MODES[mode];
  $('conv-mode').dataset.mode = mode;
  $('conv-agent').textContent = e.type === 'taken' ? '坐席：' + nameOf(e.agent) : '';
  for (const id of ['take', 'release', 'close-order', 'close-plain', 'composer']) $(id).hidden = true;
  for (const input of $('draft-form').elements) input.disabled = true;
  if (e.type === 'taken') notice('该会话已由坐席 ' + nameOf(e.agent) + ' 接入。');
  if (e.work_order) $('work-order').textContent = '工单 ' + e.work_order;
}

function appendMessage(m) {
  const key = [m.sender, m.ts, m.text].join('|');
  if (state.seen.has(key)) return;
  state.seen.add(key);
  const sender = SENDERS[m.sender] ? m.sender : 'system';
  const li = el('li', 'msg msg-' + sender + (m.delivered === false ? ' undelivered' : ''));
  const time = m.ts ? new Date(m.ts).toLocaleTimeString('zh-CN', { hour12: false }) : '';
  const kind = m.kind === 'voice' ? '（语音转写）' : '';
  li.append(el('div', 'msg-meta', SENDERS[sender] + kind + ' ' + time + (m.delivered === false ? ' · 未发送' : '')),
    el('div', 'msg-text', m.title || m.text));
  $('transcript').appendChild(li);
  $('transcript').scrollTop = $('transcript').scrollHeight;
}

// ---------- actions ----------

async function takeConversation(cid) {
  const r = await api('POST', '/api/agent/conversations/' + encodeURIComponent(cid) + '/take');
  if (!r.ok) { notice(conflictText(r), 'error'); return; }
  notice('已接入会话。');
  await refreshMine();
  await openConversation(cid);
  $('reply').focus();
}

async function act(action, body) {
  const cid = state.open.conversation_id;
  const r = await api('POST', '/api/agent/conversations/' + encodeURIComponent(cid) + '/' + action, body);
  if (!r.ok) { notice(conflictText(r), 'error'); showErrors(r); return null; }
  return r.data;
}

async function sendReply(ev) {
  ev.preventDefault();
  const text = $('reply').value.trim();
  if (!text || !state.open) return;
  const data = await act('messages', { text });
  if (data) { $('reply').value = ''; appendMessage(data.message); }
}

async function saveDraft(ev) {
  ev.preventDefault();
  const cid = state.open.conversation_id;
  const r = await api('PUT', '/api/agent/conversations/' + encodeURIComponent(cid) + '/draft', draftPatch());
  $('draft-errors').replaceChildren();
  if (!r.ok) { notice('草稿未保存：请检查填写内容。', 'error'); showErrors(r); return; }
  notice('草稿已保存。');
}

async function closeConversation(workOrder) {
  if (!workOrder && !(await confirmed('结束本次人工服务且不登记工单？市民的诉求将不会进入工单系统。', '结束（不登记）'))) return;
  const data = await act('close', workOrder ? { work_order: true, draft: draftPatch() } : { work_order: false });
  if (!data) return;
  notice(data.work_order ? '会话已结束，工单 ' + data.work_order + (data.work_order_action === 'updated' ? ' 已更新。' : ' 已登记。') : '会话已结束。');
  $('draft-errors').replaceChildren();
}

// ---------- wiring ----------
setupKnowledgeSearch($('reply'));
setupLists();
setupPhoneMask();
setupAlerts((cid) => openConversation(cid), (cid) => takeConversation(cid));
setupTabs();
onTab((id) => {
  if (id === 'tab-dispatch') refreshDispatch();
  if (id === 'tab-callbacks') refreshCallbacks();
  if (id === 'tab-team') refreshOverview();
});

$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', () => logout(''));
$('take').addEventListener('click', () => state.open && takeConversation(state.open.conversation_id));
$('release').addEventListener('click', async () => {
  if (!(await confirmed('将该会话转回智能客服？转回后您将不再接待该市民。', '转回智能客服'))) return;
  if (await act('release')) notice('已转回智能客服。');
});
$('close-order').addEventListener('click', () => closeConversation(true));
$('close-plain').addEventListener('click', () => closeConversation(false));
$('composer').addEventListener('submit', sendReply);
$('draft-form').addEventListener('submit', saveDraft);
$('reply').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendReply(e); }
});
$('canned').addEventListener('change', () => {
  const text = $('canned').value;
  if (text) { const box = $('reply'); box.value = box.value ? box.value + text : text; box.focus(); }
  $('canned').value = '';
});
const districtSelect = $('draft-form').elements.namedItem('district');
for (const d of DISTRICTS) { const o = el('option', null, d); o.value = d; districtSelect.appendChild(o); }
setInterval(() => { for (const w of document.querySelectorAll('.wait[data-since]')) w.textContent = waited(w.dataset.since); }, 1000);

window.agentConsole = { state: () => state, open: openConversation, signals: signalsSoFar };

state.token = (() => { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } })();
if (state.token) enter().catch(() => logout('')); else logout('');
