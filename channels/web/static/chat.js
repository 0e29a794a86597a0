// Citizen chat page of the 12345 hotline assistant (also the inside of the embeddable widget).
// Plain ES modules, no build step. Message text is only ever set with textContent.

import { ChatConnection } from './connection.js';
import { elderMode, setElderMode } from './prefs.js';
import { Transcript } from './render.js';
import { speak, speechMode, stopSpeaking } from './speech.js';
import { HoldToTalk, blobToBase64, voiceSupported } from './voice.js';

const MAX_LEN = 2000;
const MAX_AUDIO_BASE64 = 4 * 1024 * 1024 - 1024; // stays under the gateway's WebSocket frame limit
const TYPING_TIMEOUT_MS = 20000;
const ACK_PATIENCE_MS = 1500; // an unacknowledged message is shown as pending after this
const MODE_LABELS = { bot: '智能客服', queued: '排队中', agent: '人工客服' };
const QUEUE_PAYLOADS = ['/back_to_bot', '/callback', '/cancel_callback']; // only mean something while queued
const AUDIO_ERRORS = new Set([
  'invalid_audio', 'audio_unavailable', 'audio_too_large', 'audio_too_long', 'audio_undecodable', 'audio_no_speech',
]);

const $ = (id) => document.getElementById(id);
const $messages = $('messages');
const $input = $('input');
const $send = $('send');
const $form = $('composer');
const $counter = $('counter');
const $mode = $('mode');
const $conn = $('conn');
const $elder = $('elder-toggle');
const $voiceToggle = $('voice-toggle');
const $talk = $('talk');

let mode = 'bot';
let pending = [];            // citizen bubbles not yet acknowledged by the server, oldest first
let sentThisConn = [];       // citizen bubbles sent on the current socket (kept across a history rebuild)
let awaitingTranscript = []; // voice bubbles sent on the current socket, waiting for their transcript
let typingTimer = null;

const transcript = new Transcript($messages, {
  onChip: (payload, title) => send({ type: 'button', payload, title }, citizenBubble(title)),
  onSpeak: speak,
});

const conn = new ChatConnection({
  onFrame: handleFrame,
  onState: (open) => setConn(open),
  onConnecting: () => { sentThisConn = []; awaitingTranscript = []; hideTyping(); },
});

// ---------- state shown in the title bar ----------

function setMode(value) {
  const before = mode;
  mode = MODE_LABELS[value] ? value : 'bot';
  // An agent joined: every earlier chip (menus, 返回智能客服) is stale. Out of the queue: its chips are.
  if (mode === 'agent' && before !== 'agent') transcript.disableChips(null);
  else if (mode === 'bot' && before !== 'bot') transcript.disableChips(QUEUE_PAYLOADS);
  $mode.textContent = MODE_LABELS[mode];
  $mode.dataset.mode = mode;
}

function setConn(open, label) {
  $conn.dataset.state = open ? 'open' : 'closed';
  $conn.textContent = label || (open ? '已连接' : '连接中断，正在重连…');
}

function showTyping() {
  if (mode === 'agent') return; // an agent's answer may take minutes: no dots
  transcript.showTyping(false);
  clearTimeout(typingTimer);
  typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
}

function hideTyping() {
  clearTimeout(typingTimer);
  transcript.hideTyping();
}

// ---------- sending ----------

function citizenBubble(text) {
  return transcript.add({ sender: 'citizen', text, ts: new Date().toISOString() });
}

// Send a frame for a citizen bubble; the bubble shows 等待发送 until the server has stored it (at
// once when offline, after a moment when the acknowledgement is slow), 未发送 if it was refused.
function send(frame, node, isVoice) {
  const slow = setTimeout(() => markPending(node, true), ACK_PATIENCE_MS);
  pending.push(node);
  const sentNow = conn.submit(frame, {
    onSent: () => {
      if (!sentThisConn.includes(node)) sentThisConn.push(node);
      if (isVoice) awaitingTranscript.push(node);
      showTyping();
    },
    onAck: () => { clearTimeout(slow); settle(node); },
    onRefused: () => {
      clearTimeout(slow);
      settle(node);
      if (!isVoice) node.classList.add('msg-failed');
    },
  });
  if (!sentNow) markPending(node, true);
}

function markPending(node, on) {
  node.classList.toggle('msg-pending', on);
  if (on) node.title = '等待发送';
  else node.removeAttribute('title');
}

function settle(node) {
  pending = pending.filter((n) => n !== node);
  markPending(node, false);
}

function sendInput() {
  const text = $input.value.trim().slice(0, MAX_LEN);
  if (!text) return;
  send({ type: 'text', text }, citizenBubble(text));
  $input.value = '';
  updateComposer();
  $input.focus();
}

