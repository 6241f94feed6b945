// Demo page wiring: a plain consent banner and two buttons. An external file, so the demo runs
// under a strict Content-Security-Policy (no inline script).
(function () {
  const banner = document.getElementById('consent-banner');
  const ready = (fn) => (window.optimization = window.optimization || []).push(fn);

  ready((optimization) => {
    if (optimization.state.consent === undefined && banner) banner.hidden = false;
    document.getElementById('consent-accept')?.addEventListener('click', () => { optimization.consent(true); banner.hidden = true; });
    document.getElementById('consent-reject')?.addEventListener('click', () => { optimization.consent(false); banner.hidden = true; });
    document.getElementById('sign-in')?.addEventListener('click', () => {
      void optimization.identify({ userId: 'ada@example.com', traits: { firstname: 'Ada', plan: 'pro' } });
    });
    document.getElementById('reset')?.addEventListener('click', () => { optimization.reset(); location.reload(); });
  });
})();
