// React 19 over server HTML: hydrateRoot. The server rendered the same App for this path.
import { hydrateRoot } from 'react-dom/client';
import { App } from './App.jsx';
import { routeOf } from '../shared.js';

const base = '/react-ssr';
hydrateRoot(document.getElementById('app'), <App base={base} path={routeOf(base, location.pathname)} ssr />);
