// The conversation as WeChat-style rows: avatars, bubbles, time separators, quick-reply chips,
// work-order cards, knowledge-base sources, voice bubbles and the typing indicator.
// Every piece of message text goes through textContent (markup is shown as text).

import { el, emergencyCalls, kbSource, workOrderCard } from './cards.js';

const GAP_MS = 5 * 60 * 1000; // a time separator when more than 5 minutes passed
const SENDERS = ['citizen', 'bot', 'agent', 'system'];
const WHO = { citizen: '我', bot: '智能客服', agent: '人工客服' };
const AVATAR = { citizen: '我', bot: '12345', agent: '客服' };
const SVG = 'http://www.w3.org/2000/svg';

function icon(pathData) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', pathData);
  svg.appendChild(path);
  return svg;
}

const SPEAKER = 'M4 9v6h4l5 4V5L8 9H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z';

const pad = (n) => String(n).padStart(2, '0');

// "14:05" today, "昨天 14:05", "3月2日 14:05", "2025年3月2日 14:05".
export function formatSeparator(ms, now = Date.now()) {
  const d = new Date(ms);
  const today = new Date(now);
  const hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
  const dayStart = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((dayStart(today) - dayStart(d)) / 86400000);
  if (days === 0) return hm;
  if (days === 1) return '昨天 ' + hm;
  const md = (d.getMonth() + 1) + '月' + d.getDate() + '日 ';
  return (d.getFullYear() === today.getFullYear() ? '' : d.getFullYear() + '年') + md + hm;
}

export function voiceSeconds(durationMs) {
  return Math.max(1, Math.round((Number(durationMs) || 0) / 1000));
}

export class Transcript {
  constructor(container, { onChip, onSpeak }) {
    this.box = container;
    this.onChip = onChip;
    this.onSpeak = onSpeak;
    this.lastTs = null;
    this.typing = this.buildTyping();
  }

  scroll() { this.box.scrollTop = this.box.scrollHeight; }

  append(node, noScroll) {
    this.box.insertBefore(node, this.typing.isConnected ? this.typing : null);
    if (!noScroll) this.scroll();
  }

  timeSeparator(ts) {
    const ms = ts ? new Date(ts).getTime() : Date.now();
    if (isNaN(ms)) return;
    if (this.lastTs === null || ms - this.lastTs > GAP_MS) {
      const sep = el('div', 'time-sep');
      sep.appendChild(el('span', null, formatSeparator(ms)));
      this.append(sep, true);
    }
    this.lastTs = ms;
  }

  row(sender) {
    const row = el('div', 'msg msg-' + sender);
    if (sender === 'system') return { row, body: row };
    const avatar = el('div', 'avatar avatar-' + sender, AVATAR[sender]);
    avatar.setAttribute('aria-hidden', 'true');
    const body = el('div', 'msg-body');
    body.appendChild(el('span', 'visually-hidden', WHO[sender] + '：'));
    if (sender === 'agent') body.appendChild(el('div', 'msg-name', '人工客服'));
    row.append(avatar, body);
    return { row, body };
  }

  // One message frame or history entry: {sender, text, buttons, data, ts}.
  add(msg, opts = {}) {
    const sender = SENDERS.includes(msg.sender) ? msg.sender : 'bot';
    this.timeSeparator(msg.ts);
    const { row, body } = this.row(sender);
    if (msg.ts) row.dataset.ts = String(msg.ts);
    const text = msg.text == null ? '' : String(msg.text);
    const bubble = el('div', 'msg-text', text);
    if (sender === 'bot' || sender === 'agent') {
      const line = el('div', 'bubble-line');
      line.appendChild(bubble);
      if (text.trim()) line.appendChild(this.speakButton(text));
      body.appendChild(line);
    } else {
      body.appendChild(bubble);
    }
    const data = msg.data && typeof msg.data === 'object' ? msg.data : {};
    if (sender !== 'citizen') {
      const calls = emergencyCalls(data.emergency);
      if (calls) {
        // Emergency advice: red, with call buttons; a live one stays pinned on screen.
        row.classList.add('msg-emergency');
        if (!opts.noScroll) row.classList.add('msg-emergency-live');
        row.setAttribute('role', 'alert');
        body.appendChild(calls);
      }
      const kb = kbSource(data.kb);
      if (kb) body.appendChild(kb);
      const card = workOrderCard(data.work_order);
      if (card) body.appendChild(card);
      const buttons = Array.isArray(msg.buttons) ? msg.buttons : [];
      if (buttons.length) body.appendChild(this.chips(buttons, opts.disableButtons));
    }
    this.append(row, opts.noScroll);
    return row;
  }

