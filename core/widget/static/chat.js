/* StoreChat chat UI v0. Loaded by loader.js on the first click, drawn in the
   loader's shadow root. Text from the network is only ever set through
   textContent, and only http(s) URLs become links or images. Speaks
   docs/protocol.md over a WebSocket, or over HTTP where sockets are blocked. */
(function (w, d) {
  "use strict";
  var G = w.__storechat;
  if (!G || G.ui) return;
  G.ui = 1;
  var cfg = G.cfg, root = G.root, launcher = G.button;
  var KEY = "storechat:" + cfg.site_key, CACHE = 100;
  var C = /^#[\da-f]{3,8}$/i.test(cfg.color) ? cfg.color : "#1f6feb";
  var NAMES = { visitor: "You", assistant: "Assistant", agent: "Agent", system: "Notice" };

  // Per site key: the visitor token, the conversation, the last seq seen and
  // the recent messages, so a reload shows the history and resumes after it.
  var st = load();
  function load() {
    var v = null;
    try { v = JSON.parse(w.localStorage.getItem(KEY)); } catch (e) { /* storage blocked */ }
    v = v && typeof v === "object" ? v : {};
    v.seq = +v.seq || 0;
    v.msgs = Array.isArray(v.msgs) ? v.msgs : [];
    return v;
  }
  function save() {
    st.msgs = st.msgs.slice(-CACHE);
    try { w.localStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* quota or blocked */ }
  }

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function attr(e, k, v) { e.setAttribute(k, v); return e; }
  function isHttp(u) { return typeof u === "string" && /^https?:\/\//i.test(u); }

  var style = el("style");
  style.textContent =
    "[hidden]{display:none!important}" +
    ".p{position:fixed;bottom:88px;" + (cfg.position === "left" ? "left" : "right") + ":20px;z-index:2147483001;" +
    "width:370px;max-width:calc(100vw - 40px);height:min(580px,calc(100vh - 110px));display:flex;flex-direction:column;" +
    "background:#fff;color:#1f2328;border-radius:14px;box-shadow:0 10px 40px #0004;overflow:hidden;" +
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;text-align:left}" +
    ".h{display:flex;align-items:center;gap:8px;padding:12px 14px;background:" + C + ";color:#fff;font-weight:600}" +
    ".n{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".u{display:block;overflow:hidden;text-overflow:ellipsis;font-size:12px;font-weight:400}.u:empty{display:none}" +
    ".x{background:none;border:0;color:inherit;font:24px/1 sans-serif;cursor:pointer;padding:0 4px}" +
    ".m{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f6f8fa}" +
    ".r{display:flex;flex-direction:column;gap:6px;align-items:flex-start;max-width:100%}" +
    ".r.visitor{align-items:flex-end}.r.system{align-items:center}" +
    ".b{margin:0;max-width:85%;padding:8px 11px;border-radius:12px;background:#fff;border:1px solid #d0d7de;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".visitor .b{background:" + C + ";color:#fff;border-color:transparent}" +
    ".system .b{background:none;border:0;padding:0 8px;color:#57606a;font-size:12px;font-style:italic;text-align:center}" +
    ".agent .b{border-color:" + C + ";box-shadow:inset 3px 0 " + C + "}.an{padding:0 4px;color:#57606a;font-size:12px}" +
    ".pending{opacity:.6}.failed .b{opacity:.6;text-decoration:line-through}" +
    ".cs{display:flex;gap:8px;overflow-x:auto;max-width:100%;padding-bottom:4px}" +
    ".c{flex:0 0 140px;box-sizing:border-box;display:flex;flex-direction:column;gap:3px;padding:8px;background:#fff;border:1px solid #d0d7de;border-radius:10px;font-size:13px}" +
    ".c img{position:relative;width:100%;aspect-ratio:1;object-fit:cover;border-radius:6px;background:#eaeef2}" +
    // Only an image that failed to load gets ::after: a plain tile instead of a broken-image icon.
    ".c img::after{content:'';position:absolute;inset:0;border-radius:inherit;background:#eaeef2}" +
    ".ct{font-weight:600;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}" +
    ".c s{color:#57606a;margin-left:4px}.ok{color:#1a7f37}.no{color:#cf222e}" +
    ".c a{margin-top:auto;padding:5px;border-radius:6px;background:" + C + ";color:#fff;text-align:center;text-decoration:none}" +
    ".q{display:flex;flex-wrap:wrap;gap:6px}" +
    ".q button{font:inherit;font-size:13px;padding:4px 10px;border-radius:14px;border:1px solid " + C + ";color:" + C + ";background:#fff;cursor:pointer}" +
    ".t{padding:4px 14px;color:#57606a;font-size:12px;background:#f6f8fa}" +
    ".f{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de;margin:0}" +
    ".f input{flex:1;min-width:0;padding:8px 10px;border:1px solid #d0d7de;border-radius:8px;font:inherit;color:inherit;background:#fff}" +
    ".s{font:inherit;font-weight:600;padding:8px 14px;border:0;border-radius:8px;background:" + C + ";color:#fff;cursor:pointer}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ":focus-visible{outline:2px solid " + C + ";outline-offset:2px}" +
    // Full screen on phones; 16px text keeps iOS from zooming into the input.
    "@media (max-width:480px){.p{inset:0;width:auto;max-width:none;height:auto;border-radius:0}.f input{font-size:16px}}";

  var panel = attr(attr(el("div", "p"), "role", "dialog"), "aria-label", cfg.title || cfg.name);
  panel.hidden = true;
  var head = el("div", "h"), title = el("div", "n", cfg.title || cfg.name), sub = el("small", "u");
  title.append(sub);
  var closeBtn = attr(el("button", "x", "\u00d7"), "aria-label", "Close chat");
  closeBtn.type = "button";
  head.append(title, closeBtn);
  var list = attr(attr(el("div", "m"), "role", "log"), "aria-live", "polite");
  var typingEl = attr(el("div", "t", "Typing\u2026"), "role", "status");
  typingEl.hidden = true;
  var form = el("form", "f");
  var input = attr(el("input"), "aria-label", "Message");
  input.type = "text";
  input.placeholder = "Type your message\u2026";
  input.autocomplete = "off";
  input.maxLength = 4000;
  var sendBtn = attr(el("button", "s", "Send"), "aria-label", "Send message");
  sendBtn.type = "submit";
  form.append(input, sendBtn);
  panel.append(head, list, typingEl, form);
  root.append(style, panel);
  launcher.setAttribute("aria-controls", "storechat-panel");
  panel.id = "storechat-panel";

  // ---- rendering
  var seen = {};      // seq -> 1: message frames already shown
  var mine = {};      // client_id -> row: this visitor's messages already shown
  var outbox = {};    // client_id -> text: sent or queued, not yet acknowledged
  var fmts = {};

  function money(v, cur) {
    var n = parseFloat(v);
    if (!isFinite(n)) return v == null ? "" : String(v);
    try {
      if (!fmts[cur]) fmts[cur] = new Intl.NumberFormat(cfg.locale || undefined, { style: "currency", currency: cur });
      return fmts[cur].format(n);
    } catch (e) {
      return n.toFixed(2) + " " + (cur || "");
    }
  }

  function card(c) {
    var box = el("div", "c"), cur = c.currency || cfg.currency || "USD", pr = el("div");
    if (isHttp(c.image_url)) {
      var img = attr(el("img"), "alt", "");
      img.loading = "lazy";
      img.src = c.image_url;
      box.append(img);
    }
    var hi = c.price_max != null && parseFloat(c.price_max) !== parseFloat(c.price);
    pr.append(money(c.price, cur) + (hi ? " \u2013 " + money(c.price_max, cur) : ""));
    if (c.compare_at != null && parseFloat(c.compare_at) > parseFloat(c.price)) pr.append(el("s", "", money(c.compare_at, cur)));
    box.append(el("div", "ct", c.title || ""), pr, el("div", c.available ? "ok" : "no", c.available ? "In stock" : "Sold out"));
    if (isHttp(c.url)) {
      var a = attr(el("a", "", "View"), "aria-label", "View " + (c.title || "product"));
      a.href = c.url;
      box.append(a);
    }
    return box;
  }

  function clearQuick() {
    var old = list.querySelectorAll(".q");
    for (var i = 0; i < old.length; i++) old[i].remove();
  }

  function row(f) {
    var author = NAMES[f.author] ? f.author : "system", r = el("div", "r " + author);
    if (author === "agent") r.append(el("span", "an", f.agent_name || NAMES.agent));
    if (f.text) {
      var b = el("p", "b");
      b.append(el("span", "sr", NAMES[author] + ": "), String(f.text));
      r.append(b);
    }
    if (author === "system") return r;  // notices are text only
    if (Array.isArray(f.cards) && f.cards.length) {
      var cs = el("div", "cs");
      f.cards.forEach(function (c) { if (c && typeof c === "object") cs.append(card(c)); });
      r.append(cs);
    }
    clearQuick();
    if (Array.isArray(f.quick_replies) && f.quick_replies.length) {
      var q = el("div", "q");
      f.quick_replies.forEach(function (t) {
        var btn = el("button", "", t);
        btn.type = "button";
        btn.onclick = function () { send(String(t)); };
        q.append(btn);
      });
      r.append(q);
    }
    return r;
  }

  function scroll() { list.scrollTop = list.scrollHeight; }

  function note(text) {
    list.append(row({ author: "system", text: text }));
    scroll();
  }

  var typingTimer;
  function typing(on) {
    clearTimeout(typingTimer);
    typingEl.hidden = !on;
    if (on) typingTimer = setTimeout(function () { typingEl.hidden = true; }, 45000);
  }

  // Seqs count within one conversation: when the server moves this visitor to
  // a new one (the old was closed), forget the old numbering but keep what is shown.
  function follow(conv) {
    if (conv == null || conv === st.conv) return;
    if (st.conv != null) fresh();
    st.conv = conv;
  }
  function fresh() {
    seen = {};
    st.seq = 0;
    st.msgs = [];
    st.status = st.agent = null;
    status();
  }

  // Who answers: the header says so while a person from the shop has the conversation.
  function status() {
    sub.textContent = st.status === "human" ? "You're chatting with " + (st.agent || "our team") : "";
  }

  function showMessage(f, replayed) {
    if (!replayed) follow(f.conversation_id);
    var seq = +f.seq || 0;
    if (seq && seen[seq]) return;
    if (seq) seen[seq] = 1;
    // Resume after the last seq seen without a gap: over HTTP an echo can overtake an earlier message.
    while (seen[st.seq + 1]) st.seq++;
    var r = f.client_id && mine[f.client_id];
    if (r) {
      // The echo of a message already drawn when it was sent.
      r.classList.remove("pending");
      delete outbox[f.client_id];
    } else {
      if (f.author === "agent" && !f.agent_name) f.agent_name = st.agent;
      r = row(f);
      list.append(r);
      if (f.client_id) mine[f.client_id] = r;
    }
    if (!replayed) {
      st.msgs.push({ seq: seq, author: f.author, text: f.text, cards: f.cards, quick_replies: f.quick_replies,
                     client_id: f.client_id, conversation_id: f.conversation_id, created_at: f.created_at,
                     agent_name: f.agent_name });
      save();
      if (f.author !== "visitor") typing(false);
    }
    scroll();
  }

  function greet() {
    if (cfg.greeting) list.append(row({ author: "assistant", text: cfg.greeting }));
  }

  // Forget the shown history (a new conversation restarts seqs), keeping unsent messages.
  function reset() {
    list.textContent = "";
    fresh();
    greet();
    for (var cid in mine) {
      if (cid in outbox) list.append(mine[cid]);
      else delete mine[cid];
    }
  }

  greet();
  status();
  st.msgs.forEach(function (f) { if (f && typeof f === "object") showMessage(f, true); });

  // ---- transport: a WebSocket; or, when sockets are blocked (two in a row
  // closed before `welcome`, or none within 5 s), the same frames over HTTP
  // with a long poll, trying a socket again every minute.
  var ws = null, H = st.h ? 1 : 0, fails = 0, gen = 0, pc, pctl, chain = Promise.resolve(), typed = 0;
  var ready = false, stopped = false, delay = 1000, timer = null, lastRx = 0;
  var REFUSED = { empty_message: 1, message_too_long: 1, frame_too_large: 1, bad_frame: 1 };
  var STOP = { unknown_site_key: 1, origin_not_allowed: 1 };
  var API = G.origin + "/api/v1/visitor/";

  // JSON, or throws: the error frame for a 4xx with a JSON error, else what failed.
  function http(u, o) {
    return fetch(u, o).then(function (r) {
      return r.status === 204 ? {} : r.json().then(function (j) {
        if (r.ok) return j;
        if (r.status < 500 && j && j.error) { j = j.error; j.type = "error"; }
        throw j;
      });
    });
  }
  // A text/plain body (fetch's default for a string): no CORS preflight.
  function post(p, body) {
    body.site_key = cfg.site_key;
    body.token = st.token;
    return http(API + p, { method: "POST", body: JSON.stringify(body) });
  }

  function frame(o) {
    if (!ready) return;
    if (!H) return ws.send(JSON.stringify(o));
    if (o.type === "typing") post("typing", {})["catch"](Boolean);
    if (o.type !== "message") return;
    // One at a time, in order; a message still unacknowledged after a failure
    // is sent again (same client_id) after the next hello.
    var g = gen, p = chain.then(function () { if (g === gen && o.client_id in outbox) return post("messages", o); });
    chain = p["catch"](Boolean);
    p.then(function (j) {
      if (j) {
        handle(j.ack);
        handle(j.message);
      }
    }, function (e) {
      if (e && e.type) handle(e);
      else if (g === gen) drop();
    });
  }

  function connect() {
    clearTimeout(timer);
    timer = null;
    var g = gen;
    if (!H) return sock();
    post("hello", { after_seq: st.seq }).then(function (j) {
      if (g !== gen) return;
      handle(j);
      if (g !== gen) return;  // it asked for the whole conversation again
      j.messages.forEach(handle);
      poll();
    }, lost(g));
  }

  // Hello failed or the poll did: start over with backoff, unless it is the token or the shop.
  function lost(g) {
    return function (e) {
      if (g !== gen) return;
      if (e && (e.code === "bad_token" || STOP[e.code])) handle(e);
      else drop();
    };
  }

  function poll() {
    if (pctl) pctl.abort();
    var c = pc = st.conv, ctl = pctl = new AbortController(), t = setTimeout(function () { ctl.abort(); }, 40000);
    http(API + "events?" + new URLSearchParams({ site_key: cfg.site_key, token: st.token, after_seq: st.seq, wait: 25 }),
      { signal: ctl.signal }).then(function (j) {
      clearTimeout(t);
      if (ctl !== pctl) return;
      var n = j.conversation_id;
      // Asked about another conversation: its seqs mean nothing here; ask again.
      if (n != null && c != null && n !== c) return follow(n), save(), poll();
      j.messages.forEach(handle);
      if (n != null && j.status && j.status !== st.status) handle({ type: "conversation", conversation_id: n, status: j.status });
      poll();
    }, function (e) {
      clearTimeout(t);
      if (ctl === pctl) lost(gen)(e);
    });
  }

  // A socket; a `probe` one (sent while on HTTP) replaces HTTP once it gets `welcome`.
  function sock(probe) {
    var s, t;
    try {
      s = new WebSocket(G.origin.replace(/^http/, "ws") + cfg.ws_path);
    } catch (e) {
      return probe || failed();
    }
    if (!probe) ws = s;
    t = setTimeout(function () { s.close(); }, 5000);
    s.onopen = function () {
      lastRx = Date.now();
      s.send(JSON.stringify({ type: "hello", site_key: cfg.site_key, token: st.token || undefined, after_seq: st.seq }));
    };
    s.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      if (!f || typeof f !== "object") return;
      if (s !== ws) {
        if (!H || f.type !== "welcome") return s.close();
        stop();
        ws = s;
        H = 0;
      }
      lastRx = Date.now();
      if (f.type === "welcome") {
        clearTimeout(t);
        fails = 0;
        delete st.h;
      }
      handle(f);
    };
    s.onclose = function () {
      clearTimeout(t);
      if (s === ws) ready ? drop() : failed();
    };
  }

  // A socket closed before `welcome`: the second in a row switches to HTTP (remembered for next time).
  function failed() {
    if (++fails > 1) H = st.h = 1;
    save();
    drop(H ? 0 : null);
  }

  function stop() {
    var s = ws;
    clearTimeout(timer);
    if (pctl) pctl.abort();
    ws = pctl = null;
    ready = false;
    gen++;
    if (s) { s.onclose = null; try { s.close(); } catch (e) { /* already closed */ } }
  }

  // Abandon the connection and try again: after `ms`, or with backoff (1s, 2s, 4s.. 30s).
  function drop(ms) {
    stop();
    retry(ms);
  }

  function retry(ms) {
    clearTimeout(timer);
    if (stopped) return;  // this page may not chat (unknown shop, origin not allowed)
    timer = setTimeout(connect, ms == null ? delay : ms);
    if (ms == null) delay = Math.min(delay * 2, 30000);
  }

  function handle(f) {
    switch (f.type) {
      case "welcome":
        if (typeof f.token === "string") st.token = f.token;
        var conv = f.conversation_id == null ? null : f.conversation_id;
        // None open (the last was closed): keep what is shown; the next line starts one.
        if (conv != null && ((st.conv != null && conv !== st.conv) || (+f.last_seq || 0) < st.seq)) {
          // Not the conversation we have cached: start over and ask for all of it.
          var replay = st.seq > 0;
          reset();
          st.conv = conv;
          save();
          if (replay) return drop(0);
        }
        if (conv != null) st.conv = conv;
        save();
        ready = true;
        delay = 1000;
        for (var cid in outbox) frame({ type: "message", client_id: cid, text: outbox[cid] });
        break;
      case "message":
        showMessage(f, false);
        break;
      case "ack":
        follow(f.conversation_id);
        save();
        if (mine[f.client_id]) mine[f.client_id].classList.remove("pending");
        delete outbox[f.client_id];
        if (H && pctl && pc !== st.conv) poll();  // the poll was for no (or the old) conversation
        break;
      case "conversation":
        if (f.conversation_id !== st.conv) break;
        var closed = f.status === "closed" && st.status !== "closed";
        if (closed) note("Send a message to start a new conversation.");
        st.status = f.status;
        st.agent = f.agent_name || null;
        status();
        save();
        typing(false);
        // A socket stays on the conversation it began with: start afresh so the next line opens a new one.
        if (closed && !H) drop(0);
        break;
      case "error":
        if (f.code === "bad_token") {
          // The token expired or is not ours: become a new visitor.
          delete st.token;
          delete st.conv;
          reset();
          save();
          return drop(0);
        }
        typing(false);
        if (STOP[f.code]) stopped = true;
        // A refused message: the one named, else the oldest unacknowledged (the
        // server handles messages in order). Not resent, or it would fail forever.
        var bad = f.client_id != null ? f.client_id : REFUSED[f.code] ? Object.keys(outbox)[0] : null;
        if (bad != null && bad in outbox) {
          delete outbox[bad];
          mine[bad].classList.remove("pending");
          mine[bad].classList.add("failed");
        }
        note(f.message || "Something went wrong.");
        break;
    }
  }

  function send(text) {
    text = String(text).trim();
    if (!text) return;
    var cid = w.crypto && crypto.randomUUID ? crypto.randomUUID()
      : "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
    var r = row({ author: "visitor", text: text });
    r.classList.add("pending");
    list.append(r);
    mine[cid] = r;
    outbox[cid] = text;
    frame({ type: "message", client_id: cid, text: text });
    typing(!/human/.test(st.status));  // the assistant is silent while the team has the conversation
    typed = 0;
    scroll();
  }

  // A peer that went silent is only noticed by writing to it; ping, and drop it
  // when nothing has come back for two intervals.
  setInterval(function () {
    if (!ready || H) return;
    if (Date.now() - lastRx > 60000) return drop(0);
    frame({ type: "ping" });
  }, 25000);
  setInterval(function () { if (H && !stopped) sock(1); }, 60000);
  w.addEventListener("online", function () { if (!ready) drop(0); });

  // ---- panel
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    scroll();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  // While the shopper types (at most every 2 s), so the assistant holds a reply to an earlier line.
  input.oninput = function () {
    var now = Date.now();
    if (st.conv != null && input.value.trim() && now - typed >= 2000) {
      typed = now;
      frame({ type: "typing" });
    }
  };
  form.onsubmit = function (e) {
    e.preventDefault();
    send(input.value);
    input.value = "";
  };
  closeBtn.onclick = close;
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });

  // Replace the loader's queue stub and replay what was queued.
  function api(cmd) {
    if (cmd === "open") open();
    else if (cmd === "close") close();
    else if (cmd === "toggle") (panel.hidden ? open : close)();
  }
  api.l = 1;
  var queued = (w.StoreChat && w.StoreChat.q) || [];
  w.StoreChat = api;
  queued.forEach(function (a) { api.apply(null, a); });
  connect();
})(window, document);
