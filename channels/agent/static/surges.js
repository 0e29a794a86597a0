// Surge alerts (未诉先办) in the agent console: the hub sends them to supervisors only.

import { $, el } from './dom.js';

// One problem rising at one place: where, what, since when, how many (and how many usually), which orders.
export function surgeAlert(e) {
  if (document.querySelector('[data-surge="' + e.id + '"]')) return; // listed at login and pushed live
  const item = el('div', 'alert-item surge-alert');
  item.dataset.surge = String(e.id);
  const where = [e.district, e.place].filter(Boolean).join(' ');
  const what = (e.category || '').split(' / ').pop() || e.category_code;
  const since = new Date(e.window_start).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
  item.append(el('strong', null, '诉求突增'), el('span', null, ' ' + where + '：' + what + '，' + since + ' 以来 '
    + e.count + ' 件（平时约 ' + Number(e.baseline).toFixed(1) + ' 件），工单 ' + e.work_orders.join('、')));
  const done = el('button', null, '知道了');
  done.type = 'button';
  done.addEventListener('click', () => item.remove());
  item.appendChild(done);
  $('alerts').appendChild(item);
}

// At login a supervisor also sees the alerts of the last day that rose while nobody was watching.
export async function loadSurges(api, role) {
  if (role !== 'supervisor') return;
  const r = await api('GET', '/api/reports/surges?days=1');
  for (const e of ((r.ok && r.data.surges) || []).slice().reverse()) surgeAlert(e);
}
