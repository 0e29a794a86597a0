// Rich parts of a bot message: the work-order card and the knowledge-base source line.
// Built with createElement/textContent only: server text is never parsed as markup.

const REQUEST_TYPES = {
  consult: '咨询', complain: '投诉', report: '举报', seek_help: '求助', suggest: '建议', praise: '表扬',
};
// Time limits by urgency (as the bot words them), shown when a card carries no deadline.
const URGENCY = { '2h': '2小时内', '24h': '24小时内', '7d': '7天内', '15d': '15天内' };
// Work-order statuses as the ticket system names them; Chinese labels pass through unchanged.
const STATUSES = {
  accepted: '已受理', dispatched: '已派单', in_progress: '办理中', returned: '已退单',
  resolved: '已办结', visited: '已回访', closed: '已关闭',
};

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = String(text);
  return node;
}

function str(value) {
  if (value == null) return '';
  if (Array.isArray(value)) return value.filter((v) => v != null && v !== '').map(String).join(' / ');
  return typeof value === 'object' ? '' : String(value).trim();
}

// A deadline shown in Beijing time, e.g. "11月22日 10:00前".
export function formatDeadline(value) {
  const d = new Date(String(value));
  if (isNaN(d.getTime())) return str(value);
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d);
  const get = (type) => (parts.find((p) => p.type === type) || {}).value || '';
  const nowYear = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric' })
    .formatToParts(new Date()).find((p) => p.type === 'year').value;
  const year = get('year') !== nowYear ? get('year') + '年' : '';
  return year + get('month') + '月' + get('day') + '日 ' + get('hour') + ':' + get('minute') + '前';
}

function row(list, label, value, className) {
  if (!value) return;
  const dt = el('dt', null, label);
  const dd = el('dd', className || null, value);
  list.append(dt, dd);
}

// The work order a reply created or reported: number, status, deadline (+ type, category, district).
export function workOrderCard(order) {
  if (!order || typeof order !== 'object') return null;
  const number = str(order.number);
  const status = STATUSES[str(order.status)] || str(order.status);
  const deadline = order.deadline ? formatDeadline(order.deadline) : (URGENCY[str(order.urgency)] || '');
  const type = REQUEST_TYPES[str(order.request_type)] || '';
  const category = str(order.category);
  const place = [str(order.district), str(order.street)].filter(Boolean).join(' ');
  const department = str(order.department);
  if (!number && !status && !deadline) return null;
  const card = el('section', 'wo-card');
  card.setAttribute('aria-label', '工单信息');
  const head = el('div', 'wo-head');
  head.appendChild(el('span', 'wo-title', type ? type + '工单' : '工单'));
  if (status) head.appendChild(el('span', 'wo-status', status));
  card.appendChild(head);
  const list = el('dl', 'wo-fields');
  row(list, '工单编号', number, 'wo-number');
  row(list, '办理时限', deadline, 'wo-deadline');
  row(list, '问题分类', category);
  row(list, '所在地', place);
  row(list, '承办单位', department);
  card.appendChild(list);
  if (number) {
    card.appendChild(el('p', 'wo-hint', '请记下工单编号，可随时发送“查询工单 ' + number + '”了解进度。'));
  }
  return card;
}

// Where a knowledge-base answer comes from: document, office, dates, how to confirm.
export function kbSource(kb) {
  if (!kb || typeof kb !== 'object') return null;
  const source = kb.source && typeof kb.source === 'object' ? kb.source : {};
  const name = str(source.name) + (str(source.article) ? ' ' + str(source.article) : '');
  const lines = [];
  const office = str(source.office);
  if (name && office) lines.push('来源：' + name + '（' + office + '）');
  else if (name || office) lines.push('来源：' + (name || office));
  const dates = [];
  if (str(kb.effective_from)) dates.push(str(kb.effective_from) + ' 起施行');
  if (str(kb.effective_until)) dates.push('有效期至 ' + str(kb.effective_until));
  if (str(kb.last_reviewed)) dates.push('核对于 ' + str(kb.last_reviewed));
  if (dates.length) lines.push(dates.join('，'));
  if (str(source.confirm)) lines.push('如需确认：' + str(source.confirm));
  if (!lines.length && !str(kb.title)) return null;
  const box = el('aside', 'kb-source');
  box.setAttribute('aria-label', '政策来源');
  if (str(kb.title)) box.appendChild(el('div', 'kb-title', str(kb.title)));
  for (const line of lines) box.appendChild(el('div', 'kb-line', line));
  return box;
}

// Tap-to-call buttons under emergency advice: [{service, number, label}] as tel: links.
export function emergencyCalls(emergency) {
  if (!emergency || typeof emergency !== 'object' || !Array.isArray(emergency.numbers)) return null;
  const box = el('div', 'emergency-calls');
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', '紧急电话');
  for (const n of emergency.numbers) {
    const number = n && /^[0-9]{3,8}$/.test(str(n.number)) ? str(n.number) : '';
    if (!number) continue;
    const link = el('a', 'call-button', '拨打 ' + (str(n.label) || number));
    link.href = 'tel:' + number;
    link.dataset.number = number;
    box.appendChild(link);
  }
  return box.childNodes.length ? box : null;
}
