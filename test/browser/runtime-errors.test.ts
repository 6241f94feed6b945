// Bad input: invalid configuration throws an OptimizationError with a stable code naming the
// field; malformed or failing API answers (real faults from the emulator) leave state unchanged,
// mark requestState failed and never reach the page as an exception.
import { deepEqual, equal, match, ok, thrown } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, EMULATOR, experienceRequestsFor, injectFault, makeProfile,
  responseBody, waitFor, watchPageErrors,
} from '../helpers/browser.js';
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { OptimizationError } from '../../src/core/log.js';
import { parseMessage } from '../helpers/messages.js';
import type { OptimizationState } from '../../src/browser/optimization.js';

type Failed = Extract<OptimizationState['requestState'], { status: 'failed' }>;
const construct = (config: unknown) => thrown(() => new ContentfulOptimization(config as never), 'the constructor should throw');

describe('invalid configuration', () => {
  it('E001: a configuration that is not an object', () => {
    for (const config of [undefined, null, 'client-id', 42]) {
      const error = construct(config);
      ok(error instanceof OptimizationError, String(config));
      equal(error.code, 'E001');
      deepEqual(parseMessage(error.message), { code: 'E001', detail: '' }, 'the table\'s E001 text, which says to pass { clientId }');
      match(error.message, /^ctfl-opt\/E001: .*clientId/);
    }
  });

  it('E002: clientId missing or empty', () => {
    for (const config of [{}, { clientId: '' }, { clientId: undefined, environment: 'main' }]) {
      const error = construct(config);
      equal(error.code, 'E002');
      deepEqual(parseMessage(error.message), { code: 'E002', detail: '' });
      match(error.message, /^ctfl-opt\/E002: `clientId` is missing — /);
    }
  });

  it('E003: an invalid field is named in the message', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ clientId: 'has spaces' }, /clientId/],
      [{ clientId: 42 }, /clientId: expected string/],
      [{ clientId: 'org', api: { experienceBaseUrl: 'ftp://example.com' } }, /api\.experienceBaseUrl/],
      [{ clientId: 'org', api: { timeoutMs: -1 } }, /api\.timeoutMs/],
      [{ clientId: 'org', insights: { batchSize: 2.5 } }, /insights\.batchSize/],
      [{ clientId: 'org', defaults: { consent: 'yes' } }, /defaults\.consent/],
      [{ clientId: 'org', defaults: { profile: { id: 'only-an-id' } } }, /defaults\.profile\./],
      [{ clientId: 'org', allowedEventTypes: 'page' }, /allowedEventTypes/],
      [{ clientId: 'org', onEventBlocked: 'not a function' }, /onEventBlocked/],
      [{ clientId: 'org', cookie: { domain: 'a b' } }, /cookie\.domain/],
    ];
    for (const [config, field] of cases) {
      const error = construct(config);
      equal(error.code, 'E003', JSON.stringify(config));
      equal(error.name, 'OptimizationError');
      match(parseMessage(error.message).detail, field, JSON.stringify(config));
    }
  });
});

