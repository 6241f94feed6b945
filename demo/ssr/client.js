// The server-rendered demo's only page script (external, so a strict CSP allows it): a browser-side
// identify on the profile the server handed over. The server renders the result on the next request.
(function () {
  (window.optimization = window.optimization || []).push(function (optimization) {
    var button = document.getElementById('browser-identify');
    var status = document.getElementById('status');
    if (!button) return;
    button.addEventListener('click', function () {
      optimization.identify({ userId: 'ada@example.com', traits: { firstname: 'Ada', plan: 'pro' } }).then(function (result) {
        if (status) status.textContent = result.data ? 'Identified in the browser as profile ' + result.data.profile.id + '. Reload to see the server render it.' : 'Identify was not sent (no consent?).';
      });
    });
  });
})();
