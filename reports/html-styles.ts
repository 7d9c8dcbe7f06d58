/**
 * The inline CSS and script of the HTML evidence report (no network, no external font): a
 * screen layout, a print layout (navigation and dialog hidden, diagrams scaled to the page),
 * and the few lines that open a SIP message from its ladder arrow.
 */

/** The page's stylesheet. */
export const HTML_REPORT_CSS = `
:root { --ok:#1b7f3b; --nok:#b3261e; --na:#5f6368; --err:#b35c00; --line:#c9ced6; --ink:#1f2328; --muted:#57606a; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; color: var(--ink); margin: 0; font-size: 14px; line-height: 1.4; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 64px; }
h1 { font-size: 24px; margin: 8px 0 12px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
h4 { font-size: 14px; margin: 14px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eef1f5; }
td.mark { text-align: center; font-weight: bold; width: 3.5em; }
td.mark.on.OK { color: var(--ok); } td.mark.on.NOK { color: var(--nok); } td.mark.on.N_A { color: var(--na); }
table.header-block { width: auto; min-width: 50%; }
table.header-block th { width: 12em; }
ul.steps { margin: 4px 0 0 0; padding-left: 18px; color: var(--muted); }
.verdict { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-weight: bold; font-size: 12px; }
.verdict.OK { background: var(--ok); } .verdict.NOK { background: var(--nok); } .verdict.N_A { background: var(--na); } .verdict.ERROR { background: var(--err); }
.result-OK { color: var(--ok); font-weight: bold; } .result-NOK { color: var(--nok); font-weight: bold; } .result-ERROR, .result-partly { color: var(--err); font-weight: bold; }
.counts span { margin-right: 12px; }
nav.toc { background: #f6f8fa; border: 1px solid var(--line); padding: 8px 12px; margin: 12px 0; }
nav.toc a { margin-right: 10px; }
a { color: #0b57d0; }
section.evidence { border-top: 1px solid var(--line); margin-top: 24px; padding-top: 8px; }
tr.bad td, td.bad { background: #fdecea; }
.check-ok { color: var(--ok); font-weight: bold; } .check-nok { color: var(--nok); font-weight: bold; }
.ladder-box { overflow-x: auto; border: 1px solid var(--line); background: #fff; padding: 4px; }
svg.ladder { font-family: inherit; font-size: 11px; display: block; }
svg.ladder + svg.ladder { margin-top: 6px; }
svg.ladder .lane rect { fill: #eef1f5; stroke: #8c959f; }
svg.ladder .lane-unknown rect { fill: #fff4e5; stroke: var(--err); }
svg.ladder .lane text { font-weight: bold; font-size: 12px; }
svg.ladder .lane line { stroke: #8c959f; stroke-dasharray: 4 3; }
svg.ladder .msg { cursor: pointer; }
svg.ladder .msg .hit { fill: transparent; }
svg.ladder .msg:hover .hit, svg.ladder .msg:focus .hit { fill: #fff3b0; }
svg.ladder .msg:focus { outline: none; }
svg.ladder .shaft { stroke-width: 1.4; }
svg.ladder .time { fill: var(--muted); font-size: 10px; }
svg.ladder .msg-req .shaft { stroke: #0b57d0; } svg.ladder .msg-req .head { fill: #0b57d0; }
svg.ladder .msg-1xx .shaft { stroke: #6e7781; } svg.ladder .msg-1xx .head { fill: #6e7781; }
svg.ladder .msg-2xx .shaft { stroke: var(--ok); } svg.ladder .msg-2xx .head { fill: var(--ok); }
svg.ladder .msg-err .shaft { stroke: var(--nok); } svg.ladder .msg-err .head { fill: var(--nok); }
svg.ladder .msg-auth .shaft { stroke: #9a6700; } svg.ladder .msg-auth .head { fill: #9a6700; }
svg.ladder .msg-bad .shaft { stroke: var(--err); stroke-dasharray: 3 2; } svg.ladder .msg-bad .head { fill: var(--err); }
svg.ladder .label { fill: var(--ink); }
svg.dtmf-timeline { font-size: 11px; display: block; max-width: 100%; height: auto; }
svg.dtmf-timeline .track { stroke: #8c959f; }
svg.dtmf-timeline .sent circle { fill: #0b57d0; } svg.dtmf-timeline .received rect { fill: var(--ok); }
svg.dtmf-timeline .link { stroke: #8c959f; stroke-dasharray: 2 2; }
svg.dtmf-timeline .mode { font-weight: bold; }
figure.waveform { margin: 8px 0; }
figure.waveform svg { border: 1px solid var(--line); background: #fbfcfd; max-width: 100%; height: auto; }
figure.waveform .axis { stroke: #c9ced6; }
figure.waveform .wave { stroke: #0b57d0; stroke-width: 1; fill: none; }
figcaption { color: var(--muted); font-size: 12px; }
.note, .legend { color: var(--muted); font-size: 12px; }
.judged-by-engineer { font-size: 12px; color: #0b57d0; margin-top: 2px; }
dialog#sip-dialog { width: min(960px, 94vw); max-height: 86vh; border: 1px solid #8c959f; border-radius: 6px; padding: 0; }
dialog#sip-dialog header { display: flex; justify-content: space-between; align-items: center; gap: 12px; background: #eef1f5; padding: 6px 10px; font-weight: bold; }
dialog#sip-dialog pre { margin: 0; padding: 10px; overflow: auto; max-height: 74vh; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
details.evidence-message pre { white-space: pre-wrap; word-break: break-all; font-size: 11px; max-height: 320px; overflow: auto; margin: 4px 0; }
@media print {
  nav.toc, dialog, .no-print { display: none !important; }
  main { max-width: none; padding: 0; }
  body { font-size: 10.5pt; }
  .ladder-box { overflow: visible; border: none; }
  svg.ladder { max-width: 100%; height: auto; }
  tr, figure, svg { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  h2#evidence { break-before: page; }
  section.evidence h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;

/** The page's script: an arrow (click, Enter or Space) shows its message in the dialog. */
export const HTML_REPORT_SCRIPT = `
(function () {
  var dialog = document.getElementById('sip-dialog');
  var title = document.getElementById('sip-dialog-title');
  var body = document.getElementById('sip-dialog-text');
  function open(g) {
    var src = document.getElementById(g.getAttribute('data-msg'));
    if (!src) return;
    title.textContent = src.getAttribute('data-title') || '';
    body.textContent = src.textContent;
    if (dialog && typeof dialog.showModal === 'function') { if (!dialog.open) dialog.showModal(); }
    else { src.hidden = !src.hidden; }
  }
  document.addEventListener('click', function (e) {
    var t = e.target;
    var g = t && t.closest ? t.closest('.msg[data-msg]') : null;
    if (g) open(g);
  });
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if ((e.key === 'Enter' || e.key === ' ') && t && t.closest) {
      var g = t.closest('.msg[data-msg]');
      if (g) { e.preventDefault(); open(g); }
    }
  });
  var close = document.getElementById('sip-dialog-close');
  if (close) close.addEventListener('click', function () { dialog.close(); });
})();
`;
