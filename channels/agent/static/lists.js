// The two lists of the desk's sidebar: the queue and the conversations an agent holds. Each item
// is named humanly (channel · masked caller · district · first words), shows the last words, how
// long the citizen has waited and (held ones) how many messages are unread. Both lists work from
// the keyboard: Tab reaches the list, ↑/↓ move, Enter opens, the 接入 button takes.

import { $, el } from './dom.js';
import { REASONS } from './panel.js';

const CHANNELS = { web: '网页', tg: 'Telegram', phone: '电话' };
const unread = new Map(); // conversation id -> messages from the citizen not yet seen

export function waited(iso) {
  const s = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
  const m = Math.floor(s / 60);
  return (m >= 60 ? Math.floor(m / 60) + '时' + String(m % 60).padStart(2, '0') : String(m).padStart(2, '0')) + ':' + String(s % 60).padStart(2, '0');
}

export function titleOf(item) {
  return item.title || ((CHANNELS[item.channel] || item.channel) + ' · 会话');
}

function keyboard(list) {
  list.addEventListener('keydown', (ev) => {
    const items = [...list.querySelectorAll(':scope > li')];
    const at = items.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    if (ev.key === 'ArrowDown') next = items[Math.min(at + 1, items.length - 1)];
    else if (ev.key === 'ArrowUp') next = items[Math.max(at - 1, 0)];
    else if (ev.key === 'Home') next = items[0];
    else if (ev.key === 'End') next = items[items.length - 1];
    else if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); items[at].click(); return; }
    if (next) { ev.preventDefault(); next.focus(); }
  });
}

function focusable(li, label, open) {
  li.tabIndex = 0;
  li.setAttribute('aria-label', label);
  li.addEventListener('click', open);
}

export function renderQueue(items, open, take) {
  const list = $('queue');
  const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest('#queue > li') : null;
  const focusedCid = focused ? focused.dataset.cid : null;
  $('queue-length').textContent = String(items.length);
  list.replaceChildren();
  for (const item of items) {
    const urgent = item.priority > 0 || item.alert;
    const li = el('li', 'queue-item' + (urgent ? ' urgent' : ''));
    li.dataset.cid = item.conversation_id;
    const head = el('div', 'item-head');
    head.append(el('span', 'pos', '#' + item.position), el('span', 'reason', REASONS[item.reason] || item.reason || '转人工'),
      el('span', 'wait', waited(item.queued_at)));
    head.lastChild.dataset.since = item.queued_at;
    head.lastChild.title = '已等待';
    const take_ = el('button', 'take', '接入');
    take_.type = 'button';
    take_.addEventListener('click', (ev) => { ev.stopPropagation(); take(item.conversation_id); });
    take_.addEventListener('keydown', (ev) => ev.stopPropagation());
    li.append(el('div', 'item-title', titleOf(item)), head, el('div', 'preview', item.preview || ''), take_);
    focusable(li, titleOf(item) + '，' + (REASONS[item.reason] || '转人工') + '，排第' + item.position + '位', () => open(item.conversation_id));
    list.appendChild(li);
    if (item.conversation_id === focusedCid) li.focus();
  }
}

export function renderMine(items, me, openCid, open) {
  const list = $('mine');
  list.replaceChildren();
  for (const item of items) {
    const li = el('li', 'mine-item' + (item.alert ? ' urgent' : '') + (item.conversation_id === openCid ? ' current' : ''));
    li.dataset.cid = item.conversation_id;
    const head = el('div', 'item-head');
    head.append(el('span', 'item-title', titleOf(item)));
    const n = item.conversation_id === openCid ? 0 : (unread.has(item.conversation_id) ? unread.get(item.conversation_id) : item.unanswered || 0);
    unread.set(item.conversation_id, n);
    const badge = el('span', 'unread', String(n));
    badge.hidden = !n;
    badge.title = '未读消息';
    head.append(badge);
    const wait = el('span', 'wait', item.waiting_since ? waited(item.waiting_since) : '');
    if (item.waiting_since) { wait.dataset.since = item.waiting_since; wait.title = '市民等待回复'; }
    head.append(wait);
    li.append(head, el('div', 'preview', (me.role === 'supervisor' && item.agent_name ? item.agent_name + '：' : '') + (item.preview || '')));
    focusable(li, titleOf(item) + (n ? '，' + n + '条未读' : ''), () => open(item.conversation_id));
    list.appendChild(li);
  }
}

// A message arrived on a held conversation that is not on screen: count it, show the wait.
export function noteMessage(cid, message, openCid) {
  const li = document.querySelector('#mine > li[data-cid="' + CSS.escape(cid) + '"]');
  if (!li) return;
  const wait = li.querySelector('.wait');
  if (message.sender === 'citizen') {
    if (!wait.dataset.since) { wait.dataset.since = message.ts || new Date().toISOString(); wait.textContent = waited(wait.dataset.since); }
    if (cid !== openCid) {
      const n = (unread.get(cid) || 0) + 1;
      unread.set(cid, n);
      const badge = li.querySelector('.unread');
      badge.textContent = String(n);
      badge.hidden = false;
    }
    li.querySelector('.preview').textContent = message.text || '';
  } else if (message.sender === 'agent') {
    delete wait.dataset.since;
    wait.textContent = '';
  }
}

export function markRead(cid) {
  unread.set(cid, 0);
  for (const li of document.querySelectorAll('#mine > li')) li.classList.toggle('current', li.dataset.cid === cid);
  const li = document.querySelector('#mine > li[data-cid="' + CSS.escape(cid) + '"] .unread');
  if (li) li.hidden = true;
}

export function setupLists() { keyboard($('queue')); keyboard($('mine')); }
