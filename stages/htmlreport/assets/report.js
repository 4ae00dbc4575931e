// nnpipe's report page: the runs table, the parallel coordinates, the
// groups and the drill-down of one run, drawn from the JSON blocks
// nnpipe-data and nnpipe-runs. Every text from the data goes into the
// document as text (textContent) or, in chart tooltips, escaped.
(function () {
  'use strict';

  performance.mark('nnpipe-start');
  var D = JSON.parse(document.getElementById('nnpipe-data').textContent);
  var R = null; // the drill-down data, parsed when a run is first opened
  function runsData() {
    if (!R) R = JSON.parse(document.getElementById('nnpipe-runs').textContent);
    return R;
  }

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }
  // shellQuote quotes s for a POSIX shell, as the page's Go side quotes the
  // paths of the command it prints: a column name is a summary's text.
  function shellQuote(s) {
    return /^[A-Za-z0-9._\/\-+=:,@%]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
  }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  var cols = D.columns, text = D.text, nums = D.nums, n = text.length;
  function colOf(role) {
    for (var j = 0; j < cols.length; j++) if (cols[j].role === role) return j;
    return -1;
  }
  var idCol = colOf('id'), statusCol = colOf('status'), keyCol = colOf('key');
  var charts = [];
  function chart(node) {
    var c = echarts.getInstanceByDom(node) || echarts.init(node, null, { renderer: 'canvas' });
    if (charts.indexOf(c) < 0) charts.push(c);
    return c;
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });

  // ---- header ----
  document.title = D.title;
  $('title').textContent = D.title;
  $('summary').textContent = plural(n, 'run', 'runs') + ' from ' + D.sources.join(', ') +
    (D.skipped.length ? '; ' + plural(D.skipped.length, 'summary', 'summaries') + ' skipped' : '') + '.';
  $('footer').textContent = 'Written by nnpipe ' + D.nnpipe + '. Charts by Apache ECharts ' + D.echarts +
    ' (Apache License 2.0), inlined: this page makes no network request.';
  if (D.skipped.length) {
    $('skipped').hidden = false;
    D.skipped.forEach(function (s) {
      var li = el('li');
      li.appendChild(el('code', s.file));
      li.appendChild(document.createTextNode(': ' + s.reason));
      $('skipped-list').appendChild(li);
    });
  }

  // ---- the runs table ----
  var state = { sort: -1, desc: false, filter: '', status: '', brush: null, all: false, hover: -1, open: -1 };
  var order = [], trs = [], visible = [], haystack = [];
  var table = $('runs-table'), tbody = table.tBodies[0], headRow = table.tHead.rows[0];
  var ths = cols.map(function (c, j) {
    var th = el('th', null, (c.numeric ? 'num' : '') + (c.shown ? '' : ' extra'));
    th.scope = 'col';
    th.setAttribute('aria-sort', 'none');
    var b = el('button', c.name);
    b.type = 'button';
    b.addEventListener('click', function () { sortBy(j); });
    th.appendChild(b);
    headRow.appendChild(th);
    return th;
  });
  var frag = document.createDocumentFragment();
  for (var i = 0; i < n; i++) {
    var tr = document.createElement('tr');
    tr.dataset.row = i;
    for (var j = 0; j < cols.length; j++) {
      var c = cols[j], td = document.createElement('td');
      var cls = (c.numeric ? 'num' : '') + (c.shown ? '' : ' extra');
      if (j === statusCol) cls += ' status-' + text[i][j].replace(/[^a-z]/g, '');
      if (cls) td.className = cls;
      if (j === idCol) {
        var b = el('button', text[i][j]);
        b.type = 'button';
        td.appendChild(b);
      } else {
        td.textContent = text[i][j];
      }
      tr.appendChild(td);
    }
    frag.appendChild(tr);
    trs.push(tr);
    order.push(i);
    visible.push(true);
  }
  tbody.appendChild(frag);

  function shownCols() {
    var out = [];
    for (var j = 0; j < cols.length; j++) if (state.all || cols[j].shown) out.push(j);
    return out;
  }
  function buildHaystack() {
    var js = shownCols();
    haystack = text.map(function (row) {
      return js.map(function (j) { return row[j]; }).join('\u0000').toLowerCase();
    });
  }
  buildHaystack();

  var statuses = [], noStatus = '(no status)';
  function statusOf(i) { return text[i][statusCol] === '' ? noStatus : text[i][statusCol]; }
  if (statusCol >= 0) {
    text.forEach(function (row) { if (statuses.indexOf(row[statusCol]) < 0) statuses.push(row[statusCol]); });
    // A row of a summary without a status column has none: its option is
    // named so, by a name no status has ('' is "all").
    while (statuses.indexOf(noStatus) >= 0) noStatus = '(' + noStatus + ')';
    statuses.sort().forEach(function (s) {
      var o = el('option', s === '' ? noStatus : s);
      o.value = s === '' ? noStatus : s;
      $('status').appendChild(o);
    });
  } else {
    $('status').disabled = true;
  }

  function apply() {
    var q = state.filter.toLowerCase(), shown = 0;
    for (var i = 0; i < n; i++) {
      var v = (!state.status || statusOf(i) === state.status) &&
        (!state.brush || state.brush.has(i)) && (!q || haystack[i].indexOf(q) >= 0);
      visible[i] = v;
      trs[i].hidden = !v;
      if (v) shown++;
    }
    markBest();
    $('count').textContent = shown === n ? plural(n, 'row', 'rows') : shown + ' of ' + plural(n, 'row', 'rows') + ' shown';
    $('clear-brush').hidden = !state.brush;
  }

  // markBest bolds, in each metric column, the best value among the rows
  // shown: the highest accuracy, the lowest of the others.
  function markBest() {
    Array.prototype.forEach.call(tbody.querySelectorAll('td.best'), function (td) { td.classList.remove('best'); });
    cols.forEach(function (c, j) {
      if (c.role !== 'metric') return;
      var best = null;
      for (var i = 0; i < n; i++) {
        var x = nums[i][j];
        if (!visible[i] || x === null) continue;
        if (best === null || (c.better === 'max' ? x > best : x < best)) best = x;
      }
      if (best === null) return;
      for (var k = 0; k < n; k++) if (visible[k] && nums[k][j] === best) trs[k].cells[j].classList.add('best');
    });
  }

  // sortBy sorts on column j (again: the other way), numerically when it
  // holds numbers; rows without a value come last either way.
  function sortBy(j) {
    state.desc = state.sort === j ? !state.desc : false;
    state.sort = j;
    var numeric = cols[j].numeric, sign = state.desc ? -1 : 1;
    order.sort(function (a, b) {
      var x = numeric ? nums[a][j] : text[a][j], y = numeric ? nums[b][j] : text[b][j];
      var mx = numeric ? x === null : x === '', my = numeric ? y === null : y === '';
      if (mx || my) return mx === my ? a - b : (mx ? 1 : -1);
      var d = x < y ? -1 : (x > y ? 1 : 0);
      return d ? sign * d : a - b;
    });
    var f = document.createDocumentFragment();
    order.forEach(function (i) { f.appendChild(trs[i]); });
    tbody.appendChild(f);
    ths.forEach(function (th, k) {
      th.setAttribute('aria-sort', k === j ? (state.desc ? 'descending' : 'ascending') : 'none');
    });
  }

  $('filter').addEventListener('input', function (e) { state.filter = e.target.value; apply(); });
  $('status').addEventListener('change', function (e) { state.status = e.target.value; apply(); });
  $('all-columns').addEventListener('change', function (e) {
    state.all = e.target.checked;
    table.classList.toggle('all', state.all);
    buildHaystack();
    apply();
  });

  // csv is the rows shown, in their order, with the columns shown and the
  // train stage's cache key; text that a spreadsheet would take for a
  // formula gets a leading '.
  function csv() {
    var js = shownCols();
    if (keyCol >= 0 && js.indexOf(keyCol) < 0) js.push(keyCol);
    function cell(s, numeric) {
      if (!numeric && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
      return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    }
    var lines = [js.map(function (j) { return cell(cols[j].name, false); }).join(',')];
    order.forEach(function (i) {
      if (visible[i]) lines.push(js.map(function (j) { return cell(text[i][j], cols[j].numeric); }).join(','));
    });
    return lines.join('\n') + '\n';
  }
  $('csv').addEventListener('click', function () {
    var url = URL.createObjectURL(new Blob([csv()], { type: 'text/csv;charset=utf-8' }));
    var a = el('a');
    a.href = url;
    a.download = 'nnpipe-runs.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  });

  // ---- parallel coordinates ----
  var pc = null, pcCols = [], pcRow = [], pcIndex = [];
  cols.forEach(function (c, j) { if ((c.role === 'param' && c.varies) || c.role === 'metric') pcCols.push(j); });
  function axisOf(j) {
    var a = { name: cols[j].name };
    if (!cols[j].numeric) {
      var cats = [];
      text.forEach(function (row) { if (cats.indexOf(row[j]) < 0) cats.push(row[j]); });
      a.type = 'category';
      a.data = cats.sort();
      return a;
    }
    var lo = Infinity, hi = -Infinity;
    nums.forEach(function (row) { if (row[j] !== null) { lo = Math.min(lo, row[j]); hi = Math.max(hi, row[j]); } });
    a.type = lo > 0 && hi / lo >= 100 ? 'log' : 'value';
    a.scale = true;
    return a;
  }
  function drawParallel() {
    var data = [];
    for (var i = 0; i < n; i++) {
      pcIndex.push(-1);
      var line = [], whole = true;
      for (var k = 0; k < pcCols.length && whole; k++) {
        var j = pcCols[k];
        if (cols[j].numeric) {
          // A parameter a row does not have (runs of other configs) leaves
          // its line off that axis; a metric that is no number, off the chart.
          whole = cols[j].role !== 'metric' || nums[i][j] !== null;
          line.push(nums[i][j]);
        } else {
          line.push(text[i][j]);
        }
      }
      if (whole) {
        pcIndex[i] = data.length;
        pcRow.push(i);
        data.push(line);
      }
    }
    if (n < 2) {
      $('parallel').hidden = true;
      return;
    }
    if (data.length < 2 || pcCols.length < 2) {
      $('pc-hint').textContent = data.length < 2 ? 'Fewer than two rows have every metric: nothing to compare.' : 'Nothing varies.';
      $('pc').hidden = true;
      return;
    }
    pc = chart($('pc'));
    pc.setOption({
      animation: false,
      parallel: { left: 70, right: 110, top: 60, bottom: 40, parallelAxisDefault: {
        nameLocation: 'end', nameGap: 16, nameTextStyle: { fontSize: 12 }, realtime: false,
        areaSelectStyle: { width: 24 }, axisLabel: { fontSize: 11 }
      } },
      parallelAxis: pcCols.map(function (j, k) {
        var a = axisOf(j);
        a.dim = k;
        a.id = 'axis-' + k;
        return a;
      }),
      tooltip: { trigger: 'item', formatter: function (p) { return esc(text[pcRow[p.dataIndex]][idCol]); } },
      series: [{
        type: 'parallel', data: data, smooth: false,
        lineStyle: { width: 1, opacity: 0.5, color: '#2f5fa8' },
        emphasis: { lineStyle: { width: 3, opacity: 1, color: '#e4572e' } },
        inactiveOpacity: 0.04, activeOpacity: 0.7
      }]
    });
    // Brushing an axis (a drag, or the axisAreaSelect action it dispatches)
    // keeps the rows whose lines are in every axis's range.
    pc.on('axisareaselected', function () {
      var s = pc.getModel().getSeries()[0];
      var active = s.getRawIndicesByActiveState('active'), inactive = s.getRawIndicesByActiveState('inactive');
      state.brush = active.length + inactive.length === 0 ? null : new Set(active.map(function (k) { return pcRow[k]; }));
      apply();
    });
    pc.on('mouseover', { seriesIndex: 0 }, function (p) { hoverRow(pcRow[p.dataIndex]); });
    pc.on('mouseout', { seriesIndex: 0 }, function () { hoverRow(-1); });
  }
  function hoverRow(i) {
    if (state.hover >= 0) trs[state.hover].classList.remove('hover');
    state.hover = i;
    if (i >= 0) trs[i].classList.add('hover');
  }
  $('clear-brush').addEventListener('click', function () {
    if (pc) pcCols.forEach(function (j, k) { pc.dispatchAction({ type: 'axisAreaSelect', parallelAxisId: 'axis-' + k, intervals: [] }); });
  });
  var lineShown = -1; // the row whose line is highlighted
  tbody.addEventListener('mouseover', function (e) {
    var tr = e.target.closest('tr');
    if (!tr || !pc || +tr.dataset.row === lineShown) return;
    lineShown = +tr.dataset.row;
    var k = pcIndex[lineShown];
    pc.dispatchAction({ type: 'downplay', seriesIndex: 0 });
    if (k >= 0) pc.dispatchAction({ type: 'highlight', seriesIndex: 0, dataIndex: k });
  });
  tbody.addEventListener('mouseleave', function () {
    lineShown = -1;
    if (pc) pc.dispatchAction({ type: 'downplay', seriesIndex: 0 });
  });
  tbody.addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr) openRun(+tr.dataset.row);
  });

  // ---- groups ----
  var G = D.groups;
  var gAcc = null, gCE = null;
  function pickedKeys() {
    var out = [];
    Array.prototype.forEach.call($('group-keys').querySelectorAll('input'), function (b, k) { if (b.checked) out.push(k); });
    return out;
  }
  function drawGroups() {
    var picked = pickedKeys(), set = G.sets[picked.join(',')];
    var thead = $('groups-table').tHead.rows[0], gbody = $('groups-table').tBodies[0];
    thead.textContent = '';
    gbody.textContent = '';
    $('group-note').hidden = !!set;
    if (!set) {
      var by = shellQuote(picked.map(function (k) { return G.keys[k]; }).join(','));
      $('group-note').textContent = 'This grouping was not computed when the page was written (' + G.left +
        ' groupings with too many groups in all were left out). Its table: ' + G.command + ' --group-by ' + by;
      [gAcc, gCE].forEach(function (c) { if (c) c.clear(); });
      return;
    }
    set.header.forEach(function (h, k) {
      var th = el('th', h, set.numeric[k] ? 'num' : '');
      th.scope = 'col';
      thead.appendChild(th);
    });
    set.rows.forEach(function (row) {
      var tr = el('tr');
      row.forEach(function (cell, k) { tr.appendChild(el('td', cell, set.numeric[k] ? 'num' : '')); });
      gbody.appendChild(tr);
    });
    var part = $('group-part').value;
    gAcc = chart($('group-acc'));
    gCE = chart($('group-ce'));
    gAcc.setOption(groupChart(set, picked, part + '_accuracy'), true);
    gCE.setOption(groupChart(set, picked, part + '_cross_entropy'), true);
  }
  var PALETTE = ['#2f5fa8', '#e4572e', '#17a398', '#f3a712', '#8e5572', '#5c8001', '#a23e48', '#3d348b', '#7f7f7f', '#1b998b'];
  // groupChart draws a metric's mean ± std against the first key picked,
  // one line per setting of the other keys.
  function groupChart(set, picked, metric) {
    var m = G.metrics.indexOf(metric), k = picked.length;
    var numeric = k > 0 && set.x.every(function (x) { return x !== null; });
    var cats = [], series = [], byName = Object.create(null); // no member of every object: a name is a user's text
    set.rows.forEach(function (row, g) {
      var label = k > 0 ? row[0] : 'all';
      if (!numeric && cats.indexOf(label) < 0) cats.push(label);
    });
    set.rows.forEach(function (row, g) {
      var st = set.stats[g][m];
      if (!st || st[0] === null) return;
      var name = k > 1 ? row.slice(1, k).join(', ') : metric;
      var x = numeric ? set.x[g] : cats.indexOf(k > 0 ? row[0] : 'all');
      if (!byName[name]) {
        var color = PALETTE[series.length / 2 % PALETTE.length];
        byName[name] = { line: { type: 'line', name: name, data: [], symbolSize: 6, itemStyle: { color: color }, lineStyle: { color: color } },
          bars: { type: 'custom', name: name, data: [], itemStyle: { color: color }, renderItem: errorBar, encode: { x: 0, y: [1, 2] }, z: 1 } };
        series.push(byName[name].line, byName[name].bars);
      }
      byName[name].line.data.push([x, st[0], st[1], st[2]]);
      if (st[1] !== null) byName[name].bars.data.push([x, st[0] - st[1], st[0] + st[1]]);
    });
    series.forEach(function (s) { if (s.type === 'line') s.data.sort(function (a, b) { return a[0] - b[0]; }); });
    return {
      animation: false,
      title: { text: metric, textStyle: { fontSize: 13 } },
      legend: { type: 'scroll', top: 22, data: Object.keys(byName) },
      grid: { top: 60, left: 64, right: 24, bottom: 48 },
      tooltip: { trigger: 'item', formatter: function (p) {
        if (p.seriesType !== 'line') return '';
        var x = numeric ? p.value[0] : cats[p.value[0]];
        return esc(k > 0 ? G.keys[picked[0]] + ' = ' + x : 'all rows') + '<br>' + esc(p.seriesName) + ': ' +
          esc(fmt(p.value[1])) + (p.value[2] !== null ? ' ± ' + esc(fmt(p.value[2])) : '') + ' (n = ' + p.value[3] + ')';
      } },
      xAxis: numeric ? { type: 'value', name: G.keys[picked[0]], scale: true, nameLocation: 'middle', nameGap: 28 } :
        { type: 'category', data: cats, name: k > 0 ? G.keys[picked[0]] : '', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', scale: true },
      series: series
    };
  }
  function errorBar(params, api) {
    var lo = api.coord([api.value(0), api.value(1)]), hi = api.coord([api.value(0), api.value(2)]);
    var style = { stroke: api.visual('color'), lineWidth: 1.5 };
    return { type: 'group', children: [
      { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
      { type: 'line', shape: { x1: lo[0] - 4, y1: lo[1], x2: lo[0] + 4, y2: lo[1] }, style: style },
      { type: 'line', shape: { x1: hi[0] - 4, y1: hi[1], x2: hi[0] + 4, y2: hi[1] }, style: style }
    ] };
  }
  function fmt(x) {
    if (x === null || x === undefined) return '-';
    var a = Math.abs(x);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : x.toFixed(4);
  }
  function setupGroups() {
    if (!G.keys.length) {
      $('groups').hidden = true;
      return;
    }
    G.keys.forEach(function (key, k) {
      var label = el('label'), box = el('input');
      box.type = 'checkbox';
      box.checked = G.default.indexOf(k) >= 0;
      box.addEventListener('change', drawGroups);
      label.appendChild(box);
      label.appendChild(document.createTextNode(' ' + key));
      $('group-keys').appendChild(label);
    });
    $('group-part').addEventListener('change', drawGroups);
    drawGroups();
  }

  // ---- the drill-down ----
  function historyOption(c, yName) {
    var last = c.xs.length - 1;
    return {
      animation: false,
      legend: { type: 'scroll', top: 0 },
      grid: { top: 40, left: 64, right: 24, bottom: 64 },
      tooltip: { trigger: 'axis', formatter: function (ps) {
        var k = ps[0].dataIndex, out = [esc(c.x) + ' ' + esc(c.xs[k])];
        ps.forEach(function (p) { out.push(p.marker + esc(p.seriesName) + ': ' + esc(p.value[1] === null ? '-' : p.value[1])); });
        (c.tips || []).forEach(function (t) { out.push(esc(t.name) + ': ' + esc(t.y[k])); });
        return out.join('<br>');
      } },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
      xAxis: { type: 'value', name: c.x, nameLocation: 'middle', nameGap: 26, min: c.xs[0], max: c.xs[last] },
      yAxis: { type: 'value', name: yName, scale: true },
      series: c.series.map(function (s) {
        return { type: 'line', name: s.name, showSymbol: false, connectNulls: true, data: c.xs.map(function (x, k) { return [x, s.y[k]]; }) };
      })
    };
  }
  // historyNote gives the last values of a chart of few lines, and how
  // many of the history's rows it draws.
  function historyNote(c) {
    var last = c.xs.length - 1, s = '';
    if (c.series.length <= 4) {
      s = 'At ' + c.x + ' ' + c.xs[last] + ': ' + c.series.map(function (l) { return l.name + ' = ' + l.y[last]; }).join(', ') + '. ';
    }
    return s + (c.rows > c.xs.length ? c.xs.length + ' of the history\u2019s ' + c.rows + ' rows are drawn, spread evenly.' : '');
  }
  function configOf(rd) {
    var cfg = rd.config;
    if (!cfg) return null;
    var lines = cfg.lines ? cfg.lines.slice() : runsData().runs[cfg.base].config.lines.slice();
    (cfg.set || []).forEach(function (s) { lines[s[0]] = s[1]; });
    return lines.map(function (k) { return runsData().lines[k]; }).join('\n') + '\n';
  }
  function openRun(i) {
    var rd = runsData().runs[i];
    if (state.open >= 0) trs[state.open].classList.remove('open');
    state.open = i;
    trs[i].classList.add('open');
    var sec = $('run');
    sec.hidden = false;
    $('run-id').textContent = text[i][idCol];
    var cells = $('run-cells'), notes = $('run-notes');
    cells.textContent = '';
    notes.textContent = '';
    cols.forEach(function (c, j) {
      if (text[i][j] === '') return;
      cells.appendChild(el('dt', c.name));
      cells.appendChild(el('dd', text[i][j]));
    });
    if (!rd) {
      $('run-dir').textContent = 'This row has no run directory to show: its summary has several rows and is no sweep\u2019s, or its id is no folder name.';
      ['curve', 'weights', 'boundary', 'confusion', 'stages', 'config'].forEach(function (b) { $('run-' + b + '-box').hidden = true; });
      sec.scrollIntoView();
      return;
    }
    $('run-dir').textContent = rd.dir === '.' ? 'The run directory is the folder of this page.' : 'Run directory: ' + rd.dir;
    (rd.notes || []).forEach(function (k) { notes.appendChild(el('li', runsData().notes[k])); });
    [['curve', 'cross-entropy'], ['weights', 'weight']].forEach(function (p) {
      var c = rd[p[0]], box = $('run-' + p[0] + '-box');
      box.hidden = !c;
      if (!c) return;
      $('run-' + p[0] + '-note').textContent = historyNote(c);
      chart($('run-' + p[0])).setOption(historyOption(c, p[1]), true);
    });
    var img = $('run-boundary');
    var png = typeof rd.boundary === 'string' && rd.boundary.indexOf('data:image/png;base64,') === 0;
    $('run-boundary-box').hidden = !png;
    if (png) img.src = rd.boundary; else img.removeAttribute('src');
    drawConfusion(rd);
    drawStages(rd);
    var cfg = configOf(rd);
    $('run-config-box').hidden = cfg === null;
    $('run-config').textContent = cfg || '';
    sec.scrollIntoView();
  }
  function drawConfusion(rd) {
    var box = $('run-confusion');
    box.textContent = '';
    var classes = rd.classes >= 0 ? runsData().classSets[rd.classes] : null;
    var parts = ['train', 'test'].filter(function (p) { return rd.confusion && rd.confusion[p]; });
    $('run-confusion-box').hidden = !classes || !parts.length;
    if (!classes) return;
    parts.forEach(function (part) {
      var m = rd.confusion[part], t = el('table'), head = el('tr');
      t.appendChild(el('caption', part));
      head.appendChild(el('th', 'true \\ predicted'));
      classes.forEach(function (name) { var th = el('th', name); th.scope = 'col'; head.appendChild(th); });
      t.appendChild(el('thead')).appendChild(head);
      var body = t.appendChild(el('tbody'));
      m.forEach(function (row, a) {
        var tr = el('tr'), th = el('th', classes[a]), total = row.reduce(function (s, v) { return s + v; }, 0);
        th.scope = 'row';
        tr.appendChild(th);
        row.forEach(function (v) {
          var td = el('td', v);
          td.style.backgroundColor = 'rgba(47, 95, 168, ' + (total ? (0.6 * v / total).toFixed(3) : 0) + ')';
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      box.appendChild(t);
    });
  }
  function drawStages(rd) {
    var body = $('run-stages').tBodies[0];
    body.textContent = '';
    $('run-stages-box').hidden = !rd.stages;
    if (!rd.stages) return;
    var names = runsData().stageSets[rd.stages.set];
    names.forEach(function (s, k) {
      var tr = el('tr'), hit = rd.stages.cached.charAt(k) === '1';
      tr.appendChild(el('td', s[0]));
      tr.appendChild(el('td', s[1]));
      tr.appendChild(el('td', hit ? 'hit' : 'computed'));
      tr.appendChild(el('td', rd.stages.seconds[k], 'num'));
      tr.appendChild(el('td', (rd.stages.compute || rd.stages.seconds)[k], 'num'));
      body.appendChild(tr);
    });
  }

  // ---- start ----
  performance.mark('nnpipe-table');
  apply();
  drawParallel();
  performance.mark('nnpipe-parallel');
  setupGroups();
  performance.mark('nnpipe-groups');
  if (n === 1) openRun(0);
  // What tests and scripts drive: the charts, the CSV text, opening a run.
  window.nnpipe = { parallel: pc, axisId: function (name) {
    var k = pcCols.indexOf(cols.map(function (c) { return c.name; }).indexOf(name));
    return k < 0 ? null : 'axis-' + k;
  }, csv: csv, open: openRun, chart: function (id) { return echarts.getInstanceByDom($(id)); } };
  performance.mark('nnpipe-interactive');
  document.body.dataset.ready = 'true';
})();
