#!/usr/bin/env node
// Load test for the emulator (not part of the test suite): autocannon, 50 connections for 10 s,
// POSTing profile updates (one page event, text/plain) to a real `ctfl-optimization serve`
// process with the demo space (a child process, so autocannon does not share its CPU).
// Usage: node scripts/build.mjs && node scripts/bench-emulator.mjs [--duration 10]
//   [--connections 50] [--profiles 1000] [--data DIR]
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' },
  profiles: { type: 'string', default: '1000' }, data: { type: 'string' },
} });
const { startEmulator } = await import('../test/helpers/emulator.mjs');

const emulator = await startEmulator(values.data ? ['--data', values.data] : []);
const { url } = emulator;
const org = 'bench';
const ts = new Date().toISOString();
const body = JSON.stringify({ events: [{
  type: 'page', channel: 'web', messageId: randomUUID(), originalTimestamp: ts, sentAt: ts, timestamp: ts,
  context: { locale: 'en-US', userAgent: 'autocannon', page: { path: '/pricing', query: {}, referrer: '', search: '', url: 'https://site.example/pricing' } },
  properties: { path: '/pricing', query: {}, referrer: '', search: '', title: 'Pricing', url: 'https://site.example/pricing' },
}] });

const profiles = Number(values.profiles);
let i = 0;
const result = await autocannon({
  url,
  connections: Number(values.connections),
  duration: Number(values.duration),
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    setupRequest: (req) => ({ ...req, path: `/v2/organizations/${org}/environments/main/profiles/bench-${i++ % profiles}`, body }),
  }],
});
const exitCode = await emulator.stop('SIGTERM');

const non2xx = result.non2xx + result.errors;
console.log(JSON.stringify({
  connections: result.connections,
  durationS: result.duration,
  profiles,
  persistence: values.data ? 'on' : 'off',
  requestsPerSecond: { average: result.requests.average, p50: result.requests.p50 },
  latencyMs: { average: result.latency.average, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  totalRequests: result.requests.total,
  non2xxOrErrors: non2xx,
  emulatorExitCode: exitCode,
}, null, 2));
process.exitCode = non2xx > 0 ? 1 : 0;
