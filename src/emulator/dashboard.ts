/**
 * `GET /_emulator/`: experiment results per experience and variant (see results.ts), rendered on
 * the server so the page reads without script, then kept live by `/_emulator/dashboard.js`, which
 * polls `/_emulator/results` and rebuilds the same tree (dashboard-view.ts) as DOM nodes.
 *
 * Every piece of text goes through `escapeHtml`: experience names and ids come from a space file,
 * goal names and ids from events, organization ids from URLs, and none of it may become markup.
 * Script and styles are same-origin files: the page is served with `DASHBOARD_CSP`, which allows
 * no inline script or style at all.
 */
import { escapeHtml } from '../core/text.js';
import { audiencesView, goalsView, resultsView, summaryView, type Child } from './dashboard-view.js';
import type { ResultsResponse } from './results.js';

/**
 * The dashboard's script builds nodes with createElement and text nodes only, so it needs no
 * HTML or script sink at all: Trusted Types with no policy allowed make any such use an error.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
  + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

export const DASHBOARD_SCRIPT_PATH = '/_emulator/dashboard.js';
export const DASHBOARD_STYLE_PATH = '/_emulator/dashboard.css';

export { escapeHtml };

const NAME = /^[a-z][a-z0-9-]*$/;
const ATTRIBUTE = /^[a-zA-Z][a-zA-Z0-9:-]*$/;
const VOID = new Set(['input', 'br', 'meta', 'link']);

/** Serializes a view tree; tag and attribute names come from code and are checked anyway. */
export function toHtml(children: readonly Child[]): string {
  let out = '';
  for (const c of children) {
    if (typeof c === 'string') { out += escapeHtml(c); continue; }
    if (!NAME.test(c.tag)) throw new Error(`dashboard: bad tag name ${JSON.stringify(c.tag)}`);
    out += `<${c.tag}`;
    for (const [name, value] of Object.entries(c.attrs)) {
      if (!ATTRIBUTE.test(name) || /^on/i.test(name)) throw new Error(`dashboard: bad attribute name ${JSON.stringify(name)}`);
      out += ` ${name}="${escapeHtml(value)}"`;
    }
    out += '>';
    if (VOID.has(c.tag)) continue;
    out += `${toHtml(c.children)}</${c.tag}>`;
  }
  return out;
}

export function renderDashboard(results: ResultsResponse, spaceSource: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ctfl-optimization emulator: experiment results</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${DASHBOARD_STYLE_PATH}">
<script src="${DASHBOARD_SCRIPT_PATH}" defer></script>
</head><body>
<header>
<h1>ctfl-optimization emulator</h1>
<p class="muted">Space: ${escapeHtml(spaceSource)}</p>
<dl id="summary">${toHtml(summaryView(results))}</dl>
<p class="live"><span id="live-status" class="muted">Live updates need the page's script.</span>
<button type="button" id="pause" hidden aria-pressed="false">Pause updates</button></p>
</header>
<main>
<section aria-labelledby="goals-title"><h2 id="goals-title">Goals</h2>
<form id="goals" data-enhanced="false">${toHtml(goalsView(results))}</form>
<p id="goals-error" class="warning" role="alert" hidden></p></section>
<div id="results">${toHtml(resultsView(results))}</div>
<section aria-labelledby="audiences-title" class="card"><h2 id="audiences-title">Audiences that never match</h2>
<div id="audiences">${toHtml(audiencesView(results))}</div></section>
<section aria-labelledby="method-title" class="card method"><h2 id="method-title">How to read these figures</h2>
<p>A visitor is a profile, exposed to an experience from its first view of the entry and counted once, in that view's variant. A conversion is an exposed visitor who sent the goal's track event after that first view. Events resent with the same messageId count once.</p>
<p>The rate's interval is Wilson's; the difference to the baseline has Newcombe's hybrid score 95 % interval; the chance to beat the baseline compares Beta(1, 1) posteriors exactly. Each assumes visitors convert independently and stay in one variant. The split of visitors is checked against the experience's distribution (chi-square, flagged below p = ${escapeHtml(results.method.srmThreshold)}).</p>
<p>These are fixed-sample figures: watching them and stopping once they look good overstates the evidence. Decide how many visitors you need first.</p>
</section>
</main>
</body></html>
`;
}

/** Served as `/_emulator/dashboard.css` (a file, so the page needs no `style-src 'unsafe-inline'`). */
export const DASHBOARD_CSS = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:0 0 .25rem}h3{font-size:1rem;margin:1rem 0 .25rem}
.muted{color:#57606a}.meta{color:#57606a;margin:0 0 .6rem;font-size:.875rem;overflow-wrap:anywhere}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.card{border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin:1rem 0}
.warning{color:#7d2a00;background:#fff1e5;border-left:4px solid #bc4c00;padding:.4rem .6rem;margin:.5rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
.live{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
button,input{font:inherit;min-height:2.25rem}
button{padding:.2rem .8rem;border:1px solid #57606a;border-radius:6px;background:#f6f8fa;color:#1b1f24;cursor:pointer}
button:hover{background:#eaeef2}
input[type=text]{border:1px solid #57606a;border-radius:6px;padding:.2rem .4rem;min-width:0;flex:1 1 12rem}
input[type=checkbox]{width:1.15rem;height:1.15rem;min-height:0;margin:0 .4rem 0 0;vertical-align:-.15rem}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
fieldset{border:1px solid #d0d7de;border-radius:8px;margin:0;padding:.5rem 1rem 1rem}legend{padding:0 .3rem;font-weight:600}
.goal-list{list-style:none;margin:.25rem 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
.goal-list label{overflow-wrap:anywhere}
.add-goal{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-top:.5rem}.add-goal label{flex-basis:100%}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.25rem 0;font-variant-numeric:tabular-nums}
caption{text-align:left;color:#57606a;font-size:.875rem;padding-bottom:.2rem}
th,td{text-align:right;padding:.3rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th:first-child{text-align:left}thead th{font-size:.8rem;color:#57606a;font-weight:600}
.chart{display:block;width:100%;height:auto;max-width:34rem;margin-top:.5rem}
.chart text{font:13px system-ui,sans-serif;fill:#57606a}
.legend{list-style:none;margin:.25rem 0 0;padding:0;font-size:.875rem}.legend li{margin:.15rem 0}
.unevaluable{padding-left:1.2rem}.unevaluable li{margin:.25rem 0;overflow-wrap:anywhere}
@media (max-width:40rem){
  body{margin:1rem auto;padding:0 .6rem}.card{padding:.7rem}
  table,caption,tbody,tr,th,td{display:block;width:100%}thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
  tr{border-bottom:1px solid #d0d7de;padding:.3rem 0}th,td{border:0;padding:.1rem 0;text-align:left}
  td::before{content:attr(data-label) ": ";color:#57606a}
}
`;
