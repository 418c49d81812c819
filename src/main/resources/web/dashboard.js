// multiarch's pages: live progress without reloading. Served as /assets/dashboard.js (the pages' Content-Security-
// Policy runs no inline script). Server-rendered HTML fragments arrive already escaped; log text is added as text.
(function () {
  'use strict';

  function atBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  }

  // Logs start at their end: that is where builds fail.
  function tailFirst() {
    document.querySelectorAll('pre.log').forEach(function (pre) { pre.scrollTop = pre.scrollHeight; });
  }

  function follow(url) {
    var source = new EventSource(url);
    source.addEventListener('log', function (e) {
      var m = JSON.parse(e.data);
      var pre = document.querySelector('pre.log[data-job="' + Number(m.job) + '"]');
      if (!pre) { return; }
      var stick = atBottom(pre);
      pre.appendChild(document.createTextNode(m.text));
      if (stick) { pre.scrollTop = pre.scrollHeight; }
    });
    source.addEventListener('build', function (e) {
      var m = JSON.parse(e.data);
      Object.keys(m.html).forEach(function (id) {
        var el = document.getElementById(id);
        if (el && el.innerHTML !== m.html[id]) { el.innerHTML = m.html[id]; }
      });
      document.body.dataset.state = m.state;
    });
    source.addEventListener('end', function () {
      source.close();
      document.body.dataset.ended = 'true';
    });
  }

  // The builds list: while a build on it is unfinished, fetch the page again and swap its table.
  function refreshList(every) {
    var timer = setInterval(function () {
      fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (text) {
          var doc = new DOMParser().parseFromString(text, 'text/html');
          var fresh = doc.getElementById('builds');
          var table = document.getElementById('builds');
          if (fresh && table) { table.replaceWith(document.importNode(fresh, true)); }
          if (!doc.body.dataset.live) { clearInterval(timer); delete document.body.dataset.live; }
        })
        .catch(function () { /* the next round tries again */ });
    }, every);
  }

  document.addEventListener('DOMContentLoaded', function () {
    tailFirst();
    var events = document.body.dataset.events;
    if (events) { follow(events); }
    var live = Number(document.body.dataset.live);
    if (live > 0) { refreshList(live); }
  });
})();
