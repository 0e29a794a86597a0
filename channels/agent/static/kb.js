// Knowledge-base search in the agent console: the public search API (POST /api/kb/search); one
// click puts an answer, with the policy it rests on, into the reply box (the agent edits, then sends).

import { $, el } from './dom.js';

async function searchKnowledge(ev, replyBox) {
  ev.preventDefault();
  const text = $('kb-query').value.trim();
  const list = $('kb-results');
  list.replaceChildren();
  if (!text) return;
  const resp = await fetch('/api/kb/search', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text, top_k: 3 }),
  }).catch(() => null);
  if (!resp || !resp.ok) { list.appendChild(el('li', 'muted', '知识库暂不可用。')); return; }
  const data = await resp.json();
  if (!data.results.length) { list.appendChild(el('li', 'muted', '没有找到相关政策。')); return; }
  for (const a of data.results) {
    const li = el('li', 'kb-item');
    const source = a.source && a.source.name ? '（依据：' + a.source.name + '）' : '';
    li.append(el('strong', null, a.title), el('p', null, a.answer_short), el('p', 'muted', source));
    const insert = el('button', 'kb-insert', '插入回复');
    insert.type = 'button';
    insert.addEventListener('click', () => {
      const box = replyBox;
      box.value = (box.value ? box.value + '\n' : '') + a.answer_short + source;
      box.focus();
    });
    li.appendChild(insert);
    list.appendChild(li);
  }
}

export function setupKnowledgeSearch(replyBox) {
  $('kb-form').addEventListener('submit', (ev) => searchKnowledge(ev, replyBox));
}
