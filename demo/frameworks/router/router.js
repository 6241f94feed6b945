// A plain History-API router without a framework: links call pushState, routes are rendered from
// markup strings into #app (parsed templates), back and forward come as popstate. The script tag
// sends the page events for route changes by itself (data-auto-page, default on).
import { HERO, ROUTES, TEXT, items, routeOf, signIn } from '../shared.js';

const base = '/router';
let list = items.first();
let count = 0;

const hero = () => `<ctfl-optimized-entry class="hero" entry-id="${HERO.baseline}">
        <h1>${TEXT.baseline}</h1>
        <p class="count">Rendered ${count} times</p>
        <template data-variant-id="${HERO.variant}"><h1>${TEXT.variant}</h1></template>
      </ctfl-optimized-entry>`;

function view(path) {
  const links = Object.entries(ROUTES).map(([to, name]) => `<a id="to-${name.toLowerCase()}" href="${base}${to === '/' ? '/' : to}">${name}</a>`).join('');
  return `<nav>${links}</nav>
    <p class="greeting">Hi <ctfl-merge-tag path="traits.firstname" fallback="there"></ctfl-merge-tag>!</p>
    <p class="cta"><ctfl-flag key="hero-cta" fallback="Learn more"></ctfl-flag></p>
    <main>
      <h2 class="route">${ROUTES[path]}</h2>
      ${hero()}
    </main>
    <div class="controls">
      <button id="rerender">Re-render</button> <button id="add">Add item</button> <button id="remove">Remove item</button>
      <button id="reorder">Reorder</button> <button id="toggle">Unmount / mount</button> <button id="sign-in">Sign in</button>
    </div>`;
}

/** The items are kept by hand with DOM calls on the entry's children, as a small widget would. */
function renderItems() {
  const hero = document.querySelector('ctfl-optimized-entry.hero');
  const counter = hero.querySelector(':scope > .count');
  const have = new Map([...hero.querySelectorAll(':scope > .item')].map((p) => [p.dataset.id, p]));
  for (const [id, p] of have) if (!list.some((i) => String(i.id) === id)) hero.removeChild(p);
  for (const item of list) {
    let p = have.get(String(item.id));
    if (!p) { p = document.createElement('p'); p.className = 'item'; p.dataset.id = String(item.id); p.textContent = item.label; }
    hero.insertBefore(p, counter); // moves existing ones into the new order
  }
  counter.textContent = `Rendered ${count} times`;
}

function toggle() {
  const main = document.querySelector('main');
  const shown = main.querySelector('.hero');
  if (shown) {
    shown.remove();
    main.insertAdjacentHTML('beforeend', '<p class="unmounted">No hero</p>');
  } else {
    main.querySelector('.unmounted').remove();
    main.insertAdjacentHTML('beforeend', hero());
    renderItems();
  }
}

function show(path) {
  document.getElementById('app').innerHTML = view(path);
  renderItems();
  document.title = `Router · ${ROUTES[path]}`;
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (a && a.origin === location.origin && a.pathname.startsWith(base)) {
    e.preventDefault();
    history.pushState({}, '', a.pathname);
    show(routeOf(base, a.pathname));
    return;
  }
  const op = e.target.closest('button')?.id;
  if (op === 'sign-in') void signIn();
  else if (op === 'toggle') toggle();
  else if (op === 'rerender') { count++; renderItems(); }
  else if (op && items[op]) { list = items[op](list); renderItems(); }
});
addEventListener('popstate', () => show(routeOf(base, location.pathname)));
show(routeOf(base, location.pathname));
