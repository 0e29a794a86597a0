// The right-hand panel of the agent console: the bot's handoff summary and the draft work order.

import { $, el } from './dom.js';

export const REASONS = { requested: '市民要求', emergency: '紧急情况', not_understood: '多次未理解',
  ticket_system_down: '工单系统故障', angry: '情绪激动', distress: '情绪危机' };
const TYPES = { consult: '咨询', complain: '投诉', report: '举报', seek_help: '求助', suggest: '建议', praise: '表扬' };
const SENDERS = { citizen: '市民', bot: '智能客服', agent: '坐席', system: '系统' };
const SLOT_LABELS = { description: '诉求内容', district: '区', street: '街道', address: '地址', occurred: '时间',
  contact_phone: '电话', contact_name: '联系人', request_type: '诉求类型', anonymous: '匿名' };

const SERVICES = { fire: '火警119', police: '报警110', medical: '急救120', gas: '燃气抢修96777' };

// The safety net's decision as agents read it: services, then how it was decided (English reason).
export function detectionText(detection) {
  if (!detection || typeof detection !== 'object') return '';
  const services = (Array.isArray(detection.services) ? detection.services : []).map((s) => SERVICES[s] || s);
  return [services.join('、'), detection.reason ? '（' + detection.reason + '）' : ''].join('');
}

export function renderSummary(summary) {
  const s = summary || {};
  $('summary').hidden = false;
  const dl = $('summary-fields');
  dl.replaceChildren();
  const add = (k, v) => { if (v !== null && v !== undefined && v !== '') dl.append(el('dt', null, k), el('dd', null, v)); };
  add('转接原因', REASONS[s.reason] || s.reason);
  add('诉求类型', TYPES[s.request_type] || s.request_type);
  const detection = detectionText(s.detection);
  if (detection) add('紧急识别', detection);
  const slots = s.slots && typeof s.slots === 'object' ? s.slots : {};
  for (const [k, v] of Object.entries(slots)) {
    if (!SLOT_LABELS[k]) continue;
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    add(SLOT_LABELS[k], k === 'contact_phone' ? maskPhone(text) : text);
  }
  const turns = $('last-turns');
  turns.replaceChildren();
  for (const t of Array.isArray(s.last_turns) ? s.last_turns : []) {
    turns.appendChild(el('li', 'turn-' + (t.sender === 'citizen' ? 'citizen' : 'bot'),
      (SENDERS[t.sender] || t.sender) + '：' + (t.text || '')));
  }
}

// Phone numbers are shown masked (138****5678); the full number appears while the field is edited.
export function maskPhone(v) {
  const d = String(v || '').replace(/\D/g, '');
  return d.length >= 8 ? d.slice(0, 3) + '****' + d.slice(-4) : String(v || '');
}

const phoneInput = () => $('draft-form').elements.namedItem('contact_phone');

export function setupPhoneMask() {
  const p = phoneInput();
  p.addEventListener('focus', () => { p.value = p.dataset.full || ''; });
  p.addEventListener('blur', () => { p.dataset.full = p.value.trim(); p.value = maskPhone(p.dataset.full); });
}

function phoneValue() {
  const p = phoneInput();
  return document.activeElement === p ? p.value.trim() : (p.dataset.full || '');
}

export function fillDraft(draft) {
  const form = $('draft-form');
  for (const [k, v] of Object.entries(draft || {})) {
    const input = form.elements.namedItem(k);
    if (!input) continue;
    const text = v === null || v === undefined ? '' : String(v);
    if (input.type === 'checkbox') input.checked = !!v;
    else if (k === 'contact_phone') { input.dataset.full = text; input.value = document.activeElement === input ? text : maskPhone(text); }
    else input.value = text;
  }
}

export function draftPatch() {
  const form = $('draft-form');
  const patch = {};
  for (const name of ['request_type', 'description', 'district', 'street', 'address', 'contact_name', 'contact_phone']) {
    const v = name === 'contact_phone' ? phoneValue() : form.elements.namedItem(name).value.trim();
    patch[name] = v === '' ? null : v;
  }
  patch.ongoing = form.elements.namedItem('ongoing').checked;
  patch.emergency = form.elements.namedItem('emergency').checked;
  return patch;
}

const FIELD_NAMES = { ...SLOT_LABELS, occurred_at: '发生时间', ongoing: '持续发生', emergency: '紧急',
  channel: '渠道', category_code: '诉求分类' };
const FIELD_HINTS = { contact_phone: '请填写11位手机号或带区号的固定电话', district: '请选择北京市的区',
  description: '请补充诉求内容', request_type: '请选择诉求类型' };

// One Chinese line per field the ticket system refused (never its raw English message).
export function errorText(e) {
  const field = e.field ? String(e.field).split('.').pop() : String((e.loc || []).slice(-1)[0] || '');
  const name = FIELD_NAMES[field] || '工单内容';
  const raw = String(e.message || e.msg || '');
  if (/required|missing/i.test(raw) || e.type === 'missing') return '请填写' + name + (FIELD_HINTS[field] ? '（' + FIELD_HINTS[field] + '）' : '');
  if (/too_long|at most/i.test(raw + (e.type || ''))) return name + '过长，请精简';
  return name + '填写有误' + (FIELD_HINTS[field] ? '：' + FIELD_HINTS[field] : '');
}

export function showErrors(r) {
  const list = $('draft-errors');
  list.replaceChildren();
  const errors = (r.data && (r.data.errors || r.data.detail)) || [];
  for (const e of Array.isArray(errors) ? errors : []) {
    const li = el('li', null, errorText(e));
    const field = e.field ? String(e.field).split('.').pop() : String((e.loc || []).slice(-1)[0] || '');
    li.dataset.field = field;
    list.appendChild(li);
  }
}

