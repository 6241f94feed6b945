/**
 * Every stable code a message of ours starts with (`ctfl-opt/E031: …`): what it means and what to
 * do about it. Messages are composed from this table (src/core/log.ts `coded()`): a call site passes
 * the code and only the variable part, e.g. `log.warnOnce('E031', 'entry-id="…" data-variant-id="…"')`,
 * and development builds print `ctfl-opt/E031: <meaning>: <detail> — <action>`. The README's "Error
 * codes" table is generated from this one (scripts/error-table.mjs) and test/node/error-table.test.mjs
 * keeps them, and the codes used anywhere in src/, scripts/ and bin/, in step. Codes are never reused
 * for another meaning; a new one takes the next free number of its block.
 *
 * `meaning` reads on its own (the README's table) and before the variable part (`…: <detail>`);
 * `action` says what to do, after ` — `.
 *
 * Not in the script-tag bundle: there `coded()` prints the code and the variable part only, and this
 * table (through the README) explains them. test/node/bundle-size.test.mjs checks it stays out.
 */
export interface ErrorInfo {
  /** Where it comes from. */
  readonly area: 'browser' | 'elements' | 'consent bridge' | 'server' | 'preview' | 'emulator' | 'tooling';
  readonly meaning: string;
  readonly action: string;
}

