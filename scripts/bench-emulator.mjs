#!/usr/bin/env node
// Load test for the emulator (not part of the test suite): autocannon, 50 connections for 10 s,
// POSTing profile updates (one page event, text/plain) to a real `ctfl-optimization serve`
// process with the demo space (a child process, so autocannon does not share its CPU).
// Usage: node scripts/build.mjs && node scripts/bench-emulator.mjs [--duration 10]
//   [--connections 50] [--profiles 1000] [--data DIR]
// `npm run bench` imports benchEmulator() for its emulator section.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator } from '../test/helpers/emulator.mjs';

/**
 * @param {{ duration?: number, connections?: number, profiles?: number, data?: string, args?: string[] }} [options]
 *   `args`: extra `serve` flags (e.g. ['--latency', '50']).
 */
export async function benchEmulator({ duration = 10, connections = 50, profiles = 1000, data, args = [] } = {}) {
  const emulator = await startEmulator([...(data ? ['--data', data] : []), ...args]);
  const { url } = emulator;
  const org = 'bench';
  const ts = new Date().toISOString();
  const event = {
    type: 'page', channel: 'web', messageId: '', originalTimestamp: ts, sentAt: ts, timestamp: ts,
    context: { locale: 'en-US', userAgent: 'autocannon', page: { path: '/pricing', query: {}, referrer: '', search: '', url: 'https://site.example/pricing' } },
    properties: { path: '/pricing', query: {}, referrer: '', search: '', title: 'Pricing', url: 'https://site.example/pricing' },
  };
  // A new messageId per request: the emulator applies an event once per messageId, so a resent one
  // would be answered as a read.
  const body = () => JSON.stringify({ events: [{ ...event, messageId: randomUUID() }] });

  let i = 0;
  let result;
  let exitCode;
  try {
    result = await autocannon({
      url,
      connections,
      duration,
      requests: [{
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        setupRequest: (req) => ({ ...req, path: `/v2/organizations/${org}/environments/main/profiles/bench-${i++ % profiles}`, body: body() }),
      }],
    });
  } finally {
    exitCode = await emulator.stop('SIGTERM');
  }
  return {
    connections: result.connections,
    durationS: result.duration,
    profiles,
    persistence: data ? 'on' : 'off',
    requestsPerSecond: { average: result.requests.average, p50: result.requests.p50 },
    latencyMs: { average: result.latency.average, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    totalRequests: result.requests.total,
    non2xxOrErrors: result.non2xx + result.errors,
    emulatorExitCode: exitCode,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: {
    duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' },
    profiles: { type: 'string', default: '1000' }, data: { type: 'string' },
  } });
  const out = await benchEmulator({
    duration: Number(values.duration), connections: Number(values.connections), profiles: Number(values.profiles), data: values.data,
  });
  console.log(JSON.stringify(out, null, 2));
  process.exitCode = out.non2xxOrErrors > 0 ? 1 : 0;
}
