/*
 * datastack-ha status page. Plain JS, no build step, nothing loaded from elsewhere.
 *
 * Reads the control plane's API with the operator's bearer token (kept in sessionStorage: this tab only):
 * GET /api/v1/state once, then the long-poll GET /api/v1/watch?since=REV in a loop (each answer is the new
 * state), GET /api/v1/events after each new revision, and GET /api/v1/traffic every 2 s (the proxies'
 * request rates change every second and are kept out of the revisioned state), and GET /api/v1/cluster every 2 s
 * too (the control planes, which one leads, and etcd's endpoints: one line with the file store), and
 * GET /api/v1/proxies every 2 s (each proxy's host, readiness and traffic: which one holds the traffic). With ingest
 * routes, each card shows its ingest backlog from GET /api/v1/traffic (summed over the proxies heard lately).
 * Acts with the admin token after a confirmation: PUT /api/v1/mode, PUT /api/v1/backends/{id}/admin-state
 * (both with If-Match: the topology revision on screen, so a change made meanwhile by someone else is
 * refused with 412 rather than overwritten), POST /api/v1/failback. A refusal shows its problem+json.
 * The actions are hidden, not just disabled, until the control plane has answered with the token set (or without
 * one, in its insecure dev mode); a token it refuses (401) is dropped, and one that may only read (403) keeps the
 * read-only view: either way the actions hide again and one line says why and where the admin token goes.
 */
