// Citizen chat client for the 12345 hotline assistant.
// Plain ES module, no dependencies. All server/user text is rendered with
// textContent / createElement only (never innerHTML).

const STORAGE_KEY = 'hotline.conversation_id';
const MAX_LEN = 2000;
const BACKOFF_MIN = 500;
const BACKOFF_MAX = 5000;

const MODE_LABELS = { bot: '智能客服', queued: '排队中', agent: '人工客服' };
const SENDER_LABELS = { bot: '智能客服', agent: '人工客服' };
const SENDERS = ['citizen', 'bot', 'agent', 'system'];

const $messages = document.getElementById('messages');
const $input = document.getElementById('input');
const $send = document.getElementById('send');
const $form = document.getElementById('composer');
const $counter = document.getElementById('counter');
const $mode = document.getElementById('mode');
const $conn = document.getElementById('conn');
const $newChat = document.getElementById('new-chat');

let ws = null;              // current WebSocket (null while waiting to reconnect)
let ready = false;          // true once the session frame arrived on the current socket
let backoff = BACKOFF_MIN;  // next reconnect delay in ms
let reconnectTimer = null;
let conversationId = loadId();
// Outgoing frames not yet sent: [{frame, node}] (node = pending citizen bubble).
const queue = [];
// Citizen bubbles sent on the current connection; re-appended after a history
// frame so they do not vanish when the transcript is rebuilt.
let sentThisConn = [];

// ---------- storage ----------

function loadId() {
  try { return localStorage.getItem(STORAGE_KEY) || null; } catch (e) { return null; }
}

function saveId(id) {
  conversationId = id || null;
  try {
    if (id) localStorage.setItem(STORAGE_KEY, id);
    else localStorage.removeItem(STORAGE_KEY);
  } catch (e) { /* storage unavailable: keep the id in memory only */ }
}

// ---------- rendering ----------

function scrollToBottom() {
  $messages.scrollTop = $messages.scrollHeight;
}

function formatTime(ts) {
  const d = ts ? new Date(ts) : new Date();
  if (isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return pad(d.getHours()) + ':' + pad(d.getMinutes());
}

// Render one chat message and return its element.
function renderMessage(msg, opts = {}) {
  const sender = SENDERS.includes(msg.sender) ? msg.sender : 'bot';
  const row = document.createElement('div');
  row.className = 'msg msg-' + sender;
  if (msg.ts) row.dataset.ts = String(msg.ts);

  if (SENDER_LABELS[sender]) {
    const meta = document.createElement('div');
    meta.className = 'msg-meta';
    const time = formatTime(msg.ts);
    meta.textContent = SENDER_LABELS[sender] + (time ? ' ' + time : '');
    row.appendChild(meta);
  }

  const text = document.createElement('div');
  text.className = 'msg-text';
  text.textContent = msg.text == null ? '' : String(msg.text);
  row.appendChild(text);

  const buttons = Array.isArray(msg.buttons) ? msg.buttons : [];
  if (buttons.length && sender !== 'citizen') {
    row.appendChild(renderChips(buttons, opts.disableButtons));
  }

  $messages.appendChild(row);
  if (!opts.noScroll) scrollToBottom();
  return row;
}

function renderChips(buttons, disabled) {
  const group = document.createElement('div');
  group.className = 'chips';
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', '快捷选项');
  for (const b of buttons) {
    if (!b || typeof b !== 'object') continue;
    const title = b.title == null ? '' : String(b.title);
    const payload = b.payload == null ? title : String(b.payload);
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'chip';
    chip.textContent = title;
    chip.disabled = !!disabled;
    chip.addEventListener('click', () => {
      if (chip.disabled) return;
      for (const c of group.querySelectorAll('button.chip')) c.disabled = true;
      chip.classList.add('chip-chosen');
      submit({ type: 'button', payload, title }, title);
    });
    group.appendChild(chip);
  }
  return group;
}

function renderNotice(text) {
  const el = document.createElement('div');
  el.className = 'error-notice';
  el.setAttribute('role', 'alert');
  el.textContent = text == null ? '' : String(text);
  $messages.appendChild(el);
  scrollToBottom();
}

function renderHistory(messages) {
  $messages.replaceChildren();
  const list = Array.isArray(messages) ? messages : [];
  list.forEach((m, i) => {
    if (!m || typeof m !== 'object') return;
    // Only the newest message's buttons stay clickable.
    renderMessage(m, { noScroll: true, disableButtons: i !== list.length - 1 });
  });
  for (const node of sentThisConn) $messages.appendChild(node);
  for (const item of queue) if (item.node) $messages.appendChild(item.node);
  scrollToBottom();
}

function setMode(mode) {
  const key = MODE_LABELS[mode] ? mode : 'bot';
  $mode.textContent = MODE_LABELS[key];
  $mode.dataset.mode = key;
}

function setConn(open, label) {
  $conn.dataset.state = open ? 'open' : 'closed';
  $conn.textContent = label || (open ? '已连接' : '连接中断，正在重连…');
}

// ---------- sending ----------

function trySend(frame) {
  if (!ws || !ready || ws.readyState !== WebSocket.OPEN) return false;
  try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
}

// Show the citizen's bubble right away; send now or queue until reconnected.
function submit(frame, displayText) {
  const node = renderMessage({ sender: 'citizen', text: displayText, ts: new Date().toISOString() });
  if (trySend(frame)) {
    sentThisConn.push(node);
  } else {
    node.classList.add('msg-pending');
    node.title = '等待发送';
    queue.push({ frame, node });
  }
}

function flushQueue() {
  while (queue.length) {
    const item = queue[0];
    if (!trySend(item.frame)) return;
    queue.shift();
    if (item.node) {
      item.node.classList.remove('msg-pending');
      item.node.removeAttribute('title');
      sentThisConn.push(item.node);
    }
  }
}

// ---------- connection ----------

function socketUrl() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = proto + '//' + location.host + '/ws/chat';
  if (conversationId) url += '?conversation_id=' + encodeURIComponent(conversationId);
  return url;
}

