/**
 * The page of the live console (`sbc-harness run --ui`): one self-contained HTML document
 * (inline CSS and script, no external resource) that follows the run over Server-Sent Events
 * from the console server (harness/cli/live-console.ts) and posts the engineer's answers back.
 *
 * It shows the plan with its cells filling in as they finish (verdict, comment, and the checks
 * the engineer judged), each running case with its steps and its elapsed time against the
 * expected, the engineer's open instructions and questions with OK / NOK / N/A (or the
 * question's choices) and a comment field, and the live SIP ladder of each running case, drawn
 * by the HTML report's own ladder code ({@link liveLadder}) with the same styles and the same
 * click-an-arrow dialog. Everything from the run reaches the page as text (textContent); only
 * the ladder's SVG, escaped by html-ladder.ts on the server, is inserted as markup.
 */
import type { SipEvidenceMessage } from '../harness/runner/verdict.ts';
import { escapeHtml, htmlId } from './html-escape.ts';
import { buildLadder, DEFAULT_MAX_LADDER_MESSAGES } from './html-ladder.ts';
import { HTML_REPORT_CSS, HTML_REPORT_SCRIPT } from './html-styles.ts';

/** What the console sends the page for one running case's ladder (the SSE `ladder` event). */
export interface LiveLadder {
  id: string;
  svg: string;
  texts: string;
  drawn: number;
  omitted: number;
}

/** The ladder of a running case as the HTML report draws it, ids unique per case in the page. */
export function liveLadder(
  caseId: string,
  messages: readonly SipEvidenceMessage[],
  actors: Record<string, string>,
  omittedBefore = 0,
): LiveLadder {
  const l = buildLadder(messages, actors, {
    idPrefix: htmlId('live', caseId),
    maxMessages: DEFAULT_MAX_LADDER_MESSAGES,
  });
  return { id: caseId, svg: l.svg, texts: l.texts, drawn: l.drawn, omitted: l.omitted + omittedBefore };
}

export interface LiveConsolePageOptions {
  /** The console's token; the page sends it with every request. */
  token: string;
  /** Nonce of the page's inline script (the server's Content-Security-Policy names it). */
  nonce: string;
  /** The run, in a few words (profile, SBC, folder). */
  title: string;
}

const CONSOLE_CSS = `
main { max-width: 1500px; }
header.bar { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: baseline; border-bottom: 2px solid var(--ink); padding-bottom: 6px; }
header.bar h1 { margin: 0; font-size: 20px; }
#status { font-weight: bold; } #status.live { color: var(--ok); } #status.lost { color: var(--nok); }
#counts span { margin-right: 10px; }
.cols { display: grid; grid-template-columns: minmax(360px, 1fr) minmax(0, 840px); gap: 18px; align-items: start; }
.running svg.ladder { max-width: 100%; height: auto; }
@media (max-width: 1000px) { .cols { grid-template-columns: 1fr; } }
section.panel h2 { font-size: 17px; margin: 16px 0 8px; }
.empty { color: var(--muted); font-style: italic; }
.question { border: 2px solid #0b57d0; border-radius: 6px; padding: 8px 10px; margin: 0 0 10px; background: #f3f7ff; }
.question .head { font-size: 12px; color: var(--muted); }
.question .kind { font-weight: bold; color: #0b57d0; margin-right: 6px; }
.question .text { font-size: 16px; font-weight: bold; margin: 4px 0; }
.question .expected { margin: 2px 0 6px; }
.question textarea, .question input[type=text] { width: 100%; font: inherit; min-height: 2.2em; }
.question .buttons { display: flex; gap: 8px; margin-top: 6px; flex-wrap: wrap; }
.question button { font: inherit; font-weight: bold; padding: 4px 16px; border-radius: 4px; border: 1px solid #8c959f; cursor: pointer; background: #fff; }
.question button[data-verdict=ok] { border-color: var(--ok); color: var(--ok); }
.question button[data-verdict=nok] { border-color: var(--nok); color: var(--nok); }
.question button:disabled { opacity: 0.5; cursor: default; }
.question .error { color: var(--nok); }
.running { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 0 0 12px; }
.running h3 { margin: 0 0 4px; }
.running .step { font-weight: bold; }
.running .elapsed { color: var(--muted); }
.running .elapsed.late { color: var(--err); }
.running .bar { height: 6px; background: #eef1f5; border-radius: 3px; margin: 4px 0; }
.running .bar div { height: 6px; background: #0b57d0; border-radius: 3px; width: 0; }
.running ol.steps { color: var(--muted); margin: 4px 0; padding-left: 22px; max-height: 9em; overflow-y: auto; }
table.plan td.result { font-weight: bold; white-space: nowrap; } table.plan td:first-child { white-space: nowrap; }
table.plan td.result.OK { color: var(--ok); } table.plan td.result.NOK { color: var(--nok); }
table.plan td.result.N_A { color: var(--na); } table.plan td.result.ERROR, table.plan td.result.INCOMPLETE { color: var(--err); }
table.plan tr.is-running td { background: #fff8e1; }
.engineer { margin-top: 3px; font-size: 12px; }
.engineer strong { color: #0b57d0; }
#log { font-size: 12px; color: var(--muted); max-height: 16em; overflow-y: auto; }
#ended { font-weight: bold; }
`;

