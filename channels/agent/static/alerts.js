// Urgent things an agent must not miss: one compact banner per emergency conversation (named by
// channel, masked caller, district or first words — never a raw id), removed once someone takes
// it; and a signal for every new queue item (a tone, the tab title, a desktop notification when
// the browser allows one). Emergencies already waiting when the agent logs in get banners too.

import { $, el } from './dom.js';
import { detectionText } from './panel.js';

const BASE_TITLE = document.title;
const signals = []; // what was signalled, newest last (the console shows it; tests read it)
let audio = null;
let known = null; // conversation ids seen in the queue (null: not yet loaded)
let handlers = { open: () => {}, take: () => {} };

export function setupAlerts(open, take) {
  handlers = { open, take };
  window.addEventListener('focus', () => { if (!document.querySelector('#alerts .alert-item[data-cid]')) document.title = BASE_TITLE; });
}

// Called from the login click: browsers allow sound and the permission prompt only after a gesture.
export function unlockSignals() {
  try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
  if ('Notification' in window && Notification.permission === 'default') Notification.requestPermission().catch(() => {});
}

export function resetAlerts() {
  known = null;
  $('alerts').replaceChildren();
  document.title = BASE_TITLE;
}

function tone(urgent) {
  if (!audio) return false;
  const now = audio.currentTime;
  for (let i = 0; i < (urgent ? 3 : 1); i += 1) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = urgent ? 880 : 660;
    gain.gain.setValueAtTime(0.0001, now + i * 0.3);
    gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.3 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.3 + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.3);
    osc.stop(now + i * 0.3 + 0.26);
  }
  return true;
}

function signal(urgent, title, cid) {
  const sound = tone(urgent);
  const waiting = document.querySelectorAll('#queue .queue-item').length;
  document.title = (urgent ? '【紧急】' : '【新排队】') + '(' + waiting + ') ' + BASE_TITLE;
  let desktop = false;
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(urgent ? '紧急会话待接入' : '新会话排队', { body: title, tag: cid, requireInteraction: urgent });
      n.onclick = () => { window.focus(); handlers.open(cid); n.close(); };
      desktop = true;
    } catch (e) { desktop = false; }
  }
  signals.push({ urgent, title, cid, sound, desktop, at: Date.now() });
}

export function signalsSoFar() { return signals.slice(); }

function urgentItem(item) { return item.reason === 'emergency' || item.alert === 'emergency' || item.priority > 0; }

// A fresh queue snapshot: banners for every waiting emergency, a signal for each new item.
export function onQueue(items) {
  const first = known === null;
  const now = new Set();
  for (const item of items) {
    now.add(item.conversation_id);
    if (urgentItem(item)) banner(item.conversation_id, item.title, item.reason || item.alert, null, item.queued_at);
    if (!first && !known.has(item.conversation_id)) signal(urgentItem(item), item.title, item.conversation_id);
    if (first && urgentItem(item)) signal(true, item.title, item.conversation_id);
  }
  known = now;
}

// An alert from the safety net (the conversation may still be with the bot, not in the queue).
export async function onAlert(e, titleOf) {
  const fresh = !document.querySelector('#alerts .alert-item[data-cid="' + CSS.escape(e.conversation_id) + '"]');
  const item = banner(e.conversation_id, '紧急会话', e.reason, (e.detail || {}).detection, null);
  const title = await titleOf(e.conversation_id);
  if (title) item.querySelector('.alert-title').textContent = title;
  if (fresh && (!known || !known.has(e.conversation_id))) signal(true, title || '紧急会话', e.conversation_id);
}

export function dropBanner(cid) {
  const item = document.querySelector('#alerts .alert-item[data-cid="' + CSS.escape(cid) + '"]');
  if (item) item.remove();
  if (!document.querySelector('#alerts .alert-item[data-cid]')) document.title = BASE_TITLE;
}

function banner(cid, title, reason, detection, since) {
  const old = document.querySelector('#alerts .alert-item[data-cid="' + CSS.escape(cid) + '"]');
  const item = el('div', 'alert-item');
  item.dataset.cid = cid;
  const services = detectionText(detection) || (old ? old.dataset.services || '' : '');
  item.dataset.services = services;
  const label = reason === 'distress' ? '情绪危机' : '紧急';
  const name = el('span', 'alert-title', title || (old ? old.querySelector('.alert-title').textContent : '紧急会话'));
  item.append(el('strong', 'alert-label', label), name);
  if (services) item.append(el('span', 'alert-services', services.replace(/（.*）$/, '')));
  const wait = el('span', 'wait', '');
  if (since || (old && old.querySelector('.wait[data-since]'))) {
    wait.dataset.since = since || old.querySelector('.wait[data-since]').dataset.since;
    item.append(wait);
  }
  const take = el('button', 'primary', '接入');
  take.type = 'button';
  take.addEventListener('click', () => handlers.take(cid));
  const look = el('button', null, '查看');
  look.type = 'button';
  look.addEventListener('click', () => handlers.open(cid));
  item.append(take, look);
  if (old) old.replaceWith(item); else $('alerts').appendChild(item);
  return item;
}