export const ERRORS = {
  E001: { area: 'browser', meaning: 'the configuration is not an object', action: 'pass `{ clientId: "your-organization-id" }`' },
  E002: { area: 'browser', meaning: '`clientId` is missing', action: 'pass your organization id as `clientId` (`data-client-id` on the script tag)' },
  E003: { area: 'browser', meaning: 'a configuration field has the wrong type or form (the message names it)', action: 'fix the named field' },
  E004: { area: 'browser', meaning: 'the script tag has no `data-client-id`', action: 'add `data-client-id="…"`, or call `init()` yourself' },
  E005: { area: 'browser', meaning: 'the script is included twice; the second copy does nothing', action: 'remove the duplicate `<script>` tag' },
  E006: { area: 'browser', meaning: 'a callback queued on `window.optimization` (or passed to its `push()`) threw; the others still ran', action: 'fix the callback' },
  E007: { area: 'browser', meaning: 'a data-attribute has a value outside its allowed set (`true`, `false`, `granted`, `denied`); it was ignored', action: 'use one of the allowed values' },
  E008: { area: 'browser', meaning: 'a lazily loaded part (`optimization.<name>.js`) could not be loaded', action: 'serve it next to the bundle; with a `trusted-types` list, allow `ctfl-optimization`' },
  E009: { area: 'browser', meaning: 'an unknown configuration key, or an `allowedEventTypes` entry that is no event type; it was ignored', action: 'use the key the message suggests' },
  E010: { area: 'browser', meaning: 'a state subscriber threw; the SDK kept going', action: 'fix the subscriber' },
  E011: { area: 'browser', meaning: '`onEventBlocked` threw; the SDK kept going', action: 'fix the callback' },
  E012: { area: 'browser', meaning: '`getAnonymousId` threw; the profile id is used instead', action: 'fix the callback' },
  E013: { area: 'browser', meaning: '`getAnonymousId` returned a value that is not a profile id; the profile id is used instead', action: 'return a URL-safe id of 1–128 characters, or `undefined`' },
  E014: { area: 'browser', meaning: 'the `onDrop` callback threw; the SDK kept going', action: 'fix the callback' },
  E015: { area: 'browser', meaning: 'a method was called in another form than its payload object; nothing was queued and it resolved `accepted: false`', action: 'call it with the form the message shows, e.g. `track({ event, properties })`' },
  E016: { area: 'browser', meaning: '`trackCurrentPage()`: `buildPayload` threw; no page event was sent', action: 'fix `buildPayload`' },
  E020: { area: 'browser', meaning: 'the Experience API refused events (its code and message follow) and they were dropped; on the server also when it could not be reached', action: 'fix what the API names; the call resolved `accepted: false`' },
  E021: { area: 'browser', meaning: 'the Insights API refused events (its message follows) and they were dropped; on the server also when it could not be reached', action: 'fix what the API names' },
  E022: { area: 'browser', meaning: 'a delivery queue reached its cap: the oldest events were dropped and reported to `onDrop`', action: 'raise `queue.maxExperienceEvents` / `queue.maxInsightsEvents` (defaults 1,000 / 5,000), or find why events pile up' },
  E030: { area: 'elements', meaning: '`<ctfl-optimized-entry>` has neither `entry-id` nor an `entry` property; its content shows as is', action: 'set `entry-id` or `entry`' },
  E031: { area: 'elements', meaning: 'no `<template data-variant-id>` (or variant element) for the selected variant; the baseline shows, experience and variant index kept', action: 'render the variant the message names into the entry' },
  E032: { area: 'elements', meaning: 'more than one variant with that `data-variant-id`; the first is used', action: 'remove the duplicate' },
  E033: { area: 'elements', meaning: 'the Experience API gave no decision (reason and HTTP status follow); baselines show', action: 'check `data-experience-url` and the network' },
  E034: { area: 'elements', meaning: 'no runtime on the page (no `data-client-id`, no `init()`); baselines show', action: 'load the script with `data-client-id`, or create a `ContentfulOptimization`' },
  E035: { area: 'elements', meaning: 'a `<template>` without `data-variant-id` inside an entry is ignored', action: 'add `data-variant-id`, or move the template out' },
  E036: { area: 'elements', meaning: 'the `entry` property is not `{ sys: { id }, fields: { nt_experiences? } }`; it was ignored', action: 'pass a Contentful entry (Delivery API shape)' },
  E037: { area: 'elements', meaning: 'the `timeout` attribute is not a number of ms; 2000 is used', action: 'write a number, e.g. `timeout="1500"`' },
  E040: { area: 'consent bridge', meaning: '`source` is missing or unknown; the bridge does nothing', action: 'use one of the sources the message lists' },
  E041: { area: 'consent bridge', meaning: 'no CMP showed up within `timeout`; consent is unchanged', action: 'load the CMP, or check `source` (Usercentrics: that `event-name` matches the admin setting)' },
  E042: { area: 'consent bridge', meaning: 'the CMP threw; consent is unchanged', action: 'check the CMP\'s setup' },
  E043: { area: 'consent bridge', meaning: 'the CMP\'s data could not be read; consent is unchanged', action: 'check the CMP\'s version and setup' },
  E044: { area: 'consent bridge', meaning: 'the CMP\'s events came out of order; consent is unchanged', action: 'check the CMP\'s setup' },
  E045: { area: 'consent bridge', meaning: 'a mapped category, group or service name is missing from the CMP\'s data', action: 'fix the `events-…` / `persistence-…` attribute the message names (names are comma-separated and exact)' },
  E046: { area: 'consent bridge', meaning: '`event-name` is missing, or a manual value is not `granted` / `denied`', action: 'set `event-name`, or use `granted` / `denied`' },
  E050: { area: 'server', meaning: 'the configuration is not an object, or has an unknown key (the nearest valid one follows)', action: 'pass an object such as `{ clientId: "your-organization-id" }` with only the keys the message lists' },
  E051: { area: 'server', meaning: '`clientId` is missing or not an organization id', action: 'pass your organization id: 1–64 characters of A–Z, a–z, 0–9, `_` or `-`' },
  E052: { area: 'server', meaning: '`environment` is not an environment id', action: 'pass an id such as `main` (1–64 characters of A–Z, a–z, 0–9, `_` or `-`)' },
  E053: { area: 'server', meaning: '`api` has a wrong or unknown field (named)', action: 'fix the named field: `api` takes `experienceBaseUrl`, `insightsBaseUrl` (http(s) URLs), `enabledFeatures` (strings) and `timeoutMs` (> 0)' },
  E054: { area: 'server', meaning: '`allowedEventTypes` is not an array of event types', action: 'pass an array of the event types the message lists, such as `["page"]` (`[]` for strict opt-in)' },
  E055: { area: 'server', meaning: '`app`, `fetch` or `logLevel` is invalid, or there is no global `fetch`', action: 'pass `app` as `{ name, version }`, `fetch` as a function like the global `fetch`, `logLevel` as `debug`, `info`, `warn`, `error` or `silent`' },
  E056: { area: 'server', meaning: 'a `forRequest()` option or an event method\'s payload has the wrong form (the message shows the right one)', action: 'call it with the form the message shows' },
  E057: { area: 'server', meaning: '`forRequest({ profile })` got an id that is not a profile id; it was ignored', action: 'read the cookie with `readAnonymousId()`' },
  E058: { area: 'server', meaning: 'an Insights call without a bound profile; nothing was sent', action: 'pass `forRequest({ profile: { id } })` or send an Experience event first' },
  E059: { area: 'server', meaning: 'a cookie helper got an invalid value or option', action: 'fix the named value' },
  E060: { area: 'preview', meaning: 'the preview session in sessionStorage held invalid overrides (the count follows); they were ignored and removed', action: 'nothing: open the panel and set them again' },
  E070: { area: 'server', meaning: '`renderOptimizedEntry()` / `renderEntry()`: `entryId` is not a non-empty string or `baseline` is not a string of markup (named)', action: 'pass `{ entryId: "BASELINE_ENTRY_ID", baseline: "<markup>" }`' },
  E071: { area: 'server', meaning: '`renderOptimizedEntry()` / `renderEntry()`: an attribute name in `attributes` is not a valid name, or is one the helper sets itself (`entry-id`, `data-ctfl-*`)', action: 'remove the named attribute, or fix its name' },
  E100: { area: 'emulator', meaning: '`dist/emulator.mjs` is missing: the package was installed without its build', action: 'reinstall the package' },
  E101: { area: 'emulator', meaning: 'an unknown or invalid command-line flag', action: 'see `ctfl-optimization serve --help`' },
  E102: { area: 'emulator', meaning: 'the space file cannot be read or is not a space export (the entry and field follow)', action: 'pass a `contentful space export` file' },
  E103: { area: 'emulator', meaning: 'the `--data` directory cannot be used (why follows)', action: 'pass a writable directory; a data file it cannot read: move it away (the emulator then starts empty)' },
  E104: { area: 'emulator', meaning: 'the emulator cannot listen on the port', action: 'choose another `--port` (`--port 0` picks a free one), or stop what uses it' },
  E105: { area: 'emulator', meaning: 'an audience rule cannot be evaluated (the audience, the rule\'s place in `nt_rules` and why follow); that rule never matches, the rest of the space loads', action: 'fix the rule in the personalization app' },
  E110: { area: 'tooling', meaning: 'no Chromium found for the tests or the benchmark', action: 'install Debian\'s `chromium` or set `CHROME_PATH`' },
  E111: { area: 'tooling', meaning: 'a browser engine the tests run in is missing, or an unknown engine was named', action: 'install the Debian packages the message names (`bash .ci/run` does), or name chromium, firefox or webkit' },
} as const satisfies Record<string, ErrorInfo>;

/** A code of the table: what `Logger`, `OptimizationError` and `CliError` take. */
export type MessageCode = keyof typeof ERRORS;
