import { ok, equal } from '../helpers/assert.js';
import { clearBrowserState, createRuntime, destroyRuntimes, experienceEventsFor, EMULATOR } from '../helpers/browser.js';

describe('runtime against the emulator', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('page() creates a profile and publishes profile, selections and changes', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const result = await sdk.page();
    ok(result.accepted);
    ok(result.data?.profile.id, 'profile id');
    equal(sdk.state.profile?.id, result.data!.profile.id);
    const events = await experienceEventsFor(sdk.config.clientId);
    equal(events.length, 1);
    equal(events[0].type, 'page');
    ok(EMULATOR.startsWith('http://127.0.0.1:'));
  });
});
