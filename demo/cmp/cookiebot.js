// Test double: Cookiebot's page API as cmp-apis.md describes it — window.Cookiebot with
// consent.{necessary, preferences, statistics, marketing, method}, consented, declined, hasResponse;
// window events CookiebotOnLoad, CookiebotOnConsentReady, CookiebotOnAccept (also on load for a
// visitor who accepted before), CookiebotOnDecline, CookiebotOnDialogInit, CookiebotOnDialogDisplay;
// and the global callbacks CookiebotCallback_OnAccept / _OnDecline. Written from the public
// description; no vendor code.
//
// Configure before loading with `window.cookiebotDoubleConfig = { consent, method, fault }`: `consent`
// ({preferences, statistics, marketing} booleans) is a stored response (default: from localStorage,
// else none, and the dialog shows); `method: 'implied'` marks it as implied consent (the region's
// default, no click); `fault: 'throw'` makes reading Cookiebot.consent throw. Drive it with `Cookiebot.submitCustomConsent(preferences, statistics,
// marketing)`, `Cookiebot.withdraw()`, or `window.cookiebotDouble.fire(type)` (an event out of order).
(function () {
  'use strict';
  var KEY = 'cmp-double:cookiebot';
  var config = window.cookiebotDoubleConfig || {};
  var stored = config.consent;
  if (!stored) {
    try { stored = JSON.parse(localStorage.getItem(KEY) || 'null') || undefined; } catch (e) { stored = undefined; }
  }

  function fire(type) {
    window.dispatchEvent(new Event(type));
    var callback = window['CookiebotCallback_' + type.replace(/^Cookiebot/, '')];
    if (typeof callback === 'function') callback();
  }

  var consent = { necessary: true, preferences: false, statistics: false, marketing: false, method: null, stamp: '0' };

  function respond(choice, method) {
    var c = consent;
    c.preferences = !!choice.preferences;
    c.statistics = !!choice.statistics;
    c.marketing = !!choice.marketing;
    c.method = method || 'explicit';
    c.stamp = String(Date.now());
    Cookiebot.hasResponse = true;
    Cookiebot.consented = c.preferences || c.statistics || c.marketing;
    Cookiebot.declined = !Cookiebot.consented;
  }

  var Cookiebot = window.Cookiebot = {
    consent: consent,
    consented: false,
    declined: false,
    hasResponse: false,
    submitCustomConsent: function (preferences, statistics, marketing) {
      var choice = { preferences: preferences, statistics: statistics, marketing: marketing };
      respond(choice);
      try { localStorage.setItem(KEY, JSON.stringify(choice)); } catch (e) { /* private mode */ }
      fire('CookiebotOnConsentReady');
      fire(Cookiebot.consented ? 'CookiebotOnAccept' : 'CookiebotOnDecline');
    },
    withdraw: function () { Cookiebot.submitCustomConsent(false, false, false); },
    show: function () { fire('CookiebotOnDialogDisplay'); },
    renew: function () { fire('CookiebotOnDialogDisplay'); },
  };
  window.cookiebotDouble = { fire: fire };
  if (config.fault === 'throw') {
    Object.defineProperty(Cookiebot, 'consent', { get: function () { throw new Error('cookiebot double: CMP failure'); } });
  }

  if (stored) respond(stored, config.method);
  fire('CookiebotOnLoad');
  if (Cookiebot.hasResponse) {
    fire('CookiebotOnConsentReady');
    fire(Cookiebot.consented ? 'CookiebotOnAccept' : 'CookiebotOnDecline');
  } else {
    fire('CookiebotOnDialogInit');
    fire('CookiebotOnDialogDisplay');
  }
})();