/** The console's own script (the ladder dialog is the HTML report's script, included as is). */
const CONSOLE_SCRIPT = `
(function () {
  'use strict';
  var token = document.body.getAttribute('data-token') || '';
  var skew = 0;
  var cases = {};
  var running = {};
  var ended = null;
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    return s < 60 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60 < 10 ? '0' : '') + (s % 60) + ' s';
  }
  function verdictClass(v) { return String(v).replace(/[^A-Za-z]/g, '_'); }
  function log(text) {
    var li = el('li', '', new Date().toLocaleTimeString() + '  ' + text);
    var ul = $('log');
    ul.insertBefore(li, ul.firstChild);
    while (ul.childNodes.length > 200) ul.removeChild(ul.lastChild);
  }
  function counts() {
    var n = { OK: 0, NOK: 0, 'N/A': 0, ERROR: 0, INCOMPLETE: 0 }, done = 0, total = 0;
    Object.keys(cases).forEach(function (id) {
      total++;
      var c = cases[id].cell;
      if (c) { done++; n[c.verdict] = (n[c.verdict] || 0) + 1; }
    });
    var box = $('counts');
    box.textContent = '';
    box.appendChild(el('span', '', done + ' of ' + total + ' cells'));
    ['OK', 'NOK', 'N/A', 'ERROR', 'INCOMPLETE'].forEach(function (v) {
      if (n[v]) box.appendChild(el('span', 'result-' + verdictClass(v), n[v] + ' ' + v));
    });
  }
  function fillCell(row, cell) {
    var v = row.querySelector('td.result');
    v.textContent = cell.verdict;
    v.className = 'result ' + verdictClass(cell.verdict);
    row.setAttribute('data-verdict', cell.verdict);
    row.classList.remove('is-running');
    var c = row.querySelector('td.comment');
    c.textContent = cell.comment || '';
    (cell.checks || []).forEach(function (k) {
      if (!k || k.by !== 'engineer') return;
      var d = el('div', 'engineer');
      d.appendChild(el('strong', '', 'Judged by the engineer: '));
      var res = k.judged === false ? 'N/A' : k.ok ? 'OK' : 'NOK';
      d.appendChild(document.createTextNode(k.name + ' — ' + res + (k.comment ? ' (“' + k.comment + '”)' : '')));
      d.setAttribute('data-check', k.name);
      d.setAttribute('data-result', res);
      c.appendChild(d);
    });
  }
  function onPlan(e) {
    cases = {};
    var body = $('plan-body');
    body.textContent = '';
    $('rundir').textContent = e.runDir;
    e.cases.forEach(function (pc) {
      var tr = el('tr');
      tr.setAttribute('data-case', pc.id);
      tr.appendChild(el('td', '', pc.id));
      tr.appendChild(el('td', '', pc.title));
      tr.appendChild(el('td', 'result', ''));
      tr.appendChild(el('td', 'comment', ''));
      body.appendChild(tr);
      cases[pc.id] = { row: tr, cell: pc.cell || null, expectedMs: pc.expectedMs };
      if (pc.cell) fillCell(tr, pc.cell);
    });
    counts();
  }
  function onStart(e) {
    var card = el('div', 'running');
    card.setAttribute('data-case', e.id);
    card.appendChild(el('h3', '', e.id + '  ' + e.title));
    card.appendChild(el('div', 'step', 'starting'));
    card.appendChild(el('div', 'elapsed', ''));
    var bar = el('div', 'bar');
    bar.appendChild(el('div'));
    card.appendChild(bar);
    card.appendChild(el('ol', 'steps'));
    card.appendChild(el('h4', '', 'SIP ladder'));
    var lb = el('div', 'ladder-box');
    lb.appendChild(el('span', 'empty', 'no SIP message yet'));
    card.appendChild(lb);
    card.appendChild(el('p', 'note ladder-note', ''));
    var t = el('div', 'sip-texts');
    t.hidden = true;
    card.appendChild(t);
    $('running').appendChild(card);
    running[e.id] = { card: card, startMs: e.atMs, expectedMs: e.expectedMs };
    var c = cases[e.id];
    if (c) { c.row.classList.add('is-running'); c.row.querySelector('td.result').textContent = 'running'; }
    tick();
    empties();
  }
  function onStep(e) {
    var r = running[e.id];
    if (!r) return;
    r.card.querySelector('.step').textContent = e.step;
    var ol = r.card.querySelector('ol.steps');
    var li = el('li', '', '+' + fmt(e.atMs - r.startMs) + '  ' + e.step);
    ol.appendChild(li);
    while (ol.childNodes.length > 100) ol.removeChild(ol.firstChild);
    ol.scrollTop = ol.scrollHeight;
  }
  function onEnd(e) {
    var r = running[e.id];
    if (r) { r.card.parentNode.removeChild(r.card); delete running[e.id]; }
    var c = cases[e.id];
    if (c) { c.cell = e.cell; fillCell(c.row, e.cell); }
    log(e.id + ' finished: ' + e.cell.verdict);
    counts();
    empties();
  }
  function tick() {
    var now = Date.now() + skew;
    Object.keys(running).forEach(function (id) {
      var r = running[id];
      var ms = now - r.startMs;
      var x = r.card.querySelector('.elapsed');
      x.textContent = fmt(ms) + ' elapsed of about ' + fmt(r.expectedMs) + ' expected';
      x.classList.toggle('late', ms > r.expectedMs);
      r.card.querySelector('.bar div').style.width = Math.min(100, (100 * ms) / Math.max(1, r.expectedMs)) + '%';
    });
  }
  function onLadder(d) {
    var r = running[d.id];
    if (!r) return;
    r.card.querySelector('.ladder-box').innerHTML = d.svg || '<span class="empty">no SIP message yet</span>';
    r.card.querySelector('.sip-texts').innerHTML = d.texts || '';
    r.card.querySelector('.ladder-note').textContent = d.drawn + ' messages' +
      (d.omitted ? ', ' + d.omitted + ' more not drawn' : '') + '; click an arrow for the full message';
  }
  function post(card, body) {
    var buttons = card.querySelectorAll('button');
    buttons.forEach(function (b) { b.disabled = true; });
    var err = card.querySelector('.error');
    err.textContent = '';
    body.id = card.getAttribute('data-id');
    fetch('answer', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-console-token': token },
      body: JSON.stringify(body),
      cache: 'no-store',
    }).then(function (res) {
      if (res.ok) { card.classList.add('sent'); return; }
      return res.json().then(function (j) { throw new Error(j && j.error ? j.error : 'HTTP ' + res.status); });
    }).catch(function (x) {
      err.textContent = 'Not taken: ' + x.message;
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }
  function questionCard(q) {
    var card = el('div', 'question');
    card.setAttribute('data-id', q.id);
    var head = el('div', 'head');
    if (q.kind === 'instruction') {
      var i = q.instruction;
      card.setAttribute('data-case', i.caseId);
      card.setAttribute('data-kind', i.kind);
      var side = i.side === 'oxo' ? 'PBX side' : i.side === 'provider' ? 'provider side' : 'SBC';
      head.appendChild(el('span', 'kind', i.kind === 'check' ? 'CHECK' : i.kind === 'setting' ? 'SET' : 'DO'));
      head.appendChild(document.createTextNode(i.caseId + ' · ' + side));
      card.appendChild(head);
      card.appendChild(el('div', 'text', i.text));
      if (i.expected) card.appendChild(el('div', 'expected', 'Expected: ' + i.expected));
      var ta = el('textarea', 'comment');
      ta.setAttribute('aria-label', 'comment');
      ta.placeholder = i.kind === 'check'
        ? 'Comment (what you saw; say why for NOK)'
        : 'Comment (say why if it could not be done)';
      card.appendChild(ta);
      var bs = el('div', 'buttons');
      [['ok', i.kind === 'check' ? 'OK' : 'OK, done'], ['nok', 'NOK'], ['na', 'N/A']].forEach(function (p) {
        var b = el('button', '', p[1]);
        b.type = 'button';
        b.setAttribute('data-verdict', p[0]);
        b.addEventListener('click', function () { post(card, { verdict: p[0], comment: ta.value }); });
        bs.appendChild(b);
      });
      card.appendChild(bs);
    } else {
      head.appendChild(el('span', 'kind', 'QUESTION'));
      card.appendChild(head);
      card.appendChild(el('div', 'text', q.text));
      var bs2 = el('div', 'buttons');
      if (q.choices.length > 0) {
        q.choices.forEach(function (c) {
          var b = el('button', '', c);
          b.type = 'button';
          b.setAttribute('data-choice', c);
          b.addEventListener('click', function () { post(card, { answer: c }); });
          bs2.appendChild(b);
        });
      } else {
        var inp = el('input', 'answer');
        inp.type = 'text';
        inp.setAttribute('aria-label', 'answer');
        card.appendChild(inp);
        var send = el('button', '', 'Send');
        send.type = 'button';
        send.addEventListener('click', function () { post(card, { answer: inp.value }); });
        bs2.appendChild(send);
      }
      card.appendChild(bs2);
    }
    card.appendChild(el('div', 'error', ''));
    return card;
  }
  function onOpen(d) {
    var box = $('open');
    var want = {};
    d.questions.forEach(function (q) { want[q.id] = q; });
    Array.prototype.slice.call(box.querySelectorAll('.question')).forEach(function (c) {
      if (!want[c.getAttribute('data-id')]) box.removeChild(c);
      else delete want[c.getAttribute('data-id')];
    });
    d.questions.forEach(function (q) { if (want[q.id]) box.appendChild(questionCard(q)); });
    document.title = (d.questions.length > 0 ? '(' + d.questions.length + ') ' : '') + 'sbc-harness live console';
    empties();
  }
  function empties() {
    $('open-empty').hidden = $('open').querySelector('.question') !== null;
    $('running-empty').hidden = Object.keys(running).length > 0;
  }
  function onRun(e) {
    if (e.type === 'plan') onPlan(e);
    else if (e.type === 'case-start') onStart(e);
    else if (e.type === 'case-step') onStep(e);
    else if (e.type === 'case-end') onEnd(e);
    else if (e.type === 'instruction') log(e.instruction.caseId + ' asked: ' + e.instruction.text);
    else if (e.type === 'answer')
      log(e.instructionId + ' answered ' + e.answer.verdict.toUpperCase() + ' on the ' + e.answer.via + (e.answer.comment ? ': ' + e.answer.comment : ''));
    else if (e.type === 'run-end') {
      ended = e.exitCode;
      $('ended').textContent = 'The run has finished (exit code ' + e.exitCode + '); the reports are being written to the run folder.';
    }
  }
  function reset() {
    running = {};
    $('running').textContent = '';
    $('open').textContent = '';
    $('log').textContent = '';
    $('ended').textContent = '';
    ended = null;
  }
  var status = $('status');
  var es = new EventSource('events?t=' + encodeURIComponent(token));
  es.addEventListener('hello', function (m) {
    var d = JSON.parse(m.data);
    skew = d.nowMs - Date.now();
    reset();
    status.textContent = 'live';
    status.className = 'live';
  });
  es.addEventListener('run', function (m) { onRun(JSON.parse(m.data)); });
  es.addEventListener('ladder', function (m) { onLadder(JSON.parse(m.data)); });
  es.addEventListener('questions', function (m) { onOpen(JSON.parse(m.data)); });
  es.addEventListener('error', function () {
    status.textContent = ended === null ? 'connection lost, retrying…' : 'run finished, console closed';
    status.className = 'lost';
    if (ended !== null) es.close();
  });
  setInterval(tick, 1000);
  empties();
})();
`;

