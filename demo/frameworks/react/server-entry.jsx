// The React demo's server render (Node): the same App, to HTML, for ../server.mjs.
import { renderToString } from 'react-dom/server';
import { App } from './App.jsx';

export const renderApp = (path) => renderToString(<App base="/react-ssr" path={path} ssr />);
