// The browser side of @web/test-runner-commands, for tsconfig.test-browser.json (mapped there with
// `paths`). The package's own browser/commands.d.ts imports its payload types from the Node plugin
// half (dist/index.d.ts → @web/test-runner-core → koa, chokidar…), which brings @types/node into the
// program: `process`, `Buffer` and `require` would then type-check in code that runs in a page. This
// file declares the commands the suites call, with the signatures of @web/test-runner-commands 0.9
// (browser/commands.d.ts, dist/sendMousePlugin.d.ts, dist/sendKeysPlugin.d.ts); add one here when a
// suite starts using it.

type MousePosition = [number, number];
type MouseButton = 'left' | 'middle' | 'right';
export type SendMousePayload =
  | { type: 'move'; position: MousePosition }
  | { type: 'click'; position: MousePosition; button?: MouseButton }
  | { type: 'down'; button?: MouseButton }
  | { type: 'up'; button?: MouseButton };
export type SendKeysPayload = { type: string } | { press: string } | { down: string } | { up: string };

/** Executes a command on the server (a custom one needs a plugin: test/helpers/wtr-commands.mjs). */
export function executeServerCommand<R, P>(command: string, payload?: P): Promise<R>;
/** Sends keyboard input: `type` a string, `press`, hold `down` or release `up` a key. */
export function sendKeys(payload: SendKeysPayload): Promise<void>;
/** Moves the mouse or clicks, holds or releases a button (reset with resetMouse after each test). */
export function sendMouse(payload: SendMousePayload): Promise<void>;
/** Releases the mouse buttons and moves the mouse back to the top-left corner. */
export function resetMouse(): Promise<void>;