function connect() {
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  ready = false;
  sentThisConn = [];
  let sock;
  try {
    sock = new WebSocket(socketUrl());
  } catch (e) {
    scheduleReconnect();
    return;
  }
  ws = sock;

  // Every handler ignores events from sockets that are no longer current.
  sock.onopen = () => { if (sock === ws) setConn(true); };
  sock.onmessage = (ev) => { if (sock === ws) handleFrame(ev.data); };
  sock.onerror = () => { /* onclose follows and handles reconnecting */ };
  sock.onclose = () => {
    if (sock !== ws) return;
    ws = null;
    ready = false;
    setConn(false);
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  if (reconnectTimer) return;
  const delay = backoff;
  backoff = Math.min(backoff * 2, BACKOFF_MAX);
  reconnectTimer = setTimeout(() => { reconnectTimer = null; connect(); }, delay);
}

function handleFrame(raw) {
  let f;
  try { f = JSON.parse(raw); } catch (e) { return; }
  if (!f || typeof f !== 'object') return;
  switch (f.type) {
    case 'session':
      if (f.conversation_id) saveId(String(f.conversation_id));
      ready = true;
      backoff = BACKOFF_MIN; // a healthy session resets the backoff
      flushQueue();
      break;
    case 'history':
      renderHistory(f.messages);
      break;
    case 'message':
      renderMessage(f);
      break;
    case 'status':
      setMode(f.mode);
      break;
    case 'error':
      renderNotice(f.message || '发生错误，请稍后再试');
      break;
    default:
      break; // unknown frame types are ignored
  }
}

function newConversation() {
  saveId(null);
  queue.length = 0;
  $messages.replaceChildren();
  setMode('bot');
  backoff = BACKOFF_MIN;
  const old = ws;
  ws = null; // detach first so the old socket's onclose is ignored
  if (old) { try { old.close(1000, 'new conversation'); } catch (e) { /* ignore */ } }
  setConn(false, '正在连接…');
  connect();
  $input.focus();
}

// ---------- input handling ----------

function updateComposer() {
  if ($input.value.length > MAX_LEN) $input.value = $input.value.slice(0, MAX_LEN);
  const len = $input.value.length;
  $counter.textContent = len + '/' + MAX_LEN;
  $counter.classList.toggle('counter-full', len >= MAX_LEN);
  // The send button stays enabled (empty input is ignored); only its look changes.
  $send.classList.toggle('send-idle', $input.value.trim() === '');
  // Grow the textarea with its content (capped by CSS max-height).
  $input.style.height = 'auto';
  $input.style.height = $input.scrollHeight + 'px';
}

function sendInput() {
  const text = $input.value.trim().slice(0, MAX_LEN);
  if (!text) return;
  submit({ type: 'text', text }, text);
  $input.value = '';
  updateComposer();
  $input.focus();
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
$newChat.addEventListener('click', newConversation);

window.hotlineChat = {
  conversationId: () => conversationId,
  socket: () => ws,
};

updateComposer();
connect();
