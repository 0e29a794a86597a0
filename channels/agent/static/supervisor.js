// The supervisor's tab 班组监控: the figures of the queue (oldest current wait, mean wait counting
// the conversations still waiting, the share taken within the service level, emergencies waiting)
// and every agent with room for what they hold; an agent offline while holding conversations is
// flagged, with a button to hand each back to the bot.

import { $, el } from './dom.js';

function seconds(s) {
  if (s === null || s === undefined) return '—';
  const n = Math.round(s);
  return n < 60 ? n + '秒' : Math.floor(n / 60) + '分' + String(n % 60).padStart(2, '0') + '秒';
}

function figure(key, label, value, warn) {
  const box = el('div', 'figure' + (warn ? ' warn' : ''));
  box.dataset.figure = key;
  box.append(el('span', 'figure-value', value), el('span', 'figure-label', label));
  return box;
}

export function renderOverview(v, actions) {
  const urgentOldest = v.emergency_oldest_s || 0;
  $('overview-line').textContent = '在线 ' + v.online + ' · 排队 ' + v.queue_length + ' · 服务中 ' + v.active;
  $('team-figures').replaceChildren(
    figure('online', '在线坐席', String(v.online)),
    figure('queue', '排队', String(v.queue_length)),
    figure('active', '服务中', String(v.active)),
    figure('oldest', '当前最长等待', seconds(v.oldest_wait_s), v.oldest_wait_s > v.sla_s),
    figure('emergency', '紧急排队（最长等待）', v.emergency_waiting + (v.emergency_waiting ? '（' + seconds(urgentOldest) + '）' : ''), v.emergency_waiting > 0),
    figure('mean', '平均等待（近1小时，含排队中）', seconds(v.mean_wait_s)),
    figure('sla', v.sla_s + '秒内接入率', v.sla_share === null || v.sla_share === undefined ? '—' : Math.round(v.sla_share * 100) + '%',
      v.sla_share !== null && v.sla_share < 0.8),
    figure('offline', '离线仍持有会话', String(v.offline_holding || 0), (v.offline_holding || 0) > 0),
  );
  const body = $('agents').tBodies[0];
  body.replaceChildren();
  for (const a of v.agents) {
    const stranded = !a.online && a.conversations.length > 0;
    const tr = el('tr', (a.online ? 'online' : 'offline') + (stranded ? ' stranded' : ''));
    tr.dataset.agent = a.username;
    const state = el('td', 'presence', a.online ? '在线' : (stranded ? '离线（仍持有' + a.conversations.length + '个会话）' : '离线'));
    const convs = el('td', 'held');
    for (const c of a.conversations) {
      const cid = typeof c === 'string' ? c : c.conversation_id;
      const row = el('div', 'held-row');
      const link = el('button', 'link', actions.titleOf(cid));
      link.type = 'button';
      link.title = '旁听该会话';
      link.addEventListener('click', () => actions.open(cid));
      row.append(link);
      if (stranded) {
        const back = el('button', null, '转回智能客服');
        back.type = 'button';
        back.addEventListener('click', () => actions.release(cid));
        row.append(back);
      }
      convs.appendChild(row);
    }
    tr.append(el('td', null, a.display_name), el('td', null, a.role === 'supervisor' ? '班长' : '坐席'), state,
      el('td', 'num', String(a.conversations.length)), convs);
    body.appendChild(tr);
  }
}
