/**
 * Parts loaded only on pages that use them, or only after the first request: the consent bridge
 * (script-tag bundle only; the ESM package defines it eagerly and the developer's bundler
 * tree-shakes it), the preview panel, and what is needed only after the first request (`deferred`:
 * the durable event queues, and the script tag's route tracking).
 *
 * In the script-tag bundle a chunk is the sibling file `optimization.<name>.js` next to the bundle,
 * loaded with a `<script>` element that carries the bundle's CSP nonce and, where the browser has
 * Trusted Types, a script URL from the policy `ctfl-optimization` that only admits URLs next to the
 * bundle. In the ESM package a chunk is a dynamic `import()`.
 */
import { OptimizationError } from '../core/log.js';

export type ChunkName = 'consent-bridge' | 'preview' | 'deferred';

const loading = new Map<ChunkName, Promise<void>>();
let base = '';
let nonce = '';

/** Where chunks live: the directory of the script-tag bundle, and its CSP nonce (if any). */
export function setChunkSource(bundleUrl: string, scriptNonce = ''): void {
  base = new URL('.', bundleUrl).href;
  nonce = scriptNonce;
}

/**
 * Loads a chunk once; a failed load may be retried by calling again. The deferred chunk starts
 * loading a task later: inserting its script costs the page milliseconds that the first Experience
 * request, made in this task, does not wait for.
 */
export function loadChunk(name: ChunkName): Promise<void> {
  let pending = loading.get(name);
  if (!pending) {
    const load = () => (__UMD__ ? loadScript(name) : importChunk(name));
    pending = name === 'deferred' ? new Promise<void>((go) => setTimeout(go)).then(load) : load();
    loading.set(name, pending);
    pending.catch(() => loading.delete(name));
  }
  return pending;
}

async function importChunk(name: ChunkName): Promise<void> {
  // The consent bridge is defined eagerly by defineElements() in the ESM package. The preview panel
  // is a module of its own (with its own lit): the package's bundle splits it off.
  if (name === 'preview') await import('../chunks/preview.js');
  else if (name === 'deferred') await import('../chunks/queues.js');
}

interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): { createScriptURL(url: string): unknown };
}
let policy: { createScriptURL(url: string): unknown } | undefined;

function scriptUrl(url: string): unknown {
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!tt) return url;
  policy ??= tt.createPolicy('ctfl-optimization', {
    createScriptURL: (u) => {
      if (base && u.startsWith(base) && /\/optimization\.[a-z-]+\.js$/.test(new URL(u).pathname)) return u;
      throw new TypeError(`ctfl-opt: refused script URL ${u}`);
    },
  });
  return policy.createScriptURL(url);
}

function loadScript(name: ChunkName): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (cause?: unknown) => reject(new OptimizationError('E008', `optimization.${name}.js from ${base || 'the page'}${cause ? ` (${String(cause)})` : ''}`));
    try {
      const script = document.createElement('script');
      (script as { src: unknown }).src = scriptUrl(new URL(`optimization.${name}.js`, base || document.baseURI).href);
      if (nonce) script.nonce = nonce;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => failed();
      document.head.append(script);
    } catch (error) {
      failed(error);
    }
  });
}
