/* StoreChat chat UI v1. Loaded by launcher.js on the first click (or when a
   proactive trigger fires), drawn in the launcher's shadow root. Text from the
   network is only ever set through textContent, and only http(s) URLs become
   links or images. Speaks docs/protocol.md over a WebSocket, or over HTTP
   where sockets are blocked. Its words, branding and the rest of the shop's
   settings come from /widget/v1/chat-config (cfg.t), asked for here; until
   it answers, StoreChat(...) calls wait in the loader's queue. */
(function (w, d) {
  "use strict";
  var G = w.__storechat;
  if (!G || G.ui) return;
  G.ui = 1;
  // The launcher config's query (site key, page language), to the letter: the browser's cache answers when it may.
  var CONFIG = G.origin + "/widget/v1/chat-config?" + G.u;
  function boot() {
    fetch(CONFIG).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); }).then(function (c) {
      main(Object.assign(c, { launcher_text: G.cfg.launcher_text, open: G.cfg.open }));
    }, function () {
      // Not now (offline, a restart): the next StoreChat(...) call (a click) tries again.
      var q = w.StoreChat.q, again = function () { q.push(arguments); w.StoreChat = stub; boot(); },
        stub = function () { q.push(arguments); };
      again.q = stub.q = q;
      again.l = stub.l = 1;
      w.StoreChat = again;
    });
  }
  boot();

  function main(cfg) {
  var root = G.root, launcher = G.button, T = cfg.t, AB = G.ab || {};
  // The A/B tests' chosen variants (launcher.js picked them): the greeting, or a trigger's message.
  (cfg.ab || []).forEach(function (e) {
    var v = (e.variants || []).filter(function (x) { return x.key === AB[e.id]; })[0], t = cfg.triggers || [];
    if (!v || typeof v.value !== "string") return;
    if (e.target === "greeting") cfg.greeting = v.value;
    else if (e.target === "trigger" && t[e.trigger]) t[e.trigger].message = v.value;
  });
  // A widget event for the shop's analytics (POST /widget/v1/events), with this visitor's A/B variants.
  function track(kind, more) {
    var e = Object.assign({ kind: kind }, more);
    if (G.ev) G.ev(e);
  }
  var KEY = "storechat:" + cfg.site_key, OPEN = "storechat:o:" + cfg.site_key, CACHE = 100;
  var NAMES = { visitor: T.you, assistant: T.bot, agent: T.agent, system: T.notice };
  function hex(c, or) { return /^#[\da-f]{3,8}$/i.test(c) ? c : or; }
  var C = hex(cfg.color, "#1f6feb"), ON = hex(cfg.on_color, "#fff"), INK = hex(cfg.ink, C), INKD = hex(cfg.ink_dark, C);
  var SIDE = cfg.position === "left" ? "left" : "right";
  function fill(s, k, v) { return s.replace("{" + k + "}", v); }

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
  // This tab's "the panel is open", so the next page of the store opens it again.
  function remember(on) {
    try { on ? w.sessionStorage.setItem(OPEN, 1) : w.sessionStorage.removeItem(OPEN); } catch (e) { /* blocked */ }
  }

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function attr(e, k, v) { e.setAttribute(k, v); return e; }
  function btn(cls, text, label) {
    var b = el("button", cls, text);
    b.type = "button";
    if (label) attr(b, "aria-label", label);
    return b;
  }
  function isHttp(u) { return typeof u === "string" && /^https?:\/\//i.test(u); }

  // Colours: the accent with its AA text colour (from the config), and
  // accent-coloured text darkened (light) or lightened (dark) to pass AA.
  var style = el("style");
  style.textContent =
    "[hidden]{display:none!important}" +
    ".p,.g{--bg:#fff;--fg:#1f2328;--mu:#57606a;--sf:#f6f8fa;--bd:#d0d7de;--in:" + INK + ";--ok:#1a7f37;--no:#cf222e;" +
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);text-align:start}" +
    (cfg.dark === false ? "" : "@media (prefers-color-scheme:dark){.p,.g{--bg:#0d1117;--fg:#e6edf3;--mu:#9da7b3;" +
      "--sf:#161b22;--bd:#30363d;--in:" + INKD + ";--ok:#3fb950;--no:#ff7b72}}") +
    ".p{position:fixed;bottom:88px;" + SIDE + ":20px;z-index:2147483001;" +
    "width:370px;max-width:calc(100vw - 40px);height:min(600px,calc(100vh - 110px));display:flex;flex-direction:column;" +
    "background:var(--bg);border-radius:14px;box-shadow:0 10px 40px #0004;overflow:hidden}" +
    ".h{display:flex;align-items:center;gap:10px;padding:12px 14px;background:" + C + ";color:" + ON + ";font-weight:600}" +
    ".av{width:32px;height:32px;border-radius:50%;object-fit:cover;background:#fff3}" +
    ".n{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".u{display:block;overflow:hidden;text-overflow:ellipsis;font-size:12px;font-weight:400}.u:empty{display:none}" +
    ".x{background:none;border:0;color:inherit;font:24px/1 sans-serif;cursor:pointer;padding:4px 6px;border-radius:6px}" +
    ".m{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:var(--sf)}" +
    ".r{display:flex;flex-direction:column;gap:6px;align-items:flex-start;max-width:100%}" +
    ".r.visitor{align-items:flex-end}.r.system{align-items:center}" +
    ".b{margin:0;max-width:85%;padding:8px 11px;border-radius:12px;background:var(--bg);border:1px solid var(--bd);white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".visitor .b{background:" + C + ";color:" + ON + ";border-color:transparent}" +
    ".system .b{background:none;border:0;padding:0 8px;color:var(--mu);font-size:12px;font-style:italic;text-align:center}" +
    ".agent .b{border-inline-start:4px solid " + C + "}.an{padding:0 4px;color:var(--mu);font-size:12px}" +
    ".pending,.draft{opacity:.7}.failed .b{opacity:.6;text-decoration:line-through}" +
    ".cs{display:flex;gap:8px;overflow-x:auto;max-width:100%;padding-bottom:4px}" +
    ".c{flex:0 0 140px;box-sizing:border-box;display:flex;flex-direction:column;gap:3px;padding:8px;background:var(--bg);border:1px solid var(--bd);border-radius:10px;font-size:13px}" +
    ".c img{position:relative;width:100%;aspect-ratio:1;object-fit:cover;border-radius:6px;background:var(--sf)}" +
    // Only an image that failed to load gets ::after: a plain tile instead of a broken-image icon.
    ".c img::after{content:'';position:absolute;inset:0;border-radius:inherit;background:var(--sf)}" +
    ".ct{font-weight:600;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}" +
    ".c s{color:var(--mu);margin-inline-start:4px}.ok{color:var(--ok)}.no{color:var(--no)}" +
    ".c a,.c button,.k{margin-top:auto;padding:5px;border-radius:6px;text-align:center;text-decoration:none;font:inherit;cursor:pointer}" +
    ".c a{border:1px solid var(--in);color:var(--in)}.c a+button{margin-top:4px}" +
    ".c button,.k{border:0;background:" + C + ";color:" + ON + "}.c button[aria-busy]{opacity:.6}" +
    ".q{display:flex;flex-wrap:wrap;gap:6px}" +
    ".q button,.l{font:inherit;font-size:13px;padding:4px 10px;border-radius:14px;border:1px solid var(--in);color:var(--in);background:var(--bg);cursor:pointer}" +
    ".z{display:flex;flex-wrap:wrap;align-items:center;justify-content:center;gap:8px;max-width:100%;color:var(--mu);font-size:13px}" +
    ".z input{flex:1 1 160px;min-width:0}.z .k{margin:0;padding:6px 12px}" +
    ".o{display:flex;justify-content:center;padding:6px;background:var(--sf)}" +
    ".t{padding:4px 14px;color:var(--mu);font-size:12px;background:var(--sf)}" +
    ".f{display:flex;gap:8px;padding:10px;border-top:1px solid var(--bd);margin:0}" +
    ".f input,.z input{flex:1;min-width:0;padding:8px 10px;border:1px solid var(--bd);border-radius:8px;font:inherit;color:inherit;background:var(--bg)}" +
    ".s{font:inherit;font-weight:600;padding:8px 14px;border:0;border-radius:8px;background:" + C + ";color:" + ON + ";cursor:pointer}" +
    ".cn{padding:10px 12px;border-top:1px solid var(--bd);font-size:13px;display:flex;flex-direction:column;gap:8px}" +
    ".cn a{color:var(--in)}.cn .k{align-self:flex-end;padding:6px 16px}" +
    ".w{padding:2px 0 6px;text-align:center;font-size:11px;color:var(--mu)}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ":focus-visible{outline:2px solid var(--in);outline-offset:2px}.h :focus-visible{outline-color:" + ON + "}" +
    // The launcher's unread badge, and the greeting a proactive trigger shows above it.
    ".L .bd{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;" +
    "background:#cf222e;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}" +
    ".g{position:fixed;bottom:86px;" + SIDE + ":20px;z-index:2147483000;display:flex;align-items:flex-start;max-width:min(300px,calc(100vw - 40px));" +
    "background:var(--bg);border-radius:12px;box-shadow:0 6px 24px #0003}" +
    ".g .gt{flex:1;text-align:start;background:none;border:0;padding:12px 4px 12px 14px;font:inherit;color:inherit;cursor:pointer}" +
    ".g .x{color:var(--mu);font-size:20px;margin:4px}" +
    // Full screen on phones, clear of notches; 16px text keeps iOS from zooming into an input.
    "@media (max-width:480px){.p{inset:0;width:auto;max-width:none;height:auto;border-radius:0;" +
    "padding:0 env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}" +
    ".h{padding-top:calc(12px + env(safe-area-inset-top))}.f input,.z input{font-size:16px}}";

  var panel = attr(attr(attr(el("div", "p"), "role", "dialog"), "aria-modal", "true"), "aria-label", cfg.title || cfg.name);
  attr(attr(panel, "dir", cfg.dir === "rtl" ? "rtl" : "ltr"), "lang", cfg.locale || "en");
  panel.hidden = true;
  panel.id = "storechat-panel";
  var head = el("div", "h"), title = el("div", "n", cfg.title || cfg.name), sub = el("small", "u");
  title.append(sub);
  if (isHttp(cfg.avatar)) {
    var av = attr(el("img", "av"), "alt", "");
    av.onerror = function () { av.remove(); };
    av.src = cfg.avatar;
    head.append(av);
  }
  var closeBtn = btn("x", "\u00d7", T.close);
  head.append(title, closeBtn);
  var list = attr(attr(attr(el("div", "m"), "role", "log"), "aria-live", "polite"), "tabindex", "0");
  var humanBar = el("div", "o"), humanBtn = btn("l", T.human);
  humanBar.append(humanBtn);
  var typingEl = attr(el("div", "t", T.typing), "role", "status");
  typingEl.hidden = true;
  var form = el("form", "f");
  var input = attr(el("input"), "aria-label", T.label);
  input.type = "text";
  input.placeholder = T.ph;
  input.autocomplete = "off";
  input.maxLength = 4000;
  var sendBtn = attr(el("button", "s", T.send), "aria-label", T.send);
  sendBtn.type = "submit";
  form.append(input, sendBtn);
  panel.append(head, list, humanBar, typingEl);
  // The consent notice, when the shop has one: nothing is sent before it is accepted.
  var consent = null;
  if (cfg.consent && !st.ok) {
    consent = attr(el("div", "cn"), "role", "region");
    attr(consent, "aria-label", T.policy);
    consent.append(el("span", "", cfg.consent));
    if (isHttp(cfg.consent_url)) {
      var pol = el("a", "", T.policy);
      pol.href = cfg.consent_url;
      pol.target = "_blank";
      pol.rel = "noopener";
      consent.append(pol);
    }
    var okBtn = btn("k", T.accept);
    consent.append(okBtn);
    okBtn.onclick = function () {
      st.ok = 1;
      save();
      consent.remove();
      consent = null;
      form.hidden = false;
      input.focus();
      connect();
    };
    form.hidden = true;
    panel.append(consent);
  }
  panel.append(form);
  if (cfg.powered_by !== false) panel.append(el("div", "w", T.powered));
  // Said once to screen readers: the proactive greeting.
  var live = attr(el("div", "sr"), "aria-live", "polite");
  var badge = el("span", "bd");
  badge.hidden = true;
  attr(badge, "aria-hidden", "true");
  launcher.append(badge);
  root.append(style, panel, live);
  attr(launcher, "aria-controls", panel.id);

  // ---- rendering
  var seen = {};      // seq -> 1: message frames already shown
  var mine = {};      // client_id -> row: this visitor's messages already shown
  var outbox = {};    // client_id -> text: sent or queued, not yet acknowledged
  var unread = 0, teaser = null, draft = null, asked = 0, started = 0, waitTimer;

  // The shop's currency as the config says to write it (Intl.NumberFormat's first use
  // would cost a long task); a price in another currency as "12.50 SEK".
  function money(v, cur) {
    var n = parseFloat(v), M = cfg.money;
    if (!isFinite(n)) return v == null ? "" : String(v);
    if (!M || (cur && cur !== cfg.currency)) return n.toFixed(2) + " " + (cur || "");
    var s = Math.abs(n).toFixed(M.n).split(".");
    return (n < 0 ? "-" : "") + M.p + s[0].replace(/\B(?=(\d{3})+$)/g, M.g) + (s[1] ? M.d + s[1] : "") + M.s;
  }

  function card(c) {
    var box = el("div", "c"), cur = c.currency || cfg.currency || "USD", pr = el("div"), name = c.title || "";
    if (isHttp(c.image_url)) {
      var img = attr(el("img"), "alt", "");
      img.loading = "lazy";
      img.src = c.image_url;
      box.append(img);
    }
    var hi = c.price_max != null && parseFloat(c.price_max) !== parseFloat(c.price);
    pr.append(money(c.price, cur) + (hi ? " \u2013 " + money(c.price_max, cur) : ""));
    if (c.compare_at != null && parseFloat(c.compare_at) > parseFloat(c.price)) pr.append(el("s", "", money(c.compare_at, cur)));
    box.append(attr(el("div", "ct", name), "dir", "auto"), pr, el("div", c.available ? "ok" : "no", c.available ? T.stock : T.sold));
    if (isHttp(c.url)) {
      var a = attr(el("a", "", T.view), "aria-label", T.view + " " + name);
      a.href = c.url;
      box.append(a);
    }
    // Add to cart where the platform has a cart endpoint; elsewhere the link above is the way.
    if (cfg.cart && cfg.cart_url && c.available && c.variant_id != null) {
      var add = btn("", T.add, T.add + ": " + name);
      add.onclick = function () { addToCart(c, add); };
      box.append(add);
    }
    return box;
  }

  function clearQuick() {
    var old = list.querySelectorAll(".q");
    for (var i = 0; i < old.length; i++) old[i].remove();
  }

  // Each text takes its own direction (dir=auto); the hidden author label has the
  // panel's, which also keeps it out of that guess.
  function bubble(author, text) {
    var b = attr(el("p", "b"), "dir", "auto");
    b.append(attr(el("span", "sr", NAMES[author] + ": "), "dir", panel.dir), String(text));
    return b;
  }

  // The assistant writes in the shopper's language (the frame's `lang`): its bubble says so,
  // and the widget's own words and prices follow, from the config in that language (a
  // locale the shop forces, or a language without words, leaves them as they are). English
  // is also what the assistant falls back to, so an English reply leaves the page's words.
  var LANG = cfg.locale || "en";
  function speak(lang) {
    if (!lang || lang === LANG || lang === "en" || !/^[a-z]{2,3}$/.test(lang)) return;
    LANG = lang;
    var url = G.origin + "/widget/v1/chat-config?site_key=" + encodeURIComponent(cfg.site_key) + "&lang=" + lang;
    fetch(url)
      .then(function (r) { return r.json(); })
      .then(function (c) {
        if (!c.t || c.locale !== lang) return;
        for (var k in c.t) T[k] = c.t[k];
        cfg.money = c.money;
        NAMES.visitor = T.you; NAMES.assistant = T.bot; NAMES.agent = T.agent; NAMES.system = T.notice;
        input.placeholder = T.ph; attr(input, "aria-label", T.label);
        sendBtn.textContent = T.send; attr(sendBtn, "aria-label", T.send); humanBtn.textContent = T.human;
        attr(attr(panel, "lang", lang), "dir", c.dir);
      }, function () {});
  }

  function row(f) {
    var author = NAMES[f.author] ? f.author : "system", r = el("div", "r " + author);
    if (author === "agent") r.append(el("span", "an", f.agent_name || NAMES.agent));
    if (f.text) r.append(f.lang ? attr(bubble(author, f.text), "lang", f.lang) : bubble(author, f.text));
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
        var b = attr(btn("", t), "dir", "auto");
        b.onclick = function () { send(String(t)); };
        q.append(b);
      });
      r.append(q);
    }
    return r;
  }

  function scroll() { list.scrollTop = list.scrollHeight; }

  function note(text) {
    var r = row({ author: "system", text: text });
    list.append(r);
    scroll();
    return r;
  }

  // A notice with controls (rating, email): a row of the log, drawn here, not stored.
  function panelRow(text) {
    var r = el("div", "r system"), z = el("div", "z");
    z.append(el("span", "", text));
    r.append(z);
    list.append(r);
    scroll();
    return z;
  }

  var typingTimer;
  function typing(on) {
    clearTimeout(typingTimer);
    typingEl.hidden = !on;
    if (on) typingTimer = setTimeout(function () { typingEl.hidden = true; }, 45000);
  }

  // ---- unread badge on the launcher, and the proactive greeting
  function setUnread(n) {
    unread = n;
    badge.hidden = !n;
    badge.textContent = n > 9 ? "9+" : n;
    attr(launcher, "aria-label", (cfg.launcher_text || T.open) + (n ? ", " + fill(T.unread, "n", n) : ""));
  }

  // The greeting bubble; `n`: the proactive trigger that fired (its message, else the greeting),
  // which also becomes the panel's first line on this page.
  function greet(n) {
    var tr = typeof n === "number" && (cfg.triggers || [])[n], text = tr && tr.message || cfg.greeting;
    if (!panel.hidden || teaser || st.msgs.length || !text) return;
    if (text !== cfg.greeting) {
      cfg.greeting = text;
      if (hello) hello.remove();
      hello = null;
      greeting(1);
    }
    if (tr) track("trigger", { trigger: n });
    teaser = el("div", "g");
    attr(attr(teaser, "dir", panel.dir), "lang", panel.lang);
    var t = attr(btn("gt", text), "dir", "auto"), x = btn("x", "\u00d7", T.dismiss);
    t.onclick = function () { open(1); };
    x.onclick = function () {
      hideTeaser();
      launcher.focus();
    };
    teaser.append(t, x);
    teaser.onkeydown = function (e) { if (e.key === "Escape") x.onclick(); };
    root.append(teaser);
    live.textContent = (cfg.title || cfg.name) + ": " + text;
    setUnread(unread + 1);
  }
  function hideTeaser() {
    if (teaser) teaser.remove();
    teaser = null;
  }

  // Seqs count within one conversation: when the server moves this visitor to
  // a new one (the old was closed), forget the old numbering but keep what is shown.
  function follow(conv) {
    if (conv == null || conv === st.conv) return;
    if (st.conv != null) fresh();
    st.conv = conv;
    tools();
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
    sub.textContent = st.status === "human" ? fill(T["with"], "name", st.agent || T.team) : "";
    tools();
  }
  // "Talk to a person" while the assistant has an open conversation.
  function tools() {
    humanBar.hidden = st.conv == null || /human|closed/.test(st.status || "");
  }

  // The shop's business hours (cfg.hours; null: always open), asked for again once `until` has
  // passed (the config is never cached past it): they hold till the team opens or closes.
  var HOURS = cfg.hours;
  function hours(then) {
    if (!HOURS || !HOURS.until || Date.now() < HOURS.until) return then(HOURS);
    fetch(CONFIG)
      .then(function (r) { return r.json(); })
      .then(function (c) { HOURS = c.hours; then(HOURS); }, function () { then(null); });
  }

  // Waiting for a person who does not come: offer to answer by email instead; outside
  // business hours at once, saying when the team is back.
  function waiting() {
    clearTimeout(waitTimer);
    if (st.status !== "waiting_human" || asked || st.mail === st.conv) return;
    hours(function (h) {
      var closed = h && !h.open;
      clearTimeout(waitTimer);
      waitTimer = setTimeout(function () { offer(closed && h.away || T.away); }, closed ? 0 : (+cfg.contact_after || 0) * 1000);
    });
  }
  function offer(text) {
    if (st.status !== "waiting_human" || asked) return;
    asked = 1;
    var z = panelRow(text), f = el("form", "z"), e = attr(el("input"), "aria-label", T.email), ok = el("button", "k", T.send);
    e.type = "email";
    e.required = true;
    e.autocomplete = "email";
    e.maxLength = 320;
    ok.type = "submit";
    f.append(e, ok);
    z.append(f);
    f.onsubmit = function (ev) {
      ev.preventDefault();
      if (!e.checkValidity()) return e.reportValidity();
      act({ type: "contact", email: e.value.trim() });
    };
  }

  // The conversation closed: ask how it went (thumbs; 1 and 5 on the protocol's scale).
  function csat(conv) {
    var z = panelRow(T.rate);
    [["\ud83d\udc4d", T.good, 5], ["\ud83d\udc4e", T.bad, 1]].forEach(function (o) {
      var b = btn("l", o[0], o[1]);
      b.onclick = function () {
        input.focus();  // before the buttons go: the focus stays in the panel
        z.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        act({ type: "rate", conversation_id: conv, score: o[2] });
      };
      z.append(b);
    });
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
      // The final reply replaces the one written so far (`delta`).
      if (f.author === "assistant") { undraft(); speak(f.lang); }
      r = row(f);
      list.append(r);
      if (f.client_id) mine[f.client_id] = r;
    }
    if (!replayed) {
      st.msgs.push({ seq: seq, author: f.author, text: f.text, cards: f.cards, quick_replies: f.quick_replies,
                     client_id: f.client_id, conversation_id: f.conversation_id, created_at: f.created_at,
                     agent_name: f.agent_name, lang: f.lang });
      save();
      if (f.author !== "visitor") {
        typing(false);
        if (panel.hidden) setUnread(unread + 1);
      }
    }
    scroll();
  }

  // An LLM's reply as it is written: one bubble, rewritten by each delta, hidden from
  // screen readers (the final message is announced instead).
  function delta(f) {
    if (f.conversation_id !== st.conv || typeof f.text !== "string") return;
    typing(false);
    if (!draft) {
      draft = attr(el("div", "r assistant draft"), "aria-hidden", "true");
      list.append(draft);
    }
    draft.textContent = "";
    draft.append(bubble("assistant", f.text));
    scroll();
  }
  function undraft() {
    if (draft) draft.remove();
    draft = null;
  }

  var hello = null;  // the greeting's row
  function greeting(first) {
    if (!cfg.greeting) return;
    hello = row({ author: "assistant", text: cfg.greeting, quick_replies: cfg.quick_replies });
    first ? list.prepend(hello) : list.append(hello);
  }

  // Forget the shown history (a new conversation restarts seqs), keeping unsent messages.
  function reset() {
    list.textContent = "";
    draft = null;
    fresh();
    greeting();
    for (var cid in mine) {
      if (cid in outbox) list.append(mine[cid]);
      else delete mine[cid];
    }
  }

  greeting();
  status();
  st.msgs.forEach(function (f) { if (f && typeof f === "object") showMessage(f, true); });

  // ---- add to cart, on the store's own origin (the page's), as its platform does it
  function addToCart(c, b) {
    var id = String(c.variant_id), num = /(?:^|\/)(\d+)$/.exec(id), shopify = cfg.cart === "shopify", o;
    // Busy, not disabled: a disabled button would drop the keyboard focus.
    if (b.busy) return;
    var done = function (ok, j) {
      b.busy = 0;
      b.removeAttribute("aria-busy");
      // Shopify says why it refused (sold out, all in the cart already).
      note(fill(ok ? T.added : T.cart_err, "title", c.title || "") +
           (!ok && j && typeof j.description === "string" ? " " + j.description : ""));
      try { w.dispatchEvent(new CustomEvent("storechat:cart", { detail: { ok: ok, variant_id: c.variant_id, response: j } })); } catch (e) { /* old browser */ }
    };
    b.busy = 1;
    attr(b, "aria-busy", "true");
    if (shopify) {
      // Shopify: numeric variant ids (a GraphQL gid ends with one); the demo store takes its own ids.
      o = { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
            body: JSON.stringify({ items: [{ id: num ? +num[1] : id, quantity: 1 }] }) };
    } else {
      o = { method: "POST", body: new URLSearchParams({ product_id: num ? num[1] : id, quantity: 1 }) };
    }
    var url = cfg.cart_url, p = w.wc_add_to_cart_params, r = w.Shopify && Shopify.routes && Shopify.routes.root;
    // Stores that live under a path (or a locale prefix) say where their cart is.
    if (!shopify && p && typeof p.wc_ajax_url === "string") url = p.wc_ajax_url.replace("%%endpoint%%", "add_to_cart");
    if (shopify && typeof r === "string" && url === "/cart/add.js") url = r + "cart/add.js";
    o.credentials = "same-origin";
    fetch(new URL(url, location.href), o).then(function (res) {
      return res.json().then(function (j) {
        var ok = res.ok && !(j && j.error);
        // WooCommerce themes refresh their mini cart on this event.
        if (ok && !shopify && w.jQuery) w.jQuery(d.body).trigger("added_to_cart", [j.fragments, j.cart_hash, null]);
        // Shopify: a cart attribute names the conversation; the order inherits it (sale attribution).
        if (ok && shopify && st.conv != null && st.attr !== st.conv) {
          st.attr = st.conv;
          save();
          fetch(new URL(url.replace(/add\.js$/, "update.js"), location.href), {
            method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ attributes: { storechat_conversation: String(st.conv) } }) })["catch"](Boolean);
        }
        if (ok) track("add_to_cart", { product_id: String(c.product_id == null ? c.variant_id : c.product_id),
                                       conversation_id: st.conv == null ? null : st.conv });
        done(ok, j);
      });
    })["catch"](function () { done(false); });
  }

  // ---- transport: a WebSocket; or, when sockets are blocked (two in a row
  // closed before `welcome`, or none within 5 s), the same frames over HTTP
  // with a long poll, trying a socket again every minute.
  var ws = null, H = st.h ? 1 : 0, fails = 0, gen = 0, pc, pctl, chain = Promise.resolve(), typed = 0, pend = [];
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

  // handoff, rate, contact: sent once connected; over HTTP their answer is the frame.
  function act(o) {
    if (!ready) return pend.push(o);
    if (!H) return ws.send(JSON.stringify(o));
    post(o.type, o).then(function (j) { if (j.type) handle(j); }, function (e) {
      handle(e && e.type ? e : { type: "error", message: T.error });
    });
  }

  // ---- who is logged in, when the store says: a token it signed (the WordPress plugin's
  // data-identity) or one its app proxy hands out (Shopify's data-identity-url), sent in hello.
  var GD = G.data || {}, IDS = "identity" in GD || "identityUrl" in GD, ident = GD.identity || null, identAt = 0;
  function who() {
    if (!GD.identityUrl || Date.now() - identAt < 3e6) return Promise.resolve();
    return fetch(new URL(GD.identityUrl, location.href), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      // An answer (even "nobody") holds for 50 minutes; a network failure is tried at the next connect.
      .then(function (j) { identAt = Date.now(); ident = j && typeof j.identity === "string" ? j.identity : null; })
      ["catch"](Boolean);
  }
  // ---- the cart, for the team's inbox, where the store's cart answers like Shopify's /cart.js
  // (Shopify's, the demo's): read at each connect, waited for at most 1.5 s.
  var cartSum = null;
  function cartNow() {
    if (cfg.cart !== "shopify" || !cfg.cart_url) return Promise.resolve();
    var r = w.Shopify && Shopify.routes && Shopify.routes.root, url = cfg.cart_url.replace(/\/add\.js$/, ".js");
    if (typeof r === "string" && url === "/cart.js") url = r + "cart.js";
    return Promise.race([fetch(new URL(url, location.href), { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (j) {
        if (!j || !Array.isArray(j.items)) return;
        cartSum = { items: j.items.slice(0, 50).map(function (i) {
          return { title: String(i.product_title || i.title || "").slice(0, 200), quantity: Math.max(0, Math.min(1e4, i.quantity | 0)) };
        }), total: typeof j.total_price === "number" ? (j.total_price / 100).toFixed(2) + " " + String(j.currency || "").slice(0, 3) : "" };
      }), new Promise(function (ok) { setTimeout(ok, 1500); })])["catch"](Boolean);
  }
  function hi(o) {
    if (IDS) o.identity = ident;
    if (cartSum) o.cart = cartSum;
    // For the team's inbox: the page the shopper is on and their language.
    o.page = { url: location.href.slice(0, 2000), title: d.title.slice(0, 300) };
    o.locale = (navigator.language || "").slice(0, 35) || undefined;
    // The A/B variants this visitor sees (experiment id -> variant key).
    o.ab = AB;
    return o;
  }

  function connect() {
    clearTimeout(timer);
    timer = null;
    if (consent) return;  // not before the shopper accepted the notice
    var g = gen;
    Promise.all([who(), cartNow()]).then(function () {
      if (g !== gen) return;
      if (!H) return sock();
      post("hello", hi({ after_seq: st.seq })).then(function (j) {
        if (g !== gen) return;
        handle(j);
        if (g !== gen) return;  // it asked for the whole conversation again
        j.messages.forEach(handle);
        poll();
      }, lost(g));
    });
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
    var c = pc = st.conv, ctl = pctl = new AbortController(), t = setTimeout(function () { ctl.abort(); }, 40000),
      q = { site_key: cfg.site_key, after_seq: st.seq, wait: 25 };
    // Name the conversation on screen while it is open: if it closes between two polls,
    // the server still returns its last messages (the closing notice).
    if (c != null && st.status !== "closed") q.conversation_id = c;
    // The token goes in a header, never in the URL (URLs end up in access logs).
    http(API + "events?" + new URLSearchParams(q), { signal: ctl.signal, headers: { Authorization: "Bearer " + st.token } }).then(function (j) {
      clearTimeout(t);
      if (ctl !== pctl) return;
      var n = j.conversation_id;
      // Asked about another conversation: its seqs mean nothing here; ask again.
      if (n != null && c != null && n !== c) return follow(n), save(), poll();
      j.messages.forEach(handle);
      if (n != null && j.status && (j.status !== st.status || (j.agent_name || null) !== st.agent)) {
        handle({ type: "conversation", conversation_id: n, status: j.status, agent_name: j.agent_name });
      }
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
      s.send(JSON.stringify(hi({ type: "hello", site_key: cfg.site_key, token: st.token || undefined, after_seq: st.seq })));
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
        undraft();  // what was being written comes again as a message
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
        st.status = conv == null ? (st.conv != null ? "closed" : null) : f.status || "ai";
        st.agent = conv == null ? null : f.agent_name || null;
        status();
        waiting();
        save();
        ready = true;
        delay = 1000;
        for (var cid in outbox) frame({ type: "message", client_id: cid, text: outbox[cid] });
        pend.splice(0).forEach(act);
        break;
      case "message":
        showMessage(f, false);
        break;
      case "delta":
        delta(f);
        break;
      case "typing":  // someone from the team is writing
        if (f.author === "agent" && f.conversation_id === st.conv) {
          typing(true);
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typingEl.hidden = true; }, 6000);
        }
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
        if (closed) {
          note(T["new"]);
          csat(f.conversation_id);
        }
        st.status = f.status;
        st.agent = f.agent_name || null;
        status();
        waiting();
        save();
        typing(false);
        // A socket stays on the conversation it began with: start afresh so the next line opens a new one.
        if (closed && !H) drop(0);
        break;
      case "rated":
        var z = list.querySelector(".z button[disabled]");
        if (z) z.parentNode.textContent = T.rated;
        break;
      case "contact_saved":
        var m = list.querySelector(".z input[type=email]");
        if (m) {
          if (root.activeElement === m) input.focus();
          m.closest(".r").querySelector(".z").textContent = fill(T.saved, "email", m.value.trim());
        }
        st.mail = st.conv;
        save();
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
        note(T["e_" + f.code] || f.message || T.error);
        break;
    }
  }

  function send(text) {
    text = String(text).trim();
    if (!text || consent) return;
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

  // ---- panel: a dialog that keeps the focus while open and gives it back on close
  // Connected from the first open: a greeting alone costs the server nothing.
  function start() {
    if (!started) connect();
    started = 1;
  }
  var opened = 0;
  function open(focus) {
    // Opened by the shopper (not again by itself on the next page): counted once a page.
    if (focus && !opened++) track("open", { conversation_id: st.conv == null ? null : st.conv });
    start();
    hideTeaser();
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    setUnread(0);
    remember(1);
    // In the next frame, which lays the panel out anyway: reading its layout now
    // would add that work to this task (a long one, the first time, on a slow phone).
    requestAnimationFrame(function () {
      scroll();
      if (focus && !panel.hidden) (consent ? consent.querySelector("button") : input).focus();
    });
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    remember(0);
    launcher.focus();
  }
  function focusables() {
    return [].filter.call(panel.querySelectorAll("a[href],button,input,[tabindex]"), function (e) {
      return !e.disabled && e.getClientRects().length;
    });
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
  closeBtn.onclick = function () { close(); };
  humanBtn.onclick = function () {
    humanBar.hidden = true;
    act({ type: "handoff" });
    input.focus();
  };
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") return close();
    if (e.key !== "Tab") return;
    var f = focusables(), a = root.activeElement, first = f[0], last = f[f.length - 1];
    if (e.shiftKey ? a === first || f.indexOf(a) < 0 : a === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  });

  // Replace the loader's queue stub and replay what was queued. A click queued
  // while this script loaded meant "open": the panel was not there to toggle.
  function api(cmd) {
    if (cmd === "open") open(1);
    else if (cmd === "close") close();
    else if (cmd === "toggle") panel.hidden ? open(1) : close();
    else if (cmd === "greet") greet(arguments[1]);
  }
  api.l = 1;
  var queued = (w.StoreChat && w.StoreChat.q) || [];
  w.StoreChat = api;
  queued.forEach(function (a) { api.apply(null, a[0] === "toggle" ? ["open"] : a); });
  // Open on the last page and not a phone's full screen: open again, leaving the focus where it is.
  var was = 0;
  try { was = w.sessionStorage.getItem(OPEN); } catch (e) { /* blocked */ }
  if (!queued.length && was && !w.matchMedia("(max-width:480px)").matches) open(0);
  // Not opened again (a phone's full screen): still resume, so replies raise the badge.
  else if (was) start();
  }
})(window, document);
