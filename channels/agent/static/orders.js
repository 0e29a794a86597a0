// Work orders of the closed loop (派单 → 办理 → 回访) as the consoles show them: labels, Beijing
// time, deadline state, and the API's refusals explained in Chinese. Shared by the agent
// console's dispatcher and callback panels and by the unit console at /unit.

export const STATUS_LABELS = { accepted: '已受理', dispatched: '已派单', in_progress: '办理中', returned: '退单',
  resolved: '已办结', visited: '已回访', closed: '已关闭' };
export const URGENCY_LABELS = { '2h': '紧急（2小时）', '24h': '加急（24小时）', '7d': '一般（7个工作日）', '15d': '常规（15个工作日）' };
export const TYPE_LABELS = { consult: '咨询', complain: '投诉', report: '举报', seek_help: '求助', suggest: '建议', praise: '表扬' };
export const CHANNEL_LABELS = { web: '网页', tg: 'Telegram', phone: '电话', api: '接口' };
const EVENT_LABELS = { created: '受理登记', status: '状态变更', dispatch: '派单', accept: '接单', return: '退单',
  reply: '进展', resolve: '办结', extension_requested: '申请延期', extended: '批准延期', extension_declined: '不予延期',
  close: '关闭', reopened: '重新派单', survey: '回访答复', visited: '回访完成', deadline_warning: '临期提醒',
  overdue: '超期', notified: '告知市民', callback: '回电', note: '备注', contact_viewed: '查看联系电话' };
const ACTOR_KINDS = { unit: '承办单位', supervisor: '班长', agent: '坐席', api: '工单系统', citizen: '市民', system: '系统' };
const NOTIFIED = { web: '网页推送', tg: 'Telegram推送', phone: '电话外呼', callback: '转坐席回电' };
const NEAR_MS = 24 * 3600 * 1000;
const OPEN = new Set(['accepted', 'dispatched', 'in_progress', 'returned']);

export const eventLabel = (kind) => EVENT_LABELS[kind] || kind;

export function actorLabel(actor) {
  const [kind, ...rest] = String(actor || '').split(':');
  const name = rest.join(':');
  if (kind === 'api' && name) return ACTOR_KINDS.api + '（' + (CHANNEL_LABELS[name] || name) + '）';
  return (ACTOR_KINDS[kind] || kind) + (name ? ' ' + name : '');
}

export function eventNote(e) {
  if (e.kind === 'notified') return NOTIFIED[e.note] || e.note || '';
  const d = e.data || {};
  const extra = [];
  if (e.kind === 'dispatch' && d.unit) extra.push('承办单位 ' + d.unit + (d.category ? '，分类 ' + d.category : ''));
  if (e.kind === 'extension_requested' && d.days) extra.push(d.days + ' 个工作日');
  if (e.kind === 'extended' && d.days) extra.push('延长 ' + d.days + ' 个工作日，新期限 ' + beijingTime(d.deadline));
  return [e.note || '', ...extra].filter(Boolean).join('；');
}

const FORMAT = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit',
  day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });

// An ISO timestamp in Beijing time: 2026/03/02 14:05.
export function beijingTime(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? String(iso) : FORMAT.format(t);
}

// overdue: an open order past its deadline; near: warned by the deadline watch, or due within 24 h;
// done: resolved or later (the deadline no longer runs); normal otherwise.
export function deadlineState(order, now = Date.now()) {
  if (!OPEN.has(order.status)) return 'done';
  const left = new Date(order.deadline).getTime() - now;
  if (left < 0 || order.overdue_alerted_at) return 'overdue';
  if (order.deadline_warned_at || left < NEAR_MS) return 'near';
  return 'normal';
}

function span(ms) {
  const h = Math.floor(ms / 3600000);
  if (h >= 48) return Math.floor(h / 24) + ' 天';
  if (h >= 1) return h + ' 小时';
  return Math.max(1, Math.floor(ms / 60000)) + ' 分钟';
}

// "剩余 5 小时" / "已超期 2 天" (empty once the order is done).
export function deadlineText(order, now = Date.now()) {
  if (!OPEN.has(order.status)) return '';
  const left = new Date(order.deadline).getTime() - now;
  return left < 0 ? '已超期 ' + span(-left) : '剩余 ' + span(left);
}