/** The console page. */
export function liveConsolePage(o: LiveConsolePageOptions): string {
  const e = escapeHtml;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<title>sbc-harness live console</title>',
    `<style nonce="${e(o.nonce)}">${HTML_REPORT_CSS}${CONSOLE_CSS}</style></head>`,
    `<body data-token="${e(o.token)}"><main>`,
    '<header class="bar"><h1>sbc-harness live console</h1>',
    `<span>${e(o.title)}</span> <span class="note" id="rundir"></span>`,
    '<span id="status">connecting…</span><span id="counts"></span></header>',
    '<p id="ended"></p>',
    '<div class="cols"><div>',
    '<section class="panel" id="questions"><h2>Waiting for you</h2>',
    '<p class="empty" id="open-empty">Nothing to answer now.</p><div id="open"></div></section>',
    '<section class="panel"><h2>The plan</h2>',
    '<table class="plan"><thead><tr><th>Id</th><th>Test case</th><th>Result</th><th>Comment</th></tr></thead><tbody id="plan-body"></tbody></table></section>',
    '<section class="panel"><h2>Log</h2><ul id="log"></ul></section>',
    '</div><div>',
    '<section class="panel"><h2>Running</h2><p class="empty" id="running-empty">No case is running.</p><div id="running"></div></section>',
    '</div></div></main>',
    '<dialog id="sip-dialog" aria-labelledby="sip-dialog-title"><header><span id="sip-dialog-title"></span><button type="button" id="sip-dialog-close">Close</button></header><pre id="sip-dialog-text"></pre></dialog>',
    `<script nonce="${e(o.nonce)}">${HTML_REPORT_SCRIPT}${CONSOLE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
