/**
 * The dashboard's script (`/_emulator/dashboard.js`, built to dist/emulator-dashboard.js): polls
 * `/_emulator/results` once a second (answered 304 while nothing changed), rebuilds the figures
 * from the same view tree the server rendered, and lets the user pick goals
 * (`POST /_emulator/goals`). Nodes are made with createElement / createElementNS and text nodes
 * only: nothing received is ever parsed as HTML.
 */
import { audiencesView, goalOptionsView, resultsView, summaryView, SVG_TAGS, type Child } from './dashboard-view.js';
import type { ResultsResponse } from './results.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const POLL_MS = 1000;

function toDom(children: readonly Child[], inSvg = false): Node[] {
  return children.map((c) => {
    if (typeof c === 'string') return document.createTextNode(c);
    const svg = inSvg || c.tag === 'svg';
    const el = svg && SVG_TAGS.has(c.tag) ? document.createElementNS(SVG_NS, c.tag) : document.createElement(c.tag);
    for (const [name, value] of Object.entries(c.attrs)) if (name !== 'xmlns') el.setAttribute(name, value);
    el.append(...toDom(c.children, svg));
    return el;
  });
}

/** Replaces a container's children, keeping keyboard focus on the "same" control when it is rebuilt. */
function replace(container: Element, children: readonly Child[]): void {
  const active = document.activeElement;
  const inside = active instanceof HTMLElement && container.contains(active);
  const id = inside ? active.id : '';
  const value = inside && active instanceof HTMLInputElement ? active.value : null;
  container.replaceChildren(...toDom(children));
  if (!inside) return;
  const again = (value !== null ? [...container.querySelectorAll('input')].find((i) => i.value === value && i.type === (active as HTMLInputElement).type) : null)
    ?? (id ? document.getElementById(id) : null);
  if (again instanceof HTMLElement) again.focus();
}

const isResults = (v: unknown): v is ResultsResponse => {
  const r = v as ResultsResponse;
  return !!r && typeof r === 'object' && Array.isArray(r.experiences) && Array.isArray(r.goals) && Array.isArray(r.availableGoals)
    && Array.isArray(r.unevaluableAudiences) && !!r.totals && !!r.method && !!r.scope && typeof r.generatedAt === 'string';
};

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { message?: unknown; error?: { code?: unknown } };
    return `${String(body.error?.code ?? res.status)}: ${String(body.message ?? '')}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

function start(): void {
  const summary = document.getElementById('summary');
  const results = document.getElementById('results');
  const audiences = document.getElementById('audiences');
  const form = document.getElementById('goals');
  const options = document.getElementById('goal-options');
  const status = document.getElementById('live-status');
  const pause = document.getElementById('pause');
  const goalsError = document.getElementById('goals-error');
  if (!summary || !results || !audiences || !(form instanceof HTMLFormElement) || !options || !status || !(pause instanceof HTMLButtonElement) || !goalsError) return;

  const page = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  for (const name of ['organization', 'environment']) {
    const value = page.get(name);
    if (value) query.set(name, value);
  }
  const resultsUrl = `/_emulator/results${query.toString() ? `?${query}` : ''}`;
  let etag = '';
  let paused = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let optionsKey = '';
  /** The poll in flight, if any: there is never more than one. */
  let inflight: Promise<void> | null = null;
  let abort: AbortController | null = null;
  /**
   * Bumped when the goals change: an answer to a request sent before is for the old goals, and
   * drawing it would tick the old checkboxes again under the user's hand.
   */
  let generation = 0;
  let changingGoals = 0;

  const render = (r: ResultsResponse) => {
    replace(summary, summaryView(r));
    replace(results, resultsView(r));
    replace(audiences, audiencesView(r));
    const key = JSON.stringify([r.goals, r.availableGoals]);
    if (key !== optionsKey) { optionsKey = key; replace(options, goalOptionsView(r)); }
  };

  const pollOnce = async () => {
    const mine = generation;
    const controller = (abort = new AbortController());
    const stale = () => mine !== generation || changingGoals > 0;
    try {
      const res = await fetch(resultsUrl, { headers: etag ? { 'If-None-Match': etag } : {}, cache: 'no-store', signal: controller.signal });
      if (stale()) return;
      if (res.status === 304) {
        status.textContent = 'Live: up to date.';
      } else if (!res.ok) {
        status.textContent = `Live updates stopped working: ${await errorText(res)}`;
      } else {
        const json: unknown = await res.json();
        if (stale()) return;
        if (!isResults(json)) throw new Error('unexpected answer');
        etag = res.headers.get('ETag') ?? '';
        render(json);
        status.textContent = 'Live: up to date.';
      }
    } catch (error) {
      if (stale()) return;
      status.textContent = `Live updates cannot reach the emulator (${(error as Error).message}); retrying.`;
    }
  };

  const poll = (): Promise<void> => {
    clearTimeout(timer);
    inflight ??= pollOnce().finally(() => {
      inflight = null;
      if (!paused && !document.hidden) { clearTimeout(timer); timer = setTimeout(poll, POLL_MS); }
    });
    return inflight;
  };

  /** Drops the answer of any poll in flight, waits until it is done, and polls again. */
  const pollAfresh = async () => {
    generation++;
    abort?.abort();
    await inflight;
    etag = '';
    optionsKey = '';
    await poll();
  };

  const setGoals = async (goals: string[]): Promise<boolean> => {
    changingGoals++;
    generation++;
    let res: Response | null;
    try {
      res = await fetch('/_emulator/goals', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ goals }),
      }).catch(() => null);
    } finally {
      changingGoals--;
    }
    if (!res || !res.ok) {
      goalsError.textContent = res ? `Goals not changed: ${await errorText(res)}` : 'Goals not changed: the emulator cannot be reached.';
      goalsError.hidden = false;
      await pollAfresh(); // the checkboxes show the goals as they are
      return false;
    }
    goalsError.hidden = true;
    await pollAfresh();
    return true;
  };

  const checked = () => [...form.querySelectorAll<HTMLInputElement>('input[name="goal"]:checked')].map((i) => i.value);
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === 'goal') void setGoals(checked());
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = form.querySelector<HTMLInputElement>('#goal-new');
    const name = input?.value.trim() ?? '';
    if (!name) return;
    void setGoals([...new Set([...checked(), name])]).then((ok) => { if (ok && input) input.value = ''; });
  });

  pause.hidden = false;
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume updates' : 'Pause updates';
    if (paused) { clearTimeout(timer); status.textContent = 'Paused: the figures stay as they are.'; } else void poll();
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden && !paused) void poll(); });
  form.dataset.enhanced = 'true';
  void poll();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
