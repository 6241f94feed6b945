// Test double: a CMP that speaks Google Consent Mode v2 (cmp-apis.md) — the standard `gtag()`
// snippet, which pushes its `arguments` object onto window.dataLayer, a `gtag('consent', 'default',
// {…})` with every type denied as the page loads (with `wait_for_update`), and
// `gtag('consent', 'update', {…})` on the visitor's choice. Written from the public description; no
// vendor code.
//
// Configure before loading with `window.gcmDoubleConfig = { stored, form }`: `stored` is a stored
// update replayed at load (default: from localStorage); `form: 'array'` pushes plain arrays
// `['consent', …]` instead of `arguments` objects. Drive it with `window.gcmDouble`: acceptAll(),
// denyAll(), update({analytics_storage: 'granted', …}).
(function () {
  'use strict';
  var KEY = 'cmp-double:gcm';
  var TYPES = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization', 'functionality_storage', 'personalization_storage', 'security_storage'];
  var config = window.gcmDoubleConfig || {};
  window.dataLayer = window.dataLayer || [];
  var gtag = config.form === 'array'
    ? function () { window.dataLayer.push(Array.prototype.slice.call(arguments)); }
    : function () { window.dataLayer.push(arguments); };
  if (typeof window.gtag !== 'function') window.gtag = gtag;

  function all(value) {
    var v = {};
    TYPES.forEach(function (t) { v[t] = t === 'security_storage' ? 'granted' : value; });
    return v;
  }

  function update(values) {
    try { localStorage.setItem(KEY, JSON.stringify(values)); } catch (e) { /* private mode */ }
    gtag('consent', 'update', values);
  }

  var stored = config.stored;
  if (!stored) {
    try { stored = JSON.parse(localStorage.getItem(KEY) || 'null') || undefined; } catch (e) { stored = undefined; }
  }
  gtag('consent', 'default', Object.assign(all('denied'), { wait_for_update: 500 }));
  if (stored) gtag('consent', 'update', stored);

  window.gcmDouble = {
    acceptAll: function () { update(all('granted')); },
    denyAll: function () { update(all('denied')); },
    update: update,
  };
})();