export function placeText(o) {
  return [o.district, o.street, o.address].filter(Boolean).join(' ') || '（未填写地点）';
}

const FIELDS = { text: '内容', reason: '原因', days: '天数', unit: '承办单位', category: '分类', body: '提交内容',
  question: '问题', answer: '答复' };
const DETAILS = [
  [/belongs to another unit/, '该工单属于其他承办单位，无权操作。'],
  [/is not for the (\w+) role/, '当前账号的角色不能执行此操作。'],
  [/own unit's orders only/, '承办单位账号只能查看本单位的工单。'],
  [/needs (a|an) /, '当前账号无权使用此功能。'],
  [/unknown unit/, '承办单位代码不存在，请从列表中选择。'],
  [/unknown category/, '分类代码不存在，请从列表中选择。'],
  [/a request asks for at least 1 working day/, '延期申请至少 1 个工作日。'],
];

function fieldMessage(part) {
  const m = /^([\w.]+): (.*)$/.exec(part.trim());
  if (!m) return part;
  const field = FIELDS[m[1].split('.').pop()] || m[1];
  const msg = m[2];
  let x;
  if ((x = /at least (\d+) character/.exec(msg))) return field + '至少需要 ' + x[1] + ' 个字';
  if ((x = /at most (\d+) character/.exec(msg))) return field + '不能超过 ' + x[1] + ' 个字';
  if ((x = /greater than or equal to (\d+)/.exec(msg))) return field + '不能小于 ' + x[1];
  if ((x = /less than or equal to (\d+)/.exec(msg))) return field + '不能大于 ' + x[1];
  if (/[Ff]ield required|Missing/.test(msg)) return field + '为必填项';
  if (/valid integer/.test(msg)) return field + '应为整数';
  if (/control characters/.test(msg)) return field + '含有不允许的控制字符';
  if (/Extra inputs/.test(msg)) return '不接受字段 ' + m[1];
  return field + '：' + msg;
}

// The API's refusal as one Chinese sentence; `what` names the attempted action (接单, 办结 …).
export function explainError(r, what) {
  const d = (r && r.data) || {};
  const detail = typeof d.detail === 'string' ? d.detail : '';
  const head = (what ? what + '未成功：' : '操作未成功：');
  if (!r || r.status === 0) return head + '网络异常，请检查网络后重试。';
  if (r.status === 409 && d.error === 'illegal_transition') {
    return head + '工单当前状态为「' + (STATUS_LABELS[d.status] || d.status) + '」，不能执行此操作。请刷新后查看。';
  }
  const moved = /cannot go from (\w+) to visited/.exec(detail);
  if (moved) return head + '工单当前状态为「' + (STATUS_LABELS[moved[1]] || moved[1]) + '」，不在待回访状态（可能已由他人回访）。';
  for (const [re, text] of DETAILS) if (re.test(detail)) return head + text;
  if (r.status === 403) return head + '无权执行此操作。';
  if (r.status === 404) return head + '工单不存在或已被删除。';
  if (r.status === 409) return head + '工单状态已变化，请刷新后查看。';
  if (r.status === 422) {
    if (Array.isArray(d.detail)) return head + d.detail.map((e) => fieldMessage((e.loc || []).slice(-1) + ': ' + e.msg)).join('；') + '。';
    return head + (detail ? detail.split(';').map(fieldMessage).join('；') : '填写内容有误') + '。';
  }
  if (r.status === 429) return head + '操作过于频繁，请稍后再试。';
  if (r.status >= 500) return head + '服务器暂时无法处理（' + r.status + '），请稍后重试。';
  return head + '（' + r.status + '）' + detail;
}

// fetch with the bearer token; {ok, status, data}; status 0 when the network failed.
export function makeApi(token, onUnauthorized) {
  return async function api(method, path, body) {
    let resp;
    try {
      resp = await fetch(path, {
        method,
        headers: { 'Authorization': 'Bearer ' + token(), 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
    if (resp.status === 401) { onUnauthorized(); return { ok: false, status: 401, data: null }; }
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    return { ok: resp.ok, status: resp.status, data };
  };
}
