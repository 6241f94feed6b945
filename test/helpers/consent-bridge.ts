// Helpers for <ctfl-consent-bridge> tests: the CMP test doubles (demo/cmp/, the only fakes; the consent demo pages use the same files),
// bridge elements, and instruments on real objects (warnings printed, consent() calls made).
import { defineElements } from '../../src/elements/index.js';
import { nextTask } from './browser.js';
import type { ConsentBridgeElement, ConsentChangeDetail } from '../../src/elements/consent-bridge.js';
import type { ContentfulOptimization } from '../../src/browser/optimization.js';
import type { ConsentChoice } from '../../src/core/consent.js';

defineElements();

export const win = window as any;

/** Runs a classic script (a CMP double) and resolves once it ran. */
export function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.dataset.testScript = '';
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/** Loads demo/cmp/<name>.js, optionally with the double's configuration. */
export function loadCmp(name: 'tcf' | 'tcf-stub' | 'onetrust' | 'cookiebot' | 'usercentrics' | 'gcm', config?: object): Promise<void> {
  const key = { tcf: 'tcfDoubleConfig', 'tcf-stub': '', onetrust: 'oneTrustDoubleConfig', cookiebot: 'cookiebotDoubleConfig', usercentrics: 'usercentricsDoubleConfig', gcm: 'gcmDoubleConfig' }[name];
  if (config && key) win[key] = config;
  return loadScript(`/demo/cmp/${name}.js`);
}

/** Appends a bridge with these attributes (`true`: a boolean attribute). */
export function addBridge(attributes: Record<string, string | true>): ConsentBridgeElement {
  const el = document.createElement('ctfl-consent-bridge');
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v === true ? '' : v);
  document.body.append(el);
  return el;
}

/** Every `ctfl-consent-change` detail the element fires from now on. */
export function changesOf(el: ConsentBridgeElement): ConsentChangeDetail[] {
  const seen: ConsentChangeDetail[] = [];
  el.addEventListener('ctfl-consent-change', (e) => seen.push(e.detail));
  return seen;
}

/** Records the arguments of every consent() call, then calls the real method. */
export function recordConsentCalls(sdk: ContentfulOptimization): Array<boolean | ConsentChoice> {
  const calls: Array<boolean | ConsentChoice> = [];
  const real = sdk.consent.bind(sdk);
  sdk.consent = (choice) => { calls.push(choice); real(choice); };
  return calls;
}

let restoreConsole: (() => void) | undefined;

/** Records what console.warn and console.error print (instead of printing it) until cleanUp(). */
export function recordWarnings(): string[] {
  const printed: string[] = [];
  const { warn, error } = console;
  console.warn = (...args: unknown[]) => { printed.push(args.map(String).join(' ')); };
  console.error = (...args: unknown[]) => { printed.push(args.map(String).join(' ')); };
  restoreConsole = () => { console.warn = warn; console.error = error; };
  return printed;
}

export const withCode = (printed: string[], code: string) => printed.filter((m) => m.includes(`ctfl-opt/${code}:`));

const GLOBALS = [
  '__tcfapi', 'tcfDouble', 'tcfDoubleConfig', 'OnetrustActiveGroups', 'OptanonWrapper', 'OneTrust', 'oneTrustDouble',
  'oneTrustDoubleConfig', 'Cookiebot', 'cookiebotDouble', 'cookiebotDoubleConfig', 'usercentricsDouble',
  'usercentricsDoubleConfig', 'gcmDouble', 'gcmDoubleConfig', 'dataLayer', 'gtag', 'CookiebotCallback_OnAccept',
];

/** Removes bridges, CMP doubles and their globals, and restores the console. */
export function cleanUpCmps(): void {
  for (const el of document.querySelectorAll('ctfl-consent-bridge')) el.remove();
  for (const s of document.querySelectorAll('script[data-test-script]')) s.remove();
  for (const g of GLOBALS) delete win[g];
  restoreConsole?.();
  restoreConsole = undefined;
}

/**
 * Until every bridge on the page has done what it does on its own: a bridge reads its CMP
 * synchronously when it connects (or when the CMP calls back) and applies the decision in
 * microtasks, so once its update is complete and one task has run (a message, not a timer),
 * nothing is left that it would do before the CMP acts again or its own timers fire (tests of
 * those run on a fake clock). For "nothing happened" checks.
 */
export async function settle(): Promise<void> {
  await Promise.all([...document.querySelectorAll<ConsentBridgeElement>('ctfl-consent-bridge')].map((el) => el.updateComplete));
  await nextTask();
}
