// React 19, client-rendered: createRoot.
import { createRoot } from 'react-dom/client';
import { App } from './App.jsx';
import { routeOf } from '../shared.js';

const base = '/react';
createRoot(document.getElementById('app')).render(<App base={base} path={routeOf(base, location.pathname)} />);