(function () {
  'use strict';

  const TOKEN_KEY = 'dsha.token';
  const ACTOR_KEY = 'dsha.actor';
  const WATCH_TIMEOUT_MS = 25000;
  const TRAFFIC_EVERY_MS = 2000;
  const CLUSTER_EVERY_MS = 2000;
  const EVENTS_SHOWN = 40;
  const ACTIONS_NEED = 'Actions need the admin token: enter it with the “token” button at the top.';

  const $ = (id) => document.getElementById(id);
  const page = {
    snapshot: null,
    traffic: new Map(),
    generation: 0,       // bumps when the token changes: an older watch loop stops
    signedOut: false,
    readOnly: false,     // the control plane refused a change with this token (403)
  };

  // ---------- API ----------

  class ApiError extends Error {
    constructor(status, problem) {
      super(problem.title || ('HTTP ' + status));
      this.status = status;
      this.problem = problem;
    }
  }

  async function api(method, path, body, headers) {
    const h = Object.assign({ 'Accept': 'application/json, application/problem+json' }, headers || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) {
      h['Authorization'] = 'Bearer ' + token;
    }
    const actor = sessionStorage.getItem(ACTOR_KEY);
    if (actor && method !== 'GET') {
      h['X-Dsha-Actor'] = actor;
    }
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
    }
    const r = await fetch(path, { method: method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    if (r.status === 204) {
      return { status: 204, body: null };
    }
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!r.ok) {
      throw new ApiError(r.status, json && typeof json === 'object' ? json
          : { title: 'HTTP ' + r.status, detail: text.slice(0, 300) });
    }
    return { status: r.status, body: json };
  }

  // ---------- live updates ----------

  async function follow(generation) {
    let since = -1;
    let pause = 500;
    while (generation === page.generation) {
      try {
        const r = since < 0 ? await api('GET', '/api/v1/state')
            : await api('GET', '/api/v1/watch?since=' + since + '&timeoutMs=' + WATCH_TIMEOUT_MS);
        if (generation !== page.generation) {
          return;
        }
        connection('live');
        if (!page.readOnly) {
          actions(true);
        }
        pause = 500;
        if (r.status === 200 && r.body) {
          since = r.body.revision;
          show(r.body);
          refreshEvents();
        }
      } catch (e) {
        if (generation !== page.generation) {
          return;
        }
        if (e instanceof ApiError && e.status === 401) {
          signedOut(e.problem.detail);
          return;
        }
        connection('reconnecting');
        since = -1; // a restarted control plane may be at a lower revision: start from the state again
        await delay(pause);
        pause = Math.min(pause * 2, 5000);
      }
    }
  }

  async function refreshEvents() {
    try {
      const r = await api('GET', '/api/v1/events?limit=' + EVENTS_SHOWN);
      renderTimeline(r.body || []);
    } catch (e) {
      // The next revision tries again; the watch loop reports the connection.
    }
  }

  async function refreshTraffic() {
    if (page.signedOut) {
      return;
    }
    try {
      const r = await api('GET', '/api/v1/traffic');
      page.traffic = new Map((r.body.backends || []).map((b) => [b.backendId, b.requestsPerSecond]));
      page.ingest = new Map((r.body.backends || []).filter((b) => b.ingest).map((b) => [b.backendId, b.ingest]));
      page.proxies = r.body.proxies || [];
      if (page.snapshot) {
        renderBackends(page.snapshot);
      }
    } catch (e) {
      // Shown on the cards as unknown once the figures are older than the window.
      page.traffic = new Map();
      page.ingest = new Map();
    }
  }

  /** GET {@code path} and hand the answer to {@code render}; when it fails, the panel keeps what it showed. */
  async function refreshPanel(path, render) {
    if (page.signedOut) {
      return;
    }
    try {
      const r = await api('GET', path);
      render(r.body);
    } catch (e) {
      // An older control plane without this endpoint, or none answering: the panel keeps what it showed.
    }
  }

  function refreshProxies() {
    return refreshPanel('/api/v1/proxies', renderProxies);
  }

  function refreshCluster() {
    return refreshPanel('/api/v1/cluster', renderCluster);
  }

  function delay(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function start() {
    page.generation++;
    page.signedOut = false;
    page.readOnly = false;
    $('token-panel').hidden = true;
    connection('connecting');
    follow(page.generation);
    refreshTraffic();
    refreshCluster();
    refreshProxies();
  }

  function signedOut(detail) {
    const refused = sessionStorage.getItem(TOKEN_KEY) !== null;
    // A refused token is of no more use: dropped, so that it is not sent again (and not kept in the tab).
    sessionStorage.removeItem(TOKEN_KEY);
    page.generation++;
    page.signedOut = true;
    connection('signed-out');
    const why = refused ? 'The control plane refused the token: ' + (detail || 'not valid') + '.' : '';
    actions(false, why);
    $('token-panel').hidden = false;
    $('token-message').textContent = why || 'The control plane needs a token to show its state.';
    $('token').focus();
  }

  /** Shows the actions, or hides them with one line saying why and where the admin token goes. */
  function actions(canAct, why) {
    if (canAct) {
      document.body.dataset.canAct = '';
    } else {
      delete document.body.dataset.canAct;
    }
    $('actions-note').textContent = canAct ? '' : (why ? why + ' ' : '') + ACTIONS_NEED;
  }

  function connection(state) {
    const el = $('connection');
    el.dataset.state = state;
    el.textContent = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…', 'signed-out': 'signed out' }[state];
  }

  // ---------- rendering ----------

  function show(snapshot) {
    page.snapshot = snapshot;
    const t = snapshot.topology;
    $('mode').textContent = t ? t.mode : '—';
    $('tls-mode').textContent = t ? t.tlsMode : '—';
    $('fqdn').textContent = t && t.fqdn ? t.fqdn : '—';
    $('revision').textContent = snapshot.revision + (snapshot.topologyRevision !== snapshot.revision ? ' (topology ' + snapshot.topologyRevision + ')' : '');
    $('listener').textContent = listenerText(snapshot.listener);
    $('listener').className = snapshot.listener && snapshot.listener.degraded ? 's-DEGRADED' : '';
    $('listener').title = snapshot.listener && snapshot.listener.degraded ? snapshot.listener.degraded.join('\n') : '';
    renderRouting(snapshot);
    renderBackends(snapshot);
  }

  function listenerText(l) {
    if (!l) {
      return 'not checked yet';
    }
    if (l.liveCheckers === 0) {
      return 'no checker reached it lately';
    }
    const days = l.daysToExpiry == null ? '' : daysText(l.daysToExpiry);
    return (l.degraded ? 'DEGRADED' : 'OK') + (days ? ' · ' + days : '');
  }

  function daysText(days) {
    return days < 0 ? 'expired ' + (-days) + ' d ago' : days + ' d to expiry';
  }

  function renderRouting(s) {
    const t = s.topology;
    const r = s.routing;
    const summary = $('routing-summary');
    if (!t) {
      summary.textContent = 'No topology declared yet';
    } else if (r.allDown) {
      summary.textContent = 'Nothing is UP: ' + (t.allDown === 'FAIL_FAST' ? 'clients get 503' : 'the proxy tries ' + (r.standby.join(', ') || 'nothing'));
    } else if (t.mode === 'ACTIVE_PASSIVE') {
      summary.textContent = 'Active: ' + r.active.join(', ') + (r.standby.length ? ' · standby: ' + r.standby.join(', ') : ' · no standby');
    } else {
      summary.textContent = 'Serving: ' + r.active.join(', ');
    }
    summary.dataset.active = r.active.join(',');
    document.title = 'datastack-ha · ' + (r.allDown ? 'nothing UP' : r.active.join(', ') + (t && t.mode === 'ACTIVE_PASSIVE' ? ' active' : ' serving'));
    summary.className = 'summary ' + (r.allDown ? 's-DOWN' : '');
    let reason = r.reason || '';
    if (r.pendingFailback) {
      reason += (reason ? ' · ' : '') + r.pendingFailback + ' waits for failback'
          + (r.failbackAt ? ' at ' + time(r.failbackAt) : ' (MANUAL: fail back when ready)');
    }
    $('routing-reason').textContent = reason;
    const other = t && t.mode === 'ACTIVE_PASSIVE' ? 'ACTIVE_ACTIVE' : 'ACTIVE_PASSIVE';
    $('switch-mode').textContent = 'Switch to ' + other;
    $('switch-mode').dataset.mode = other;
    $('switch-mode').disabled = !t;
    $('failback').disabled = !t || t.mode !== 'ACTIVE_PASSIVE';
    $('failback').classList.toggle('current', Boolean(r.pendingFailback));
  }

  /** What a backend does in the routing decision, in the operator's words. */
  function roleOf(b, s) {
    const r = s.routing;
    if (b.adminState === 'MAINTENANCE') return ['maintenance', 'maintenance'];
    if (r.draining.includes(b.id)) return ['draining', 'draining'];
    if (r.active.includes(b.id)) return s.topology.mode === 'ACTIVE_PASSIVE' ? ['active', 'active'] : ['serving', 'serving'];
    if (r.pendingFailback === b.id) return ['failback-pending', 'failback pending'];
    const i = r.standby.indexOf(b.id);
    if (i >= 0) return ['standby', r.allDown ? 'tried (all down)' : 'standby ' + (i + 1)];
    if (b.adminState === 'DRAIN') return ['draining', 'drained'];
    return ['out', 'out of rotation'];
  }

  function renderBackends(s) {
    const container = $('backends');
    const backends = s.topology ? s.topology.backends : [];
    const verdicts = new Map(s.verdicts.map((v) => [v.backendId, v]));
    const ids = backends.map((b) => b.id);
    for (const card of Array.from(container.children)) {
      if (!ids.includes(card.dataset.backend)) {
        card.remove();
      }
    }
    backends.forEach((b, index) => {
      let card = container.querySelector('[data-backend="' + CSS.escape(b.id) + '"]');
      if (!card) {
        card = $('card-template').content.firstElementChild.cloneNode(true);
        card.dataset.backend = b.id;
        card.querySelectorAll('[data-admin-state]').forEach((btn) =>
          btn.addEventListener('click', () => askAdminState(card.dataset.backend, btn.dataset.adminState)));
      }
      if (container.children[index] !== card) {
        container.insertBefore(card, container.children[index] || null);
      }
      fillCard(card, b, verdicts.get(b.id), s);
    });
  }

  function fillCard(card, b, v, s) {
    const q = (sel) => card.querySelector(sel);
    const status = v ? v.status : 'UNKNOWN';
    const [role, roleText] = roleOf(b, s);
    card.dataset.status = status;
    card.dataset.role = role;
    q('.id').textContent = b.id;
    q('.role').textContent = roleText;
    q('.role').dataset.role = role;
    q('.address').textContent = b.host + ':' + b.port + ' · ' + b.healthCheck.type + ' check every ' + b.healthCheck.intervalMs + ' ms';
    const flags = v && v.flags && v.flags.length ? ' (' + v.flags.join(', ') + ')' : '';
    q('.verdict').textContent = status + flags;
    q('.verdict').className = 'verdict s-' + status;
    q('.verdict').title = v && v.since ? 'since ' + time(v.since) + ' · ' + v.liveCheckers + ' live checker(s), quorum ' + v.quorum : '';
    q('.admin-state').textContent = b.adminState;
    const rps = page.traffic.get(b.id);
    const reporting = page.proxies || [];
    q('.rps').textContent = rps == null || reporting.length === 0 ? '—' : format(rps);
    q('.rps').title = reporting.length === 0 ? 'no proxy has reported lately' : 'summed over ' + reporting.join(', ');
    // Only with ingest routes: what the proxies heard lately hold for this backend (GET /api/v1/traffic sums them).
    const ingest = page.ingest && page.ingest.get(b.id);
    q('.ingest-row').hidden = !(page.ingest && page.ingest.size);
    q('.ingest').textContent = ingest ? ingestText(ingest) : 'none';
    q('.ingest').className = 'ingest' + (ingest && (ingest.records > 0 || ingest.diverged > 0) ? ' s-DEGRADED' : '');
    q('.ingest').title = ingest ? 'summed over ' + reporting.join(', ') : '';
    q('.lag').textContent = v && v.lag != null ? lagText(v.lag, s.topology) : (s.topology.freshness ? 'in step' : 'not checked');
    const days = certDays(v);
    q('.cert').textContent = days == null ? (usesTls(b, s.topology) ? 'not seen yet' : 'no TLS to backend') : daysText(days);
    q('.cert').className = 'cert' + (days != null && days < 30 ? ' s-DEGRADED' : '');
    q('.priority').textContent = b.priority + ' · ' + b.weight;
    q('.degraded').textContent = v && v.degraded ? v.degraded.join(' · ') : '';
    const p = v && v.lastPassiveFailure;
    q('.passive').textContent = p ? 'Last failure on real traffic: ' + p.reason + ' (' + p.reporterId + ', ' + time(p.at) + ', ' + p.count + '×)' : '';
    const body = q('.votes tbody');
    body.replaceChildren(...(v ? v.votes : []).map((vote) => {
      const tr = document.createElement('tr');
      tr.dataset.checker = vote.reporterId;
      tr.className = vote.live && !vote.isolated ? '' : 'not-counted';
      const note = vote.isolated ? ' (isolated)' : vote.live ? '' : ' (silent)';
      cells(tr, [vote.reporterId + note, vote.status, (vote.lastResult || '') + (vote.reason ? ': ' + vote.reason : ''),
        vote.latencyMs == null ? '' : String(vote.latencyMs)]);
      tr.children[1].className = 's-' + vote.status;
      return tr;
    }));
    if (!v || v.votes.length === 0) {
      const tr = document.createElement('tr');
      cells(tr, ['no checker has reported', '', '', '']);
      body.replaceChildren(tr);
    }
    card.querySelectorAll('[data-admin-state]').forEach((btn) => {
      btn.disabled = btn.dataset.adminState === b.adminState;
    });
  }

  function cells(tr, values) {
    values.forEach((text) => {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    });
  }

  /** The fewest days any live checker saw on the backend's certificate. */
  function certDays(v) {
    if (!v) return null;
    const days = v.votes.filter((x) => x.daysToExpiry != null).map((x) => x.daysToExpiry);
    return days.length ? Math.min(...days) : null;
  }

  function usesTls(b, t) {
    return b.healthCheck.type === 'TLS' || b.healthCheck.tls === true || (b.healthCheck.tls == null && t.tlsMode === 'PASSTHROUGH');
  }

  function lagText(lag, t) {
    if (t.freshness && t.freshness.kind === 'COUNTER') return lag + ' records';
    return lag < 1000 ? lag + ' ms' : format(lag / 1000) + ' s';
  }

  /** records · bytes · oldest age, and the records it refused that another instance accepted. */
  function ingestText(i) {
    const held = i.records === 0 ? 'none' : i.records + ' records · ' + i.bytes + ' bytes · oldest ' + lagText(i.oldestAgeMs, {});
    return held + (i.diverged > 0 ? ' · ' + i.diverged + ' diverged' : '');
  }

  function format(n) {
    return n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
  }

  /**
   * The proxies following the control plane, from their traffic reports: which ones are ready, and which one holds the
   * traffic (with two proxies behind one floating address, the one serving holds the address).
   */
  function renderProxies(p) {
    const panel = $('proxies-panel');
    panel.hidden = false;
    const all = p.proxies || [];
    const holding = all.filter((x) => x.holdsTraffic).map((x) => x.id);
    const ready = all.filter((x) => x.heard && x.ready === true).length;
    $('proxies-summary').textContent = all.length === 0 ? 'No proxy has reported yet'
        : all.length + ' prox' + (all.length === 1 ? 'y' : 'ies') + ' · ' + ready + ' ready · '
          + (holding.length ? 'traffic through ' + holding.join(', ') : 'no traffic now');
    $('proxies-summary').className = 'summary' + (all.length && ready === 0 ? ' s-DOWN' : '');
    $('proxies').querySelector('tbody').replaceChildren(...all.map((x) => {
      const tr = document.createElement('tr');
      tr.dataset.proxy = x.id;
      tr.className = x.holdsTraffic ? 'self' : '';
      cells(tr, [x.id + (x.holdsTraffic ? ' (holds the traffic)' : ''), x.host || '—', x.listener || '—', '',
        format(x.requestsPerSecond), time(x.lastReport) + (x.heard ? '' : ' (silent)')]);
      const state = !x.heard ? 'silent' : x.shuttingDown ? 'shutting down' : x.ready === true ? 'ready' : x.ready === false ? 'not ready' : 'unknown';
      tr.children[3].appendChild(pill(state, { ready: state }));
      return tr;
    }));
  }

  /** The control planes and etcd's endpoints; with the file store, one line. */
  function renderCluster(c) {
    const panel = $('cluster');
    panel.hidden = false;
    panel.dataset.store = c.store;
    const summary = $('cluster-summary');
    if (c.store === 'file') {
      summary.textContent = 'One control plane, file store' + (c.self ? ' (' + c.self + ')' : '');
      return;
    }
    const healthy = c.etcd.filter((e) => e.healthy).length;
    summary.textContent = c.replicas.length + ' control plane' + (c.replicas.length === 1 ? '' : 's')
        + ' · ' + (c.leader ? c.leader.id + ' leads' : 'none leads now')
        + ' · etcd ' + healthy + ' of ' + c.etcd.length + ' healthy · this page is served by ' + c.self;
    summary.className = 'summary' + (c.leader && healthy * 2 > c.etcd.length ? '' : ' s-DOWN');
    $('replicas').querySelector('tbody').replaceChildren(...c.replicas.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.replica = r.id;
      tr.className = r.id === c.self ? 'self' : '';
      cells(tr, [r.id + (r.id === c.self ? ' (this one)' : ''), r.url || '—', '', r.since ? time(r.since) : '—', r.version || '—']);
      tr.children[2].appendChild(pill(r.role, { role: r.role }));
      if (r.since) {
        tr.children[3].title = new Date(r.since).toString();
      }
      return tr;
    }));
    $('etcd').querySelector('tbody').replaceChildren(...c.etcd.map((e) => {
      const tr = document.createElement('tr');
      tr.dataset.endpoint = e.url;
      cells(tr, [e.url, '', e.leader ? 'leader' : '', e.version || '—', e.revision ? String(e.revision) : '—',
        e.dbSizeBytes ? bytes(e.dbSizeBytes) : '—', e.error || '']);
      const health = e.healthy ? 'healthy' : 'unhealthy';
      tr.children[1].appendChild(pill(health, { health: health }));
      tr.children[6].className = 'error';
      return tr;
    }));
  }

  function pill(text, data) {
    const span = document.createElement('span');
    span.className = 'pill';
    span.textContent = text;
    Object.assign(span.dataset, data);
    return span;
  }

  function bytes(n) {
    return n >= 1048576 ? format(n / 1048576) + ' MiB' : n >= 1024 ? format(n / 1024) + ' KiB' : n + ' B';
  }

  function renderTimeline(events) {
    const list = $('timeline');
    list.replaceChildren(...events.map((e) => {
      const li = document.createElement('li');
      li.dataset.type = e.type;
      li.dataset.seq = e.seq;
      const when = document.createElement('time');
      when.dateTime = e.at;
      when.textContent = time(e.at);
      when.title = new Date(e.at).toString();
      const type = document.createElement('span');
      type.className = 'type';
      type.textContent = e.type.replace(/_/g, ' ');
      const what = document.createElement('span');
      what.className = 'message';
      what.textContent = e.message;
      if (e.actor && e.actor !== 'control-plane') {
        const actor = document.createElement('span');
        actor.className = 'actor';
        actor.textContent = ' — ' + e.actor;
        what.appendChild(actor);
      }
      li.append(when, type, what);
      return li;
    }));
    if (events.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'Nothing has happened yet.';
      list.replaceChildren(li);
    }
  }

  /** Today's events by time of day, older ones with their date. */
  function time(iso) {
    const d = new Date(iso);
    const sameDay = d.toDateString() === new Date().toDateString();
    const hms = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
    return sameDay ? hms : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + hms;
  }

  // ---------- actions ----------

  function confirmAction(title, text) {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.returnValue = 'cancel';
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  async function act(title, text, method, path, body, conditional) {
    if (!(await confirmAction(title, text))) {
      return;
    }
    hideProblem();
    const headers = conditional && page.snapshot ? { 'If-Match': '"' + page.snapshot.topologyRevision + '"' } : {};
    try {
      const r = await api(method, path, body, headers);
      if (r.body && r.body.revision != null) {
        show(r.body);
        refreshEvents();
      }
    } catch (e) {
      showProblem(e instanceof ApiError ? e.problem : { title: 'The control plane did not answer', detail: String(e.message || e) },
          e instanceof ApiError ? e.status : null);
      if (e instanceof ApiError && e.status === 401) {
        signedOut(e.problem.detail);
      } else if (e instanceof ApiError && e.status === 403) {
        // A token that may only read keeps its view; its actions would only be refused again.
        page.readOnly = true;
        actions(false, 'This token may only read.');
      }
    }
  }

  function askAdminState(id, state) {
    const effect = {
      ENABLED: 'it takes traffic again when its verdict allows.',
      DRAIN: 'it gets no new requests; requests in flight finish.',
      MAINTENANCE: 'it gets no traffic at all; passthrough connections to it are closed.',
    }[state];
    act('Set ' + id + ' to ' + state + '?', 'Backend ' + id + ' becomes ' + state + ': ' + effect,
        'PUT', '/api/v1/backends/' + encodeURIComponent(id) + '/admin-state', { adminState: state }, true);
  }

  $('switch-mode').addEventListener('click', () => {
    const mode = $('switch-mode').dataset.mode;
    const effect = mode === 'ACTIVE_ACTIVE' ? 'every ENABLED backend that is UP shares the traffic.'
        : 'one backend, the best by priority, takes all the traffic.';
    act('Switch to ' + mode + '?', 'The mode becomes ' + mode + ': ' + effect, 'PUT', '/api/v1/mode', { mode: mode }, true);
  });

  $('failback').addEventListener('click', () => {
    const r = page.snapshot && page.snapshot.routing;
    const target = r && r.pendingFailback ? r.pendingFailback : 'the preferred backend';
    act('Fail back now?', 'Traffic moves back to ' + target + ' now, without waiting for the failback policy.', 'POST', '/api/v1/failback', undefined, false);
  });

  function showProblem(problem, status) {
    $('problem-title').textContent = (problem.title || 'Refused') + (status ? ' (' + status + ')' : '');
    $('problem-detail').textContent = problem.detail || '';
    $('problem-violations').replaceChildren(...(problem.violations || []).map((v) => {
      const li = document.createElement('li');
      li.textContent = (v.field ? v.field + ': ' : '') + v.message;
      return li;
    }));
    $('problem').hidden = false;
  }

  function hideProblem() {
    $('problem').hidden = true;
  }

  $('problem-close').addEventListener('click', hideProblem);

  // ---------- token ----------

  $('token-open').addEventListener('click', () => {
    $('token-panel').hidden = !$('token-panel').hidden;
    $('actor').value = sessionStorage.getItem(ACTOR_KEY) || '';
    $('token-message').textContent = sessionStorage.getItem(TOKEN_KEY) ? 'A token is in use in this tab.' : '';
  });

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    const actor = $('actor').value.trim();
    if (actor) {
      sessionStorage.setItem(ACTOR_KEY, actor);
    } else {
      sessionStorage.removeItem(ACTOR_KEY);
    }
    $('token').value = '';
    hideProblem();
    start();
  });

  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACTOR_KEY);
    $('token').value = '';
    signedOut();
  });

  setInterval(refreshTraffic, TRAFFIC_EVERY_MS);
  setInterval(refreshCluster, CLUSTER_EVERY_MS);
  setInterval(refreshProxies, TRAFFIC_EVERY_MS);
  actions(false);
  start();
}());
