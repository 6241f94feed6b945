// Consent demo pages: the stand-in CMP's banner (each button calls the test double's public API,
// as the vendor's own banner would) and a panel showing what the SDK holds. An external file, so the
// pages run under a strict Content-Security-Policy (no inline script).
(function () {
  'use strict';
  var cmp = document.body.dataset.cmp;
  var bridge = document.querySelector('ctfl-consent-bridge');
  var purposes = function (ids) {
    var out = {};
    for (var i = 1; i <= 11; i++) out[String(i)] = ids.indexOf(i) >= 0;
    return out;
  };
  // What each banner button does with this page's CMP: accept all, reject all, statistics only.
  var actions = {
    manual: {
      accept: function () { bridge.grant(); },
      reject: function () { bridge.deny(); },
      partial: function () { bridge.set({ events: 'granted', persistence: 'denied' }); },
    },
    tcf: {
      accept: function () { window.tcfDouble.acceptAll(); },
      reject: function () { window.tcfDouble.rejectAll(); },
      partial: function () { window.tcfDouble.decide(purposes([7, 8, 9])); },
    },
    onetrust: {
      accept: function () { window.OneTrust.AllowAll(); },
      reject: function () { window.OneTrust.RejectAll(); },
      partial: function () { window.oneTrustDouble.choose(['C0002']); },
    },
    cookiebot: {
      accept: function () { window.Cookiebot.submitCustomConsent(true, true, true); },
      reject: function () { window.Cookiebot.withdraw(); },
      partial: function () { window.Cookiebot.submitCustomConsent(false, true, false); },
    },
    usercentrics: {
      accept: function () { window.usercentricsDouble.acceptAll(); },
      reject: function () { window.usercentricsDouble.denyAll(); },
      partial: function () { window.usercentricsDouble.update({ 'Google Analytics': true }); },
    },
    gcm: {
      accept: function () { window.gcmDouble.acceptAll(); },
      reject: function () { window.gcmDouble.denyAll(); },
      partial: function () { window.gcmDouble.update({ analytics_storage: 'granted', personalization_storage: 'denied' }); },
    },
  }[cmp];

  // The banner shows until there is a choice: the double's stored one, or (manual) the SDK's own.
  var banner = document.getElementById('cmp-banner');
  var STORED = 'cmp-double:' + cmp;
  var sdk = window.optimization;
  var decided = cmp === 'manual' ? sdk && sdk.state && sdk.state.consent !== undefined : !!localStorage.getItem(STORED);
  if (banner && !decided) banner.hidden = false;
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-action]');
    if (!button) return;
    var action = button.dataset.action;
    if (action === 'settings') { banner.hidden = false; return; }
    if (action === 'forget') {
      // Start over as a first-time visitor: forget the CMP's record and the SDK's state.
      localStorage.removeItem(STORED);
      if (sdk && sdk.reset) { sdk.reset(); localStorage.removeItem('__ctfl_opt_consent__'); localStorage.removeItem('__ctfl_opt_persistence_consent__'); }
      location.reload();
      return;
    }
    actions[action]();
    banner.hidden = true;
  });

  var show = function (id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value === undefined ? 'undefined (no decision)' : String(value);
  };
  show('bridge-decision', JSON.stringify(bridge.decision));
  bridge.addEventListener('ctfl-consent-change', function (event) {
    show('bridge-decision', JSON.stringify(event.detail));
  });
  (window.optimization = window.optimization || []).push(function (sdk) {
    sdk.subscribe(function (state) {
      show('sdk-consent', state.consent);
      show('sdk-persistence', state.persistenceConsent);
      show('sdk-profile', state.profile ? state.profile.id : undefined);
      show('sdk-cookie', (document.cookie.match(/(?:^|; )ctfl-opt-aid=([^;]*)/) || [])[1]);
    });
  });
})();
