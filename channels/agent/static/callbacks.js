// 回访回电 in the agent console: resolved orders whose citizen could not be told the result on
// their channel, or did not answer the survey within 72 hours. The agent calls the citizen and
// records the answers: 问题解决了吗？ (已解决 / 未解决), then after 已解决 您对办理结果满意吗？
// (满意 / 基本满意 / 不满意). 未解决 and 不满意 reopen the order to its unit.

import { $, el } from './dom.js';
import { CHANNEL_LABELS, beijingTime, explainError, placeText } from './orders.js';

const REFRESH_MS = 30000;
const QUESTIONS = {
  resolved: { text: '问题解决了吗？', answers: ['已解决', '未解决'] },
  satisfaction: { text: '您对办理结果满意吗？', answers: ['满意', '基本满意', '不满意'] },
};
const c = { api: null, notice: null, timer: null, items: [], seq: 0 };

export async function refreshCallbacks() {
  if (!c.api) return;
  const seq = ++c.seq;
  const r = await c.api('GET', '/api/followup/callbacks');
  if (seq !== c.seq) return;  // a newer refresh is under way
  if (!r.ok) { if (r.status !== 401) c.notice(explainError(r, '刷新回访列表'), 'error'); return; }
  c.items = r.data.items;
  $('callbacks-total').textContent = String(r.data.total);
  render();
}

function render() {
  const list = $('callbacks');
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('.callback');
  const focusKey = focused ? [focused.dataset.number, document.activeElement.dataset.answer || ''] : null;
  list.replaceChildren();
  $('callbacks-empty').hidden = c.items.length > 0;
  for (const o of c.items) list.appendChild(card(o));
  if (focusKey) {
    const item = list.querySelector('.callback[data-number="' + CSS.escape(focusKey[0]) + '"]');
    const target = item && (item.querySelector('[data-answer="' + CSS.escape(focusKey[1]) + '"]') || item.querySelector('button'));
    if (target) target.focus();
  }
}

function card(o) {
  const li = el('li', 'callback');
  li.dataset.number = o.number;
  const question = o.survey && o.survey.resolved === true ? 'satisfaction' : 'resolved';
  li.dataset.question = question;
  const head = el('div', 'item-head');
  head.append(el('strong', null, o.number), el('span', 'badge', (o.category_path || []).slice(-1)[0] || '未分类'),
    el('span', null, '渠道：' + (CHANNEL_LABELS[o.channel] || o.channel)), el('span', 'wait', '办结于 ' + beijingTime(o.resolved_at)));
  const who = el('div', 'contact');
  who.append(el('span', null, '联系人：' + (o.contact_name || '（未留）')), el('span', 'phone', '电话：' + (o.contact_phone || '（未留）')));
  const fields = el('dl', 'fields');
  for (const [k, v] of [['诉求', o.description], ['地点', placeText(o)], ['承办单位', o.unit ? o.unit.name || o.unit.code : ''],
    ['办理结果', o.result]]) if (v) fields.append(el('dt', null, k), el('dd', null, v));
  const ask = el('div', 'survey');
  ask.setAttribute('role', 'group');
  ask.setAttribute('aria-label', '工单 ' + o.number + ' 回访：' + QUESTIONS[question].text);
  ask.appendChild(el('span', 'question', (question === 'satisfaction' ? '已解决。' : '') + QUESTIONS[question].text));
  for (const answer of QUESTIONS[question].answers) {
    const b = el('button', 'answer', answer);
    b.type = 'button';
    b.dataset.answer = answer;
    b.addEventListener('click', () => record(o.number, question, answer, li));
    ask.appendChild(b);
  }
  li.append(head, who, fields, ask);
  return li;
}

async function record(number, question, answer, li) {
  for (const b of li.querySelectorAll('button')) b.disabled = true;
  const r = await c.api('POST', '/api/followup/' + encodeURIComponent(number) + '/answer', { question, answer });
  if (!r.ok) {
    if (r.status !== 401) c.notice(explainError(r, '记录回访'), 'error');
    for (const b of li.querySelectorAll('button')) b.disabled = false;
    await refreshCallbacks();
    return;
  }
  const status = r.data.status;
  if (status === 'visited') c.notice('工单 ' + number + ' 回访完成：' + answer + '。');
  else if (status === 'dispatched') c.notice('工单 ' + number + ' 已记录「' + answer + '」，已重新派给承办单位办理。');
  else if (status === 'returned') c.notice('工单 ' + number + ' 已记录「' + answer + '」，多次未解决，已转班长调度。');
  else c.notice('工单 ' + number + ' 已记录「' + answer + '」，请继续询问满意度。');
  await refreshCallbacks();
  const again = $('callbacks').querySelector('.callback[data-number="' + CSS.escape(number) + '"] button.answer');
  if (again) again.focus();
}

export function startCallbacks(api, notice) {
  stopCallbacks();
  c.api = api;
  c.notice = notice;
  refreshCallbacks();
  c.timer = setInterval(refreshCallbacks, REFRESH_MS);
}

export function stopCallbacks() {
  clearInterval(c.timer);
  c.api = null;
}

// A live work-order event (supervisors' consoles): a resolve or a notice may add to the list.
export function onCallbackEvent(e) {
  if (c.api && ['resolve', 'notified', 'visited', 'reopened'].includes(e.event)) refreshCallbacks();
}

$('callbacks-refresh').addEventListener('click', refreshCallbacks);
window.callbackList = { refresh: refreshCallbacks };
