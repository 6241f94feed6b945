// The React 19 demo: a two-route app that owns the children of <ctfl-optimized-entry>, renders a
// flag and a merge tag, and keeps updating all of them whatever variant shows. Rendered on the
// client (client.jsx) and on the server with hydrateRoot over its HTML (server render in
// ../server.mjs, ssr-client.jsx).
import { useEffect, useState } from 'react';
import { HERO, ROUTES, TEXT, items, routeOf, signIn } from '../shared.js';

/**
 * The hero. Client-rendered, its variant is a JSX <template>: React puts the children on the
 * template element and the entry shows those very nodes, so React keeps updating them. Rendered on
 * the server, the variant is an element with data-variant-id instead (React cannot hydrate a
 * template's children: the HTML parser puts them in its content), and suppressHydrationWarning
 * covers the data-ctfl-* attributes the element sets before React hydrates.
 */
function Hero({ list, count, ssr }) {
  return (
    <ctfl-optimized-entry className="hero" entry-id={HERO.baseline} suppressHydrationWarning>
      <h1>{TEXT.baseline}</h1>
      {list.map((item) => <p key={item.id} className="item">{item.label}</p>)}
      <p className="count">Rendered {count} times</p>
      {ssr ? (
        <section data-variant-id={HERO.variant} hidden>
          <h1>{TEXT.variant}</h1>
          <p className="count">Variant rendered {count} times</p>
        </section>
      ) : (
        <template data-variant-id={HERO.variant}>
          <h1>{TEXT.variant}</h1>
          <p className="count">Variant rendered {count} times</p>
        </template>
      )}
    </ctfl-optimized-entry>
  );
}

export function App({ base, path: initialPath, ssr = false }) {
  const [path, setPath] = useState(initialPath);
  const [list, setList] = useState(items.first);
  const [count, setCount] = useState(0);
  const [shown, setShown] = useState(true);
  useEffect(() => {
    const onPop = () => setPath(routeOf(base, location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, [base]);
  // The router sets the title after rendering the route (the page event waits for it).
  useEffect(() => { document.title = `React · ${ROUTES[path]}`; }, [path]);
  const go = (to) => (e) => { e.preventDefault(); history.pushState({}, '', base + (to === '/' ? '/' : to)); setPath(to); };
  return (
    <>
      <nav>
        {Object.entries(ROUTES).map(([to, name]) => <a key={to} href={base + (to === '/' ? '/' : to)} onClick={go(to)} id={`to-${name.toLowerCase()}`}>{name}</a>)}
      </nav>
      <p className="greeting">Hi <ctfl-merge-tag path="traits.firstname" fallback="there" suppressHydrationWarning></ctfl-merge-tag>!</p>
      <p className="cta">{/* `key` is React's own: flag-key */}<ctfl-flag flag-key="hero-cta" fallback="Learn more" suppressHydrationWarning></ctfl-flag></p>
      <main>
        <h2 className="route">{ROUTES[path]}</h2>
        {shown ? <Hero key={path} list={list} count={count} ssr={ssr} /> : <p className="unmounted">No hero</p>}
      </main>
      <div className="controls">
        <button id="rerender" onClick={() => setCount((c) => c + 1)}>Re-render</button>
        <button id="add" onClick={() => setList(items.add)}>Add item</button>
        <button id="remove" onClick={() => setList(items.remove)}>Remove item</button>
        <button id="reorder" onClick={() => setList(items.reorder)}>Reorder</button>
        <button id="toggle" onClick={() => setShown((s) => !s)}>Unmount / mount</button>
        <button id="sign-in" onClick={() => void signIn()}>Sign in</button>
      </div>
    </>
  );
}