async function sendVoice({ blob, format, durationMs }) {
  const row = transcript.addVoice({ durationMs, url: URL.createObjectURL(blob) });
  const data = await blobToBase64(blob);
  if (data.length > MAX_AUDIO_BASE64) {
    transcript.markFailed(row, '语音太长，未发送');
    transcript.notice('语音太长了，请分几段发送或改用文字。');
    return;
  }
  send({ type: 'audio', format, data }, row, true);
}

// ---------- frames from the server ----------

function handleFrame(f) {
  switch (f.type) {
    case 'history':
      transcript.rebuild(f.messages, [...new Set([...sentThisConn, ...pending])]);
      break;
    case 'message':
      hideTyping();
      transcript.add(f);
      break;
    case 'transcript': {
      const row = awaitingTranscript.shift();
      if (row) transcript.setTranscript(row, f.text == null ? '' : f.text);
      break;
    }
    case 'status':
      setMode(f.mode);
      if (mode === 'agent') hideTyping();
      break;
    case 'error':
      hideTyping();
      if (AUDIO_ERRORS.has(f.code)) {
        const row = awaitingTranscript.shift();
        if (row) transcript.markFailed(row, '未能识别');
      }
      transcript.notice(f.message || '发生错误，请稍后再试');
      break;
    default:
      break; // session is handled by the connection; unknown frame types are ignored
  }
}

function newConversation() {
  stopSpeaking();
  hideTyping();
  pending = [];
  transcript.clear();
  setMode('bot');
  setConn(false, '正在连接…');
  conn.restart();
  $input.focus();
}

// ---------- composer ----------

function updateComposer() {
  if ($input.value.length > MAX_LEN) $input.value = $input.value.slice(0, MAX_LEN);
  const len = $input.value.length;
  $counter.textContent = len + '/' + MAX_LEN;
  $counter.classList.toggle('counter-full', len >= MAX_LEN);
  // The send button stays enabled (empty input is ignored); only its look changes.
  $send.classList.toggle('send-idle', $input.value.trim() === '');
  $input.style.height = 'auto';
  $input.style.height = $input.scrollHeight + 'px';
}

function setVoiceMode(on) {
  $form.classList.toggle('voice-mode', on);
  $talk.hidden = !on;
  $voiceToggle.setAttribute('aria-pressed', on ? 'true' : 'false');
  $voiceToggle.setAttribute('aria-label', on ? '切换到文字输入' : '切换到语音输入');
  $voiceToggle.title = on ? '文字输入' : '语音输入';
  (on ? $talk : $input).focus();
}

$form.addEventListener('submit', (e) => { e.preventDefault(); sendInput(); });
$input.addEventListener('input', updateComposer);
$input.addEventListener('keydown', (e) => {
  // Enter sends, Shift+Enter inserts a newline; ignore Enter while an IME is composing.
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    sendInput();
  }
});
$('new-chat').addEventListener('click', () => {
  // Ask first when there is something to lose (the current conversation ends for this page).
  if ($messages.querySelector('.msg-citizen') && !window.confirm('开始新对话吗？当前对话记录将从本页清除。')) return;
  newConversation();
});
function applyElderMode(on) {
  setElderMode(on, $elder);
  $input.placeholder = on ? '请输入您的问题' : '请输入您要咨询或反映的问题';
  updateComposer();
}

$elder.addEventListener('click', () => applyElderMode(!elderMode()));
window.addEventListener('online', () => conn.reconnectNow());

if (voiceSupported()) {
  $voiceToggle.hidden = false;
  $voiceToggle.addEventListener('click', () => setVoiceMode(!$form.classList.contains('voice-mode')));
  new HoldToTalk($talk, $('recording'), {
    onRecorded: (rec) => { sendVoice(rec).catch(() => transcript.notice('语音发送失败，请重试或改用文字。')); },
    onError: (message) => transcript.notice(message),
  });
}

// Inside the embeddable widget (widget.js loads this page with ?embed=1 in an iframe).
if (new URLSearchParams(location.search).has('embed')) {
  document.documentElement.classList.add('embedded');
  const close = $('close-widget');
  close.hidden = false;
  close.addEventListener('click', () => window.parent.postMessage({ type: 'hotline:close' }, '*'));
  window.addEventListener('message', (e) => {
    if (e.source === window.parent && e.data && e.data.type === 'hotline:open') $input.focus();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented) window.parent.postMessage({ type: 'hotline:close' }, '*');
  });
}

window.hotlineChat = {
  conversationId: () => conn.currentId,
  socket: () => conn.socket,
  speechMode,
};

applyElderMode(elderMode());
conn.connect();
