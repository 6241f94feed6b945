// What a visitor could have seen painted: the hero entry's headline at every animation frame from
// the very first one ('(hidden)' while it is hidden, '(empty)' when it shows nothing). Injected with
// playwright's addInitScript; read back from `window.__frames`.
export const FRAME_PROBE = `
  window.__frames = [];
  (function sample() {
    const hero = document.querySelector('ctfl-optimized-entry.hero');
    if (hero) {
      const visible = getComputedStyle(hero).visibility !== 'hidden';
      const h1 = hero.querySelector('h1');
      window.__frames.push(visible && h1 ? h1.textContent : visible ? '(empty)' : '(hidden)');
    }
    requestAnimationFrame(sample);
  })();`;