describe('malformed and failing API responses', () => {
  let errors: ReturnType<typeof watchPageErrors>;
  beforeEach(async () => { await clearBrowserState(); errors = watchPageErrors(); });
  afterEach(() => {
    destroyRuntimes();
    deepEqual(errors.stop(), [], 'no exception reached the page');
  });

  /** A runtime with a known state, then one page() answered by `fault`. */
  async function pageWithFault(fault: Parameters<typeof injectFault>[0], config: Parameters<typeof createRuntime>[0] = {}) {
    const sdk = createRuntime({ defaults: { profile: makeProfile('seeded'), selectedOptimizations: [], changes: [] }, ...config });
    const before = sdk.state;
    await injectFault({ organization: sdk.config.clientId, api: 'experience', ...fault });
    const result = await sdk.page();
    return { sdk, before, result, failed: sdk.state.requestState as Failed };
  }

  function unchanged(sdk: ContentfulOptimization, before: OptimizationState) {
    equal(sdk.state.profile, before.profile, 'profile unchanged');
    equal(sdk.state.selectedOptimizations, before.selectedOptimizations, 'selections unchanged');
    equal(sdk.state.changes, before.changes, 'changes unchanged');
  }

  it('truncated JSON (200) → requestState failed (invalid-response), state unchanged', async () => {
    const { sdk, before, result, failed } = await pageWithFault({ status: 200, body: responseBody('abc').slice(0, 60) });
    equal(result.data, undefined);
    equal(failed.status, 'failed');
    equal(failed.reason, 'invalid-response');
    unchanged(sdk, before);
  });

  it('wrong types (200) → requestState failed (invalid-response), state unchanged', async () => {
    const bodies = [
      JSON.stringify({ data: { profile: { ...makeProfile('x'), id: 123 }, experiences: [], changes: [] }, message: 'ok', error: null }),
      JSON.stringify({ data: { profile: makeProfile('x'), experiences: 'none', changes: [] }, message: 'ok', error: null }),
      'null',
      '[]',
    ];
    for (const body of bodies) {
      const { sdk, before, failed } = await pageWithFault({ status: 200, body });
      equal(failed.reason, 'invalid-response', body.slice(0, 40));
      unchanged(sdk, before);
    }
  });

  it('an error envelope with status 200 → requestState failed (api-error with its code), state unchanged', async () => {
    const body = JSON.stringify({ message: 'profile overloaded', data: {}, error: { code: 'ERR_PROFILE_OVERLOAD' } });
    const { sdk, before, failed } = await pageWithFault({ status: 200, body });
    equal(failed.reason, 'api-error');
    equal(failed.code, 'ERR_PROFILE_OVERLOAD');
    unchanged(sdk, before);
  });

  it('500 → requestState failed, state unchanged; the event is retried and delivered once the API recovers', async () => {
    const { sdk, before, failed } = await pageWithFault({ status: 500 });
    equal(failed.httpStatus, 500);
    equal(failed.code, 'ERR_INTERNAL_SERVER_ERROR');
    unchanged(sdk, before);
    await waitFor(() => sdk.state.requestState.status === 'success', 3000, 'retry succeeded');
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    deepEqual(reqs.map((r) => r.status), [500, 200]);
    equal(reqs[0]!.body.events[0].messageId, reqs[1]!.body.events[0].messageId, 'the same event, sent again');
    equal(sdk.state.profile?.id, 'seeded');
  });

  it('503 with a non-JSON body → requestState failed (http), state unchanged', async () => {
    const { sdk, before, failed } = await pageWithFault({ status: 503, body: '<html>Service Unavailable</html>', headers: { 'Content-Type': 'text/html' } });
    equal(failed.reason, 'http');
    equal(failed.httpStatus, 503);
    unchanged(sdk, before);
  });

  it('429 with Retry-After → requestState failed, and the retry waits as long as the API asked', async () => {
    const { sdk, before, failed } = await pageWithFault({ status: 429, headers: { 'Retry-After': '2' } });
    equal(failed.httpStatus, 429);
    equal(failed.code, 'ERR_PROFILE_OVERLOAD');
    unchanged(sdk, before);
    await waitFor(async () => (await experienceRequestsFor(sdk.config.clientId)).length === 2, 4000, 'the retry');
    const [first, second] = await experienceRequestsFor(sdk.config.clientId);
    const waited = Date.parse(second!.receivedAt) - Date.parse(first!.receivedAt);
    ok(waited >= 1900, `retried after ${waited} ms`);
  });

  it('no answer within api.timeoutMs → requestState failed (timeout), state unchanged', async () => {
    const { sdk, before, failed } = await pageWithFault({ status: 200, delayMs: 600 }, { api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR, timeoutMs: 150 } });
    equal(failed.reason, 'timeout');
    unchanged(sdk, before);
  });

  it('4xx invalid data drops the event: it is not retried or sent again', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 400 });
    const result = await sdk.track({ event: 'signup' });
    equal(result.accepted, false, 'a refused event is not accepted');
    equal(result.error?.code, 'ERR_INVALID_DATA');
    equal(result.error?.status, 400);
    const failed = sdk.state.requestState as Failed;
    equal(failed.code, 'ERR_INVALID_DATA');
    await sdk.page();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    deepEqual(reqs.map((r) => r.body.events.map((e: { type: string }) => e.type)), [['track'], ['page']], 'the refused event was dropped');
  });

  it('4xx invalid data from the real API (an event it refuses) drops that request’s events', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    // Past the API's 256-character limit for event names: our own checks let it through, the API refuses it.
    const result = await sdk.track({ event: 'x'.repeat(300) });
    deepEqual([result.accepted, result.error?.code], [false, 'ERR_INVALID_DATA']);
    await sdk.page();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(reqs.length, 2);
    equal(reqs[0]!.status, 400);
    deepEqual(reqs[1]!.body.events.map((e: { type: string }) => e.type), ['page']);
  });
});
