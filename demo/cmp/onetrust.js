// Test double: OneTrust's page API as cmp-apis.md describes it — window.OnetrustActiveGroups (a
// comma-separated string of active category ids), window.OptanonWrapper() called when the SDK loads
// and after each consent interaction, the window event `OneTrustGroupsUpdated` whose detail is the
// array of active ids, `OneTrust.OnConsentChanged(cb)`, and the `OptanonConsent` cookie's
// `groups=C0001:1,C0002:0,…`. Written from the public description; no vendor code.
//
// Configure before loading with `window.oneTrustDoubleConfig = { groups, closed, format, fault }`:
// `groups` are the active ids at load (default: a stored choice from localStorage, else only C0001
// — strictly necessary, as in an opt-in region, with the banner open: `OneTrust.IsAlertBoxClosed()`
// is false until a choice; `closed` overrides it); `format: 'bare'` writes "C0001,C0002" instead of
// ",C0001,C0002," (the exact format is unverified); `fault: 'malformed'` publishes a non-string.
// Drive it with `OneTrust.AllowAll()`, `OneTrust.RejectAll()`, or `window.oneTrustDouble.choose(ids)`.
(function () {
  'use strict';
  var KEY = 'cmp-double:onetrust';
  var ALL = ['C0001', 'C0002', 'C0003', 'C0004', 'C0005'];
  var config = window.oneTrustDoubleConfig || {};
  var stored;
  try { stored = JSON.parse(localStorage.getItem(KEY) || 'null') || undefined; } catch (e) { stored = undefined; }
  var active = (config.groups || stored || ['C0001']).slice();
  var closed = config.closed !== undefined ? config.closed : stored !== undefined || config.groups !== undefined;
  var changed = [];

  function publish() {
    window.OnetrustActiveGroups = config.fault === 'malformed' ? 42
      : config.format === 'bare' ? active.join(',') : ',' + active.join(',') + ',';
    var groups = ALL.map(function (id) { return id + ':' + (active.indexOf(id) >= 0 ? 1 : 0); }).join(',');
    document.cookie = 'OptanonConsent=' + encodeURIComponent('isGpcEnabled=0&groups=' + groups) + '; Path=/; SameSite=Lax';
    if (typeof window.OptanonWrapper === 'function') window.OptanonWrapper();
    window.dispatchEvent(new CustomEvent('OneTrustGroupsUpdated', { detail: config.fault === 'malformed' ? 42 : active.slice() }));
  }

  function choose(ids) {
    active = ['C0001'].concat(ids.filter(function (id) { return id !== 'C0001'; }));
    closed = true;
    try { localStorage.setItem(KEY, JSON.stringify(active)); } catch (e) { /* private mode */ }
    publish();
    changed.forEach(function (cb) { cb(new CustomEvent('consent.onetrust', { detail: active.slice() })); });
    window.dispatchEvent(new CustomEvent('OTConsentApplied', { detail: active.slice() }));
  }

  window.OneTrust = {
    AllowAll: function () { choose(ALL); },
    RejectAll: function () { choose([]); },
    OnConsentChanged: function (cb) { changed.push(cb); },
    ToggleInfoDisplay: function () { /* the preference center is out of scope for the double */ },
    IsAlertBoxClosed: function () { return closed; },
  };
  window.oneTrustDouble = { choose: choose, get active() { return active.slice(); } };
  publish();
  window.dispatchEvent(new CustomEvent('OneTrustPCLoaded'));
})();
