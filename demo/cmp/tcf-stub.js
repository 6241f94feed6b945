// Test double: the IAB TCF v2.2 stub a page puts before its CMP (cmp-apis.md). It queues every
// __tcfapi call until the CMP script (tcf.js here) replaces it and answers them. Written from the
// public description only; no vendor code.
(function () {
  'use strict';
  if (typeof window.__tcfapi === 'function') return;
  var queue = [];
  function __tcfapi(command, version, callback) {
    if (command === 'ping' && typeof callback === 'function') {
      callback({ gdprApplies: undefined, cmpLoaded: false, cmpStatus: 'stub', apiVersion: '2.2' }, true);
      return;
    }
    queue.push(Array.prototype.slice.call(arguments));
  }
  __tcfapi.queue = queue;
  window.__tcfapi = __tcfapi;
})();
