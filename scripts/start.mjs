#!/usr/bin/env node
// `npm start`: the emulator with demo/space.json on 127.0.0.1:8787 and the demo site on
// 127.0.0.1:8080 (two origins, as in production), a server-rendered demo on 127.0.0.1:8081 and the
// framework demos (React, Vue, Svelte, lit, a plain router) on 127.0.0.1:8082. A busy port falls back to a free one, and says
// so. Ctrl-C (or SIGTERM) stops everything; the emulator's data is in memory only.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { startDemoServer } from './demo-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const { createEmulator, loadSpaceFile } = await import(pathToFileURL(join(root, 'dist', 'emulator.mjs')).href);

/** Starts `start(port)`, or `start(0)` (a free port) when `port` is taken. */
async function withFallback(name, port, start) {
  try {
    return await start(port);
  } catch (error) {
    if (error?.code !== 'EADDRINUSE') throw error;
    console.log(`${name}: port ${port} is busy, using a free port instead`);
    return start(0);
  }
}

const emulator = createEmulator({ space: loadSpaceFile(join(root, 'demo', 'space.json')) });
const apiPort = await withFallback('emulator', 8787, (port) => new Promise((resolve, reject) => {
  emulator.server.once('error', reject);
  emulator.server.listen(port, HOST, () => resolve(emulator.server.address().port));
}));
const apiUrl = `http://${HOST}:${apiPort}`;
const demo = await withFallback('demo', 8080, (port) => startDemoServer({ port, host: HOST, emulatorUrl: apiUrl }));
// The server-rendered demo (node:http + dist/server.mjs) hands its decisions to the browser bundle.
const { startSsrDemo } = await import(pathToFileURL(join(root, 'demo', 'ssr', 'server.mjs')).href);
const ssr = await startSsrDemo({ port: 8081, emulatorUrl: apiUrl });
// The framework demos (demo/frameworks/server.mjs): their apps are built with esbuild as it starts.
const { startFrameworksDemo } = await import(pathToFileURL(join(root, 'demo', 'frameworks', 'server.mjs')).href);
const frameworks = await withFallback('framework demos', 8082, (port) => startFrameworksDemo({ port, emulatorUrl: apiUrl }));

console.log(`emulator:  ${apiUrl}  (dashboard ${apiUrl}/_emulator/)`);
console.log(`demo:      ${demo.url}/  (product page ${demo.url}/product.html)`);
console.log(`ssr demo:  ${ssr.url}/  (server-rendered, with the browser handoff)`);
console.log(`frameworks: ${frameworks.url}/  (React, React hydrated, Vue, Svelte, lit, a History-API router)`);
console.log('Ctrl-C to stop.');

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  demo.server.closeAllConnections?.();
  await Promise.all([demo.close(), ssr.close(), frameworks.close(), emulator.close()]);
  process.exitCode = 0;
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
