// What every framework demo renders, from the demo space (demo/space.json): the hero entry (the
// "Pricing visitors" audience sees its variant), the `hero-cta` flag of the teaser A/B test and a
// first-name merge tag — and two routes, so that page events follow the router.
export const HERO = { baseline: 'heroBaseline0000000001', variant: 'heroVariant00000000001' };
export const TEXT = { baseline: 'Personalization without the wait', variant: 'Plans that grow with you' };
export const ROUTES = { '/': 'Home', '/pricing': 'Pricing' };
export const FIRST_ITEMS = ['Fast', 'Private', 'Flexible'];

/** The route of a path under the app's base (`/react/pricing` → `/pricing`). */
export const routeOf = (base, pathname) => {
  const rest = pathname.startsWith(base) ? pathname.slice(base.length) || '/' : '/';
  return Object.hasOwn(ROUTES, rest) ? rest : '/';
};

/** The list operations every demo's buttons perform on the baseline's items. */
let next = FIRST_ITEMS.length;
export const items = {
  first: () => FIRST_ITEMS.map((label, i) => ({ id: i, label })),
  add: (list) => [...list, { id: next, label: `Item ${next++}` }],
  remove: (list) => list.slice(1),
  reorder: (list) => [...list].reverse(),
};

/** The sign-in button: an identify() with a first name (the merge tag then greets the visitor). */
export const signIn = () => window.optimization.identify({ userId: 'ada@example.com', traits: { firstname: 'Ada' } });
