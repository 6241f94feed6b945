// The lit demo, and the package's way in: the runtime and elements from
// @ctfl/optimization-elements (no script tag), page events on route changes from
// trackRouteChanges(). lit's render() owns the entry's children (its markers and parts included);
// the variant <template> in a lit template is parsed, so the entry shows its own copy of it.
import { html, render } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { ContentfulOptimization, defineElements, trackRouteChanges } from '@ctfl/optimization-elements';
import { HERO, ROUTES, TEXT, items, routeOf, signIn } from '../shared.js';

const base = '/lit';
const config = { ...JSON.parse(document.getElementById('demo-config').textContent), ...window.ctflOptimizationConfig };
defineElements();
const optimization = new ContentfulOptimization(config);
window.optimization = optimization;
void optimization.page();
trackRouteChanges(optimization);

const state = { path: routeOf(base, location.pathname), list: items.first(), count: 0, shown: true };
const set = (patch) => { Object.assign(state, patch); update(); };
addEventListener('popstate', () => set({ path: routeOf(base, location.pathname) }));
const go = (to) => (e) => { e.preventDefault(); history.pushState({}, '', base + (to === '/' ? '/' : to)); set({ path: to }); };

const hero = ({ list, count }) => html`
  <ctfl-optimized-entry class="hero" entry-id=${HERO.baseline}>
    <h1>${TEXT.baseline}</h1>
    ${list.map((item) => html`<p class="item">${item.label}</p>`)}
    <p class="count">Rendered ${count} times</p>
    <template data-variant-id="heroVariant00000000001"><h1>Plans that grow with you</h1></template>
  </ctfl-optimized-entry>`;

function update() {
  const s = state;
  render(html`
    <nav>${Object.entries(ROUTES).map(([to, name]) => html`<a id=${`to-${name.toLowerCase()}`} href=${base + (to === '/' ? '/' : to)} @click=${go(to)}>${name}</a>`)}</nav>
    <p class="greeting">Hi <ctfl-merge-tag path="traits.firstname" fallback="there"></ctfl-merge-tag>!</p>
    <p class="cta"><ctfl-flag key="hero-cta" fallback="Learn more"></ctfl-flag></p>
    <main>
      <h2 class="route">${ROUTES[s.path]}</h2>
      ${s.shown ? keyed(s.path, hero(s)) : html`<p class="unmounted">No hero</p>`}
    </main>
    <div class="controls">
      <button id="rerender" @click=${() => set({ count: s.count + 1 })}>Re-render</button>
      <button id="add" @click=${() => set({ list: items.add(s.list) })}>Add item</button>
      <button id="remove" @click=${() => set({ list: items.remove(s.list) })}>Remove item</button>
      <button id="reorder" @click=${() => set({ list: items.reorder(s.list) })}>Reorder</button>
      <button id="toggle" @click=${() => set({ shown: !s.shown })}>Unmount / mount</button>
      <button id="sign-in" @click=${() => void signIn()}>Sign in</button>
    </div>`, document.getElementById('app'));
  // The router sets the title once the route rendered (the page event waits for it).
  document.title = `lit · ${ROUTES[s.path]}`;
}
update();
