// The dashboard: one static page. It polls the same API a user calls, with the write key
// from its URL fragment: GET /v1/contract once, GET /v1/stats every second, and POST
// /v1/query for the latest windows of each aggregation every few seconds. Charts: Chart.js.
export const DASHBOARD_PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Dashboard · {{title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #status { font-size: 12px; opacity: .8; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); }
  section { background: #fff; border-radius: 6px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; }
  td.n, th.n { text-align: right; }
  .chart { position: relative; height: 220px; }
  .note { color: #667; font-size: 12px; }
  details { margin: 4px 0; }
  pre { background: #f3f4f6; padding: 6px; overflow: auto; max-height: 240px; font-size: 12px; }
  .wide { grid-column: 1 / -1; }
  #error { color: #b00020; }
</style>
<script src="/dashboard/chart.js"></script>
</head>
<body>
<header><h1>{{title}}</h1><span id="status">connecting…</span><span id="error"></span></header>
<main>
  <section class="wide">
    <h2>Events per second, in (Kafka) and out (written by the sink writer)</h2>
    <div class="chart"><canvas id="rates" data-testid="chart-rates"></canvas></div>
  </section>
  <section>
    <h2>Events by type</h2>
    <table id="types"><thead><tr><th>type</th><th class="n">in</th><th class="n">out</th><th class="n">in/s</th><th class="n">out/s</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Late events and dead letters</h2>
    <table><tbody>
      <tr><td>late events</td><td class="n" id="late-total" data-testid="late-total">–</td></tr>
      <tr><td>dead letters</td><td class="n" id="dlq-total" data-testid="dlq-total">–</td></tr>
    </tbody></table>
    <table id="late-dlq"><tbody></tbody></table>
  </section>
  <section>
    <h2>Consumer lag</h2>
    <table id="lag"><thead><tr><th>service</th><th>group</th><th class="n">lag</th></tr></thead><tbody></tbody></table>
  </section>
  <div id="aggregations" style="display: contents"></div>
  <section class="wide">
    <h2>Data contract</h2>
    <div id="contract" class="note">loading…</div>
  </section>
</main>
<script>
(function () {
  'use strict';
  var params = new URLSearchParams(location.hash.slice(1));
  var key = params.get('key') || localStorage.getItem('platform.dashboard.key') || '';
  if (params.get('key')) localStorage.setItem('platform.dashboard.key', key);
  var headers = { 'x-write-key': key, 'content-type': 'application/json' };
  var fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  var POINTS = 60;
  var palette = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00', '#b82e2e', '#316395'];
  var state = { contract: null, previous: null, rates: null, charts: {} };

  function $(id) { return document.getElementById(id); }
  function text(tag, value, cls) { var el = document.createElement(tag); el.textContent = value; if (cls) el.className = cls; return el; }
  function row(cells) { var tr = document.createElement('tr'); cells.forEach(function (c) { tr.appendChild(c); }); return tr; }
  function error(message) { $('error').textContent = message || ''; }

  async function api(method, path, body) {
    var res = await fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) });
    var json = await res.json().catch(function () { return null; });
    if (!res.ok) {
      var reason = json && json.error ? json.error.code + ': ' + json.error.message : res.status + ' ' + res.statusText;
      var err = new Error(path + ' → ' + reason); err.status = res.status; err.code = json && json.error && json.error.code; throw err;
    }
    return json;
  }

  function renderContract(contract) {
    var root = $('contract'); root.textContent = '';
    root.appendChild(text('p', contract.description || '', 'note'));
    contract.event_types.forEach(function (e) {
      var d = document.createElement('details');
      d.appendChild(text('summary', 'event ' + e.name + ' → ' + e.topic + ' (' + e.fields.length + ' fields)'));
      var t = document.createElement('table');
      e.fields.forEach(function (f) { t.appendChild(row([text('td', f.name), text('td', f.type || ''), text('td', f.role || f.kind || ''), text('td', f.required ? 'required' : 'optional')])); });
      d.appendChild(t);
      d.appendChild(text('pre', JSON.stringify(e.schema, null, 2)));
      root.appendChild(d);
    });
    contract.aggregations.forEach(function (a) {
      var d = document.createElement('details');
      d.appendChild(text('summary', 'aggregation ' + a.name + ': ' + a.type + (a.field ? '(' + a.field + ')' : '') + ' of ' + a.event_type + ', ' + JSON.stringify(a.window) + (a.group_by.length ? ' by ' + a.group_by.join(', ') : '')));
      d.appendChild(text('pre', JSON.stringify(a, null, 2)));
      root.appendChild(d);
    });
  }

  function makeAggregationCharts(contract) {
    var root = $('aggregations');
    contract.aggregations.forEach(function (a) {
      var s = document.createElement('section');
      s.appendChild(text('h2', a.name));
      var note = text('p', 'waiting for the first windows…', 'note');
      note.id = 'agg-note-' + a.name;
      s.appendChild(note);
      var box = document.createElement('div'); box.className = 'chart';
      var canvas = document.createElement('canvas'); canvas.setAttribute('data-testid', 'chart-' + a.name);
      box.appendChild(canvas); s.appendChild(box);
      var total = text('p', '', 'note');
      total.innerHTML = 'windows <b data-testid="agg-rows-' + a.name + '">0</b> · events counted <b data-testid="agg-events-' + a.name + '">0</b>';
      s.appendChild(total);
      root.appendChild(s);
      state.charts[a.name] = new Chart(canvas, {
        type: 'bar',
        data: { labels: [], datasets: [] },
        options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }, plugins: { legend: { display: a.group_by.length > 0 } } },
      });
    });
  }

  function makeRatesChart(contract) {
    var datasets = [];
    contract.event_types.forEach(function (e, i) {
      datasets.push({ label: e.name + ' in', data: [], borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: 0, tension: .2 });
      datasets.push({ label: e.name + ' out', data: [], borderColor: palette[i % palette.length], borderDash: [5, 4], pointRadius: 0, tension: .2 });
    });
    state.rates = new Chart($('rates'), { type: 'line', data: { labels: [], datasets: datasets }, options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } } });
  }

  function renderStats(stats) {
    var prev = state.previous; state.previous = stats;
    var seconds = prev ? Math.max((stats.at - prev.at) / 1000, 0.001) : 0;
    var body = $('types').tBodies[0]; body.textContent = '';
    var label = new Date(stats.at).toLocaleTimeString();
    state.rates.data.labels.push(label);
    stats.event_types.forEach(function (e, i) {
      var before = prev ? prev.event_types[i] : e;
      var rateIn = seconds ? (e.in - before.in) / seconds : 0;
      var rateOut = seconds ? (e.out - before.out) / seconds : 0;
      state.rates.data.datasets[2 * i].data.push(rateIn);
      state.rates.data.datasets[2 * i + 1].data.push(rateOut);
      var inCell = text('td', fmt.format(e.in), 'n'); inCell.setAttribute('data-testid', 'in-' + e.name);
      var outCell = text('td', fmt.format(e.out), 'n'); outCell.setAttribute('data-testid', 'out-' + e.name);
      body.appendChild(row([text('td', e.name), inCell, outCell, text('td', fmt.format(rateIn), 'n'), text('td', fmt.format(rateOut), 'n')]));
    });
    if (state.rates.data.labels.length > POINTS) {
      state.rates.data.labels.shift();
      state.rates.data.datasets.forEach(function (d) { d.data.shift(); });
    }
    state.rates.update();
    var sum = function (list) { return list.reduce(function (n, t) { return n + t.records; }, 0); };
    $('late-total').textContent = fmt.format(sum(stats.late));
    $('dlq-total').textContent = fmt.format(sum(stats.dead_letters));
    var ld = $('late-dlq').tBodies[0]; ld.textContent = '';
    stats.late.concat(stats.dead_letters).filter(function (t) { return t.records > 0; }).forEach(function (t) {
      ld.appendChild(row([text('td', t.topic, 'note'), text('td', fmt.format(t.records), 'n')]));
    });
    var lag = $('lag').tBodies[0]; lag.textContent = '';
    stats.consumers.forEach(function (c) {
      var cell = text('td', fmt.format(c.lag), 'n'); cell.setAttribute('data-testid', 'lag-' + c.service.split(' ')[0]);
      lag.appendChild(row([text('td', c.service), text('td', c.group, 'note'), cell]));
    });
  }

  async function refreshAggregation(a) {
    var note = $('agg-note-' + a.name);
    var result;
    try {
      result = await api('POST', '/v1/query', {
        aggregation: a.name,
        time_range: { from: 0, to: 4102444800000 },
        group_by: a.query.group_by,
        order_by: [{ field: 'window_start', direction: 'desc' }],
        limit: 1000,
      });
    } catch (e) {
      note.textContent = e.code === 'TABLE_NOT_FOUND' ? 'no results yet (the sink writer creates the table with the first ones)' : e.message;
      return;
    }
    var rows = result.rows;
    var windows = Array.from(new Set(rows.map(function (r) { return r.window_start; }))).sort().slice(-30);
    var shown = new Set(windows);
    // Per group and window, one pass; the 8 largest groups get a series, the rest one "other".
    var byGroup = new Map();
    rows.forEach(function (r) {
      if (!shown.has(r.window_start)) return;
      var g = a.group_by.map(function (k) { return r[k]; }).join(' · ') || a.name;
      var series = byGroup.get(g) || { total: 0, values: new Map() };
      var v = Number(r.value) || 0;
      series.total += v;
      series.values.set(r.window_start, (series.values.get(r.window_start) || 0) + v);
      byGroup.set(g, series);
    });
    var ranked = Array.from(byGroup.entries()).sort(function (x, y) { return y[1].total - x[1].total; });
    var top = ranked.slice(0, 8);
    if (ranked.length > 8) {
      var other = { total: 0, values: new Map() };
      ranked.slice(8).forEach(function (e) { e[1].values.forEach(function (v, w) { other.values.set(w, (other.values.get(w) || 0) + v); }); });
      top.push(['other ' + (ranked.length - 8) + ' groups', other]);
    }
    var chart = state.charts[a.name];
    chart.data.labels = windows.map(function (w) { return new Date(w).toISOString().slice(11, 19); });
    chart.data.datasets = top.map(function (e, i) {
      return {
        label: e[0],
        backgroundColor: palette[i % palette.length],
        data: windows.map(function (w) { return e[1].values.get(w) || 0; }),
      };
    });
    chart.update();
    var events = rows.reduce(function (n, r) { return n + Number(r.event_count); }, 0);
    document.querySelector('[data-testid="agg-rows-' + a.name + '"]').textContent = String(result.row_count);
    document.querySelector('[data-testid="agg-events-' + a.name + '"]').textContent = String(events);
    note.textContent = 'latest ' + windows.length + ' window(s), value per window' + (a.group_by.length ? ' by ' + a.group_by.join(', ') : '') + (result.row_count >= 1000 ? ' (first 1,000 rows)' : '');
    loaded(a.name, rows.length);
  }

  function loaded(name, n) { document.body.setAttribute('data-agg-' + name, String(n)); }

  async function tick() {
    try {
      renderStats(await api('GET', '/v1/stats'));
      $('status').textContent = 'live · updated ' + new Date().toLocaleTimeString();
      error('');
    } catch (e) { error(e.status === 401 ? 'add #key=<write key> to the URL' : e.message); }
  }

  async function tickAggregations() {
    for (const a of state.contract.aggregations) await refreshAggregation(a);
  }

  async function start() {
    try { state.contract = await api('GET', '/v1/contract'); } catch (e) { error(e.message); setTimeout(start, 2000); return; }
    renderContract(state.contract);
    makeRatesChart(state.contract);
    makeAggregationCharts(state.contract);
    await tick();
    await tickAggregations();
    setInterval(tick, 1000);
    (function loop() { setTimeout(function () { tickAggregations().finally(loop); }, 3000); })();
  }
  start();
})();
</script>
</body>
</html>
`;
