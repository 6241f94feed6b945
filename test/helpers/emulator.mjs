// Starts a real emulator process (the same `ctfl-optimization serve` a user runs) on a free port and
// returns its base URL. Used by node:test suites, the web-test-runner config and end-to-end tests.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = join(root, 'bin', 'ctfl-optimization.mjs');
export const demoSpace = join(root, 'demo', 'space.json');

/**
 * @param {string[]} [args] extra CLI arguments (e.g. ['--data', dir, '--latency', '50'])
 * @param {{ space?: string | null, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<{ url: string, port: number, child: import('node:child_process').ChildProcess, stop: (signal?: NodeJS.Signals) => Promise<number | null>, output: () => string }>}
 */
export function startEmulator(args = [], { space = demoSpace, env } = {}) {
  const argv = [bin, 'serve', '--port', '0', ...(space ? ['--space', space] : []), ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`emulator did not start:\n${out}`)); }, 15000);
    const onData = (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        const exited = new Promise((r) => child.once('exit', (code) => r(code)));
        resolve({
          url: m[1],
          port: Number(m[2]),
          child,
          output: () => out,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (c) => { out += c; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`emulator exited (${code}) before listening:\n${out}`)); });
  });
}
