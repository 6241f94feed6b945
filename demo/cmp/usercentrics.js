// Test double: Usercentrics' page events as cmp-apis.md describes them. v2: a CustomEvent of the
// site's configured window event name (commonly `ucEvent`) whose detail is
// `{event: 'consent_status', action, type, '<Service Name>': boolean, ucCategory: {essential,
// functional, marketing: true|false|null}}`, the same object pushed to `dataLayer`. v3: the
// `UC_CONSENT` event with `detail.services[]` entries `{name, consent: {given}}` (the full v3 schema
// is unverified: `servicesAs: 'map'` sends services keyed by id instead of an array, and categories
// are only sent with `v3Categories: true`). Written from the public description; no vendor code.
//
// Configure before loading with `window.usercentricsDoubleConfig = { version, eventName, consent,
// servicesAs, v3Categories }`: `consent` maps service names to booleans (a stored choice; default:
// from localStorage, else every non-essential service denied, type `implicit`). Drive it with
// `window.usercentricsDouble`: acceptAll(), denyAll(), update({'<Service Name>': boolean}).
(function () {
  'use strict';
  var KEY = 'cmp-double:usercentrics';
  var config = window.usercentricsDoubleConfig || {};
  var version = config.version || 2;
  var eventName = config.eventName || 'ucEvent';
  var SERVICES = [
    { id: 'H1Vl5NidjWX', name: 'Usercentrics Consent Management Platform', category: 'essential' },
    { id: 'Hko_qNsui-Q', name: 'Contentful Personalization', category: 'functional' },
    { id: 'HkocEodjb7', name: 'Google Analytics', category: 'functional' },
    { id: 'S1_9Vsuj-Q', name: 'Google Ads', category: 'marketing' },
  ];
  var stored = config.consent;
  if (!stored) {
    try { stored = JSON.parse(localStorage.getItem(KEY) || 'null') || undefined; } catch (e) { stored = undefined; }
  }
  var given = {};
  SERVICES.forEach(function (s) { given[s.name] = s.category === 'essential' || !!(stored && stored[s.name]); });

  function categoryState(category) {
    var values = SERVICES.filter(function (s) { return s.category === category; }).map(function (s) { return given[s.name]; });
    return values.every(Boolean) ? true : values.some(Boolean) ? null : false;
  }

  function emit(action, type) {
    if (version === 2) {
      var detail = { event: 'consent_status', action: action, type: type };
      SERVICES.forEach(function (s) { detail[s.name] = given[s.name]; });
      detail.ucCategory = { essential: categoryState('essential'), functional: categoryState('functional'), marketing: categoryState('marketing') };
      (window.dataLayer = window.dataLayer || []).push(Object.assign({}, detail));
      window.dispatchEvent(new CustomEvent(eventName, { detail: detail }));
    } else {
      var entries = SERVICES.map(function (s) {
        return { id: s.id, name: s.name, consent: { given: given[s.name], type: type.toUpperCase() } };
      });
      var services = entries;
      if (config.servicesAs === 'map') {
        services = {};
        entries.forEach(function (e) { services[e.id] = e; });
      }
      var v3 = { consent: { status: action, type: type.toUpperCase() }, services: services };
      if (config.v3Categories) {
        v3.categories = {};
        ['essential', 'functional', 'marketing'].forEach(function (c) {
          var s = categoryState(c);
          v3.categories[c] = { state: s === true ? 'ALL_ACCEPTED' : s === false ? 'ALL_DENIED' : 'SOME_ACCEPTED' };
        });
      }
      window.dispatchEvent(new CustomEvent('UC_CONSENT', { detail: v3 }));
    }
  }

  function save(action) {
    var choice = {};
    SERVICES.forEach(function (s) { choice[s.name] = given[s.name]; });
    try { localStorage.setItem(KEY, JSON.stringify(choice)); } catch (e) { /* private mode */ }
    emit(action, 'explicit');
  }

  window.usercentricsDouble = {
    acceptAll: function () { SERVICES.forEach(function (s) { given[s.name] = true; }); save('onAcceptAllServices'); },
    denyAll: function () { SERVICES.forEach(function (s) { given[s.name] = s.category === 'essential'; }); save('onDenyAllServices'); },
    update: function (choices) {
      Object.keys(choices).forEach(function (name) { if (name in given) given[name] = !!choices[name]; });
      save('onUpdateServices');
    },
    emit: emit,
  };
  emit('onInitialPageLoad', stored ? 'explicit' : 'implicit');
})();
