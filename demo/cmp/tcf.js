// Test double: an IAB TCF v2.2 CMP as a page script sees it (cmp-apis.md) — `__tcfapi` with
// ping / addEventListener / removeEventListener, tcData with eventStatus, gdprApplies, cmpStatus,
// listenerId and purpose.consents['1'..'11']. Written from the public description; no vendor code.
//
// Configure before loading with `window.tcfDoubleConfig = { consents, gdprApplies, fault }`:
// `consents` (purpose id → boolean) is a stored choice (the CMP loads with `tcloaded`); without it
// the CMP shows its UI (`cmpuishown`). A stored choice is also kept in localStorage, as a CMP keeps
// its TC string, so a reload reports `tcloaded`. `fault: 'throw'` makes every __tcfapi call throw.
// Drive it with `window.tcfDouble`: acceptAll(), rejectAll(), decide(consents), showUI(),
// setGdprApplies(v), send(rawTcData, success) (a misbehaving CMP), listenerCount().
(function () {
  'use strict';
  var KEY = 'cmp-double:tcf';
  var config = window.tcfDoubleConfig || {};
  var stored = config.consents;
  if (!stored && !config.noStorage) {
    try { stored = JSON.parse(localStorage.getItem(KEY) || 'null') || undefined; } catch (e) { stored = undefined; }
  }
  var state = {
    gdprApplies: config.gdprApplies === undefined ? true : config.gdprApplies,
    eventStatus: stored ? 'tcloaded' : 'cmpuishown',
    consents: stored || {},
  };
  var listeners = new Map();
  var nextId = 0;

  function purposes(consents) {
    var out = {};
    for (var i = 1; i <= 11; i++) out[String(i)] = consents[String(i)] === true;
    return out;
  }

  function tcData(listenerId) {
    return {
      tcString: state.eventStatus === 'cmpuishown' ? '' : 'CPdouble.' + Object.keys(state.consents).join(''),
      tcfPolicyVersion: 4,
      cmpId: 0,
      cmpVersion: 1,
      gdprApplies: state.gdprApplies,
      eventStatus: state.eventStatus,
      cmpStatus: 'loaded',
      listenerId: listenerId,
      isServiceSpecific: true,
      useNonStandardTexts: false,
      publisherCC: 'DE',
      purposeOneTreatment: false,
      purpose: { consents: purposes(state.consents), legitimateInterests: {} },
      vendor: { consents: {}, legitimateInterests: {} },
      specialFeatureOptins: {},
      publisher: { consents: {}, legitimateInterests: {}, customPurpose: { consents: {}, legitimateInterests: {} }, restrictions: {} },
    };
  }

  function notify() {
    listeners.forEach(function (callback, id) { callback(tcData(id), true); });
  }

  function __tcfapi(command, version, callback, parameter) {
    if (config.fault === 'throw') throw new Error('tcf double: CMP failure');
    if (typeof callback !== 'function') return;
    if (version !== 2) { callback(null, false); return; }
    switch (command) {
      case 'ping':
        callback({
          gdprApplies: state.gdprApplies, cmpLoaded: true, cmpStatus: 'loaded',
          displayStatus: state.eventStatus === 'cmpuishown' ? 'visible' : 'hidden',
          apiVersion: '2.2', cmpVersion: 1, cmpId: 0, gvlVersion: 1, tcfPolicyVersion: 4,
        }, true);
        return;
      case 'addEventListener': {
        var id = nextId++;
        listeners.set(id, callback);
        callback(tcData(id), true); // at once, so the caller learns its listenerId
        return;
      }
      case 'removeEventListener':
        callback(listeners.delete(parameter), true);
        return;
      default:
        callback(null, false);
    }
  }

  // Answer what the stub queued, in order.
  var queued = (window.__tcfapi && window.__tcfapi.queue) || [];
  window.__tcfapi = __tcfapi;
  queued.forEach(function (args) { __tcfapi.apply(null, args); });

  function decide(consents) {
    state.consents = consents;
    state.eventStatus = 'useractioncomplete';
    try { localStorage.setItem(KEY, JSON.stringify(consents)); } catch (e) { /* private mode */ }
    notify();
  }

  var all = function (value) {
    var c = {};
    for (var i = 1; i <= 11; i++) c[String(i)] = value;
    return c;
  };

  window.tcfDouble = {
    acceptAll: function () { decide(all(true)); },
    rejectAll: function () { decide(all(false)); },
    decide: decide,
    showUI: function () { state.eventStatus = 'cmpuishown'; notify(); },
    setGdprApplies: function (value) { state.gdprApplies = value; },
    send: function (raw, success) {
      listeners.forEach(function (callback, id) {
        callback(raw && typeof raw === 'object' ? Object.assign({ listenerId: id }, raw) : raw, success !== false);
      });
    },
    listenerCount: function () { return listeners.size; },
    get state() { return { eventStatus: state.eventStatus, gdprApplies: state.gdprApplies, consents: purposes(state.consents) }; },
  };
})();