  speakButton(text) {
    const b = el('button', 'speak');
    b.type = 'button';
    b.setAttribute('aria-label', '朗读这条消息');
    b.setAttribute('aria-pressed', 'false');
    b.title = '朗读';
    b.appendChild(icon(SPEAKER));
    b.addEventListener('click', () => this.onSpeak(text, b));
    return b;
  }

  chips(buttons, disabled) {
    const group = el('div', 'chips');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', '快捷选项');
    for (const b of buttons) {
      if (!b || typeof b !== 'object') continue;
      const title = b.title == null ? '' : String(b.title);
      const payload = b.payload == null ? title : String(b.payload);
      const chip = el('button', 'chip', title);
      chip.type = 'button';
      chip.dataset.payload = payload;
      chip.disabled = !!disabled;
      chip.addEventListener('click', () => {
        if (chip.disabled) return;
        for (const c of group.querySelectorAll('button.chip')) c.disabled = true;
        chip.classList.add('chip-chosen');
        this.onChip(payload, title);
      });
      group.appendChild(chip);
    }
    return group;
  }

  // Chips that no longer apply: all of them once an agent has joined, only `payloads` otherwise.
  disableChips(payloads) {
    for (const chip of this.box.querySelectorAll('button.chip:not(:disabled)')) {
      if (!payloads || payloads.includes(chip.dataset.payload)) chip.disabled = true;
    }
  }

  // A citizen's voice message: a green bubble with its length; the recognised text comes later.
  addVoice({ durationMs, url }) {
    this.timeSeparator(null);
    const { row, body } = this.row('citizen');
    row.classList.add('msg-voice');
    const secs = voiceSeconds(durationMs);
    const bubble = el('button', 'msg-text voice-bubble');
    bubble.type = 'button';
    bubble.style.setProperty('--voice-width', Math.min(60, 6 + secs * 2) + '%');
    bubble.setAttribute('aria-label', '语音消息 ' + secs + ' 秒' + (url ? '，按下播放' : ''));
    bubble.append(el('span', 'voice-duration', secs + '″'), icon(SPEAKER));
    if (url) {
      const audio = new Audio(url);
      bubble.addEventListener('click', () => { audio.currentTime = 0; audio.play().catch(() => {}); });
    }
    const transcript = el('div', 'voice-transcript voice-pending', '正在识别…');
    body.append(bubble, transcript);
    this.append(row);
    return row;
  }

  setTranscript(row, text) {
    const node = row.querySelector('.voice-transcript');
    if (!node) return;
    node.classList.remove('voice-pending');
    node.textContent = String(text);
  }

  markFailed(row, reason) {
    row.classList.add('msg-failed');
    const node = row.querySelector('.voice-transcript');
    if (node) {
      node.classList.remove('voice-pending');
      node.classList.add('voice-failed');
      node.textContent = reason;
    }
  }

  notice(text) {
    const node = el('div', 'error-notice', text == null ? '' : String(text));
    node.setAttribute('role', 'alert');
    this.append(node);
  }

  // Replace everything with a resumed conversation's history, then re-append `keep` nodes.
  rebuild(messages, keep) {
    this.box.replaceChildren();
    this.lastTs = null;
    const list = Array.isArray(messages) ? messages.filter((m) => m && typeof m === 'object') : [];
    // Only the newest message's buttons stay clickable.
    list.forEach((m, i) => this.add(m, { noScroll: true, disableButtons: i !== list.length - 1 }));
    for (const node of keep) this.append(node, true);
    this.scroll();
  }

  clear() {
    this.box.replaceChildren();
    this.lastTs = null;
  }

  buildTyping() {
    const row = el('div', 'typing');
    row.id = 'typing';
    row.setAttribute('aria-hidden', 'true');
    const avatar = el('div', 'avatar avatar-bot', AVATAR.bot);
    const dots = el('div', 'typing-dots');
    dots.title = '对方正在输入';
    for (let i = 0; i < 3; i++) dots.appendChild(el('span'));
    row.append(avatar, dots);
    return row;
  }

  showTyping(agent) {
    this.typing.querySelector('.avatar').className = 'avatar avatar-' + (agent ? 'agent' : 'bot');
    this.typing.querySelector('.avatar').textContent = agent ? AVATAR.agent : AVATAR.bot;
    if (!this.typing.isConnected) this.box.appendChild(this.typing);
    this.scroll();
  }

  hideTyping() { this.typing.remove(); }
}
