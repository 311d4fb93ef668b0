/* StoreChat inbox: the conversation list, one conversation, and the agent
   socket that keeps both live (frames in docs/protocol.md). Plain script,
   no framework; every text goes in through textContent. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var me = boot.agent_id;
  var team = boot.team;           // agent id -> name
  var canned = boot.canned;       // [{shortcut, text}]
  var view = boot.view, search = "", next = boot.page.next;
  var convs = new Map();          // conversation id -> list row
  var rowEls = new Map();         // conversation id -> its element in #list
  var online = new Set();         // agent ids online
  var visitorsOnline = new Set(); // conversation ids whose shopper is online
  var focusOpened = false;        // opened from the list: the focus goes to the conversation
  var openId = null, detail = null, ws = null, ticket = boot.ticket, backoff = 1000;
  var pending = new Map();        // client id -> {conversation_id, text}
  var typingTimers = new Map();
  var sound = localStorage.getItem("storechat.sound") !== "off";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function ago(iso) {
    if (!iso) return "";
    var s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return Math.floor(s) + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h";
    return Math.floor(s / 86400) + " d";
  }

  var STATUS = { ai: "Assistant", waiting_human: "Waiting", human: "With a person", closed: "Closed" };

  function hidden(text) { return el("span", { class: "visually-hidden", text: text }); }

  function who(c) {
    return c.visitor_email || "Shopper " + String(c.visitor_id || "").slice(-4);
  }

  function toast(text) {
    var t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 6000);
  }

  // Re-rendering replaces nodes: the focus stays on the same control (same id or
  // data-key) or, when that is gone, moves to fallback(); it is never dropped.
  function keepFocus(box, render, fallback) {
    var a = document.activeElement, had = box.contains(a) && a !== box;
    var key = had && (a.id ? "#" + a.id : a.hasAttribute("data-key") ? '[data-key="' + a.getAttribute("data-key") + '"]' : "");
    render();
    if (!had || box.contains(document.activeElement)) return;
    var again = (key && box.querySelector(key)) || fallback();
    if (again) again.focus();
  }

  // Signed out (or the session ended): a page of our own reloads to the sign-in
  // page. Embedded in a platform's admin, the page has no session to lose (the
  // platform's script signs each request), and reloading would only resend the
  // token it was opened with: say so instead.
  function signedOut() {
    if (boot.embedded) toast("StoreChat could not confirm who you are. Reopen it from your store's admin.");
    else location.reload();
  }

  function api(path) {
    return fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 401 || r.redirected) { signedOut(); throw new Error("signed out"); }
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body.error && body.error.message) || "request failed");
        return body;
      });
    });
  }

  // -- the list ---------------------------------------------------------------

  function inView(c) {
    if (search) return true; // a search shows what the server found
    switch (view) {
      case "open": return c.status !== "closed";
      case "assistant": return c.status === "ai";
      case "waiting": return c.status === "waiting_human";
      case "mine": return c.status === "human" && c.agent_id === me;
      case "unassigned": return c.status === "ai" || c.status === "waiting_human";
      case "closed": return c.status === "closed";
      default: return true;
    }
  }

  function order(a, b) {
    if (view === "waiting") return Date.parse(a.waiting_since || a.updated_at) - Date.parse(b.waiting_since || b.updated_at) || a.conversation_id - b.conversation_id;
    return Date.parse(b.updated_at) - Date.parse(a.updated_at) || b.conversation_id - a.conversation_id;
  }

  function waitText(c) { return "waiting " + ago(c.waiting_since || c.updated_at); }

  // A row is named by what it shows (its text); "online" and "unread" are spelled out for screen readers.
  function rowItem(c) {
    var unread = c.conversation_id === openId ? 0 : c.unread;
    var link = el("a", {
      href: "#c" + c.conversation_id, "data-key": c.conversation_id, "aria-current": c.conversation_id === openId ? "true" : null,
      onclick: function () { if (openId !== c.conversation_id) focusOpened = true; else if ($("conv-title")) $("conv-title").focus(); }
    }, [
      el("span", { class: "who", text: who(c) }),
      visitorsOnline.has(c.conversation_id) ? el("span", { class: "dot", title: "online" }, [el("span", { "aria-hidden": "true", text: "●" }), hidden(" online")]) : null,
      el("span", { class: "badge " + c.status, text: STATUS[c.status] + (c.status === "human" && c.agent_id ? ": " + (team[c.agent_id] || c.agent_name || "agent") : "") }),
      unread ? el("span", { class: "unread" }, [String(unread), hidden(" unread")]) : null,
      c.status === "waiting_human" ? el("span", { class: "wait", text: waitText(c) }) : null,
      el("span", { class: "last", text: c.last_text || "" })
    ]);
    return el("li", { "data-id": c.conversation_id }, [link]);
  }

  function renderTitle() {
    var waitingCount = 0;
    convs.forEach(function (c) { if (c.status === "waiting_human") waitingCount++; });
    document.title = (waitingCount ? "(" + waitingCount + ") " : "") + "Inbox";
  }

  // The whole list: after loading a page of it, a new view or search, the welcome.
  function renderList() {
    keepFocus($("list"), listRows, listFallback);
  }

  function listFallback() { return $("list").querySelector("a") || $("q"); }

  function listRows() {
    var list = $("list");
    var rows = Array.from(convs.values()).filter(drawn).sort(order);
    list.textContent = "";
    rowEls.clear();
    if (!rows.length) list.appendChild(el("li", { class: "empty", text: "No conversations here." }));
    rows.forEach(function (c) {
      var li = rowItem(c);
      rowEls.set(c.conversation_id, li);
      list.appendChild(li);
    });
    renderTitle();
  }

  // One conversation changed: rebuild its row alone and put it where the order
  // says (a binary search over the rows, which are in order). Live frames come
  // here: with a thousand rows listed, rebuilding them all for every line kept
  // the browser seconds behind (bench/inbox_live.py).
  function renderRow(id) {
    keepFocus($("list"), function () { moveRow(id); }, listFallback);
  }

  function moveRow(id) {
    var c = convs.get(id), old = rowEls.get(id), show = drawn(c);
    if (!old && !show) { renderTitle(); return; }
    rowEls.delete(id);
    if (!rowEls.size) { listRows(); return; } // the list's first row, or its last: the placeholder comes or goes
    var list = $("list");
    if (old) list.removeChild(old);
    if (show) {
      var li = rowItem(c), rows = list.children, lo = 0, hi = rows.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (order(convs.get(Number(rows[mid].getAttribute("data-id"))), c) <= 0) lo = mid + 1; else hi = mid;
      }
      list.insertBefore(li, rows[lo] || null);
      rowEls.set(id, li);
    }
    renderTitle();
  }

  // Every 30 s: the waiting times, in place.
  function renderWaits() {
    rowEls.forEach(function (li, id) {
      var c = convs.get(id), span = li.querySelector(".wait");
      if (c && span) span.textContent = waitText(c);
    });
  }

  function setCounts(counts) {
    if (!counts) return;
    document.querySelectorAll("[data-count]").forEach(function (n) {
      var k = n.getAttribute("data-count");
      if (k in counts) n.textContent = counts[k];
    });
  }

  function loadList(reset) {
    var q = "?view=" + encodeURIComponent(view) + (search ? "&q=" + encodeURIComponent(search) : "") + (!reset && next ? "&after=" + encodeURIComponent(next) : "");
    return api("/admin/inbox/api/conversations" + q).then(function (page) {
      // Rows from before stay known (live frames, the waiting count) but are drawn only if listed again.
      if (reset) convs.forEach(function (c) { c.partial = true; });
      page.conversations.forEach(function (c) { convs.set(c.conversation_id, c); });
      next = page.next;
      $("more").hidden = !next;
      setCounts(page.counts);
      renderList();
    }).catch(function (e) { toast(e.message); });
  }

  function refreshCounts() {
    clearTimeout(refreshCounts.t);
    refreshCounts.t = setTimeout(function () {
      api("/admin/inbox/api/counts").then(setCounts).catch(function () {});
    }, 300);
  }

  // -- one conversation -------------------------------------------------------

  function open(id) {
    var focus = focusOpened;
    focusOpened = false;
    var before = openId;
    openId = id;
    if (before !== id) renderRow(before);
    renderRow(id);
    return api("/admin/inbox/api/conversations/" + id).then(function (d) {
      if (openId !== id) return;
      detail = d;
      var row = convs.get(id);
      if (row) row.unread = 0;
      renderPanel();
      if (focus) $("conv-title").focus();
      markRead();
      send({ type: "resume", conversation_id: id, after_seq: d.last_seq });
    }).catch(function (e) { toast(e.message); });
  }

  // The panel shows this conversation (while another one loads, it still shows the one before).
  function shown(id) { return detail !== null && detail.conversation_id === id; }

  function markRead() {
    if (!detail || document.hidden) return;
    var seq = detail.messages.length ? detail.messages[detail.messages.length - 1].seq : 0;
    if (seq > (detail.read_seq || 0)) {
      detail.read_seq = seq;
      send({ type: "read", conversation_id: detail.conversation_id, seq: seq });
    }
  }

  function button(label, onclick, extra) {
    return el("button", Object.assign({ type: "button", onclick: onclick }, extra || {}), [label]);
  }

  function act(action, extra) {
    send(Object.assign({ type: action, conversation_id: detail.conversation_id }, extra || {}));
  }

  // The whole conversation (when one opens); the composer of the same conversation
  // is kept as it is (what was typed, reply or note, the focus).
  function renderPanel() {
    var panel = $("panel"), d = detail, kept = $("composer");
    if (kept && (!d || kept.getAttribute("data-conv") !== String(d.conversation_id))) kept = null;
    keepFocus(panel, function () {
      panel.textContent = "";
      if (!d) { panel.appendChild(el("p", { class: "placeholder", text: "Choose a conversation." })); return; }
      panel.appendChild(head(d));
      var log = el("ol", { id: "transcript", class: "transcript", tabindex: "0", "aria-label": "Transcript", "aria-live": "polite" });
      var items = d.messages.map(function (m) { return { at: m.created_at, kind: "m", m: m }; })
        .concat(d.notes.map(function (n) { return { at: n.created_at, kind: "n", n: n }; }))
        .sort(function (a, b) { return Date.parse(a.at) - Date.parse(b.at); });
      items.forEach(function (it) { log.appendChild(it.kind === "m" ? messageItem(it.m) : noteItem(it.n)); });
      panel.appendChild(log);
      panel.appendChild(el("p", { id: "typing", class: "typing", "aria-live": "polite" }));
      panel.appendChild(kept || composer(d));
      log.scrollTop = log.scrollHeight;
    }, function () { return $("conv-title"); });
    if (d) renderShopper(d);
  }

  // Only the header, when the conversation changes hands: the focus stays on the
  // same action or, when that action is gone (Take over once taken), on the reply box.
  function renderHead() {
    var panel = $("panel");
    keepFocus(panel, function () { panel.replaceChild(head(detail), panel.querySelector(".conv-head")); },
      function () { return $("composer-text"); });
    $("composer-text").placeholder = placeholder(detail);
  }

  function head(d) {
    var mine = d.status === "human" && d.agent_id === me;
    var actions = el("div", { class: "actions", role: "toolbar", "aria-label": "Actions" });
    if (d.status !== "closed" && !mine) actions.appendChild(button("Take over", function () { act("take"); }, { class: "primary", "data-key": "take" }));
    if (d.status === "human" || d.status === "waiting_human") actions.appendChild(button("Hand back to the assistant", function () { act("release"); }, { "data-key": "release" }));
    if (d.status !== "closed") {
      var select = el("select", { "aria-label": "Assign to", "data-key": "assign" }, [el("option", { value: "", text: "Assign to…" })]);
      Object.keys(team).forEach(function (id) {
        select.appendChild(el("option", { value: id, text: team[id] + (online.has(Number(id)) ? " (online)" : "") }));
      });
      // A button assigns: the arrow keys change a select's value as they go through it.
      actions.appendChild(select);
      actions.appendChild(button("Assign", function () {
        if (select.value) act("assign", { agent_id: Number(select.value) }); else select.focus();
      }, { "data-key": "assign-go" }));
      actions.appendChild(button("Close", function () { act("close"); }, { "data-key": "close" }));
    } else {
      actions.appendChild(button("Reopen", function () { act("reopen"); }, { "data-key": "reopen" }));
    }
    var owner = d.status === "human" ? " · with " + (team[d.agent_id] || d.agent_name || "an agent") : "";
    return el("header", { class: "conv-head" }, [
      el("h2", { id: "conv-title", tabindex: "-1", text: who(Object.assign({}, convs.get(d.conversation_id) || {}, { visitor_email: d.visitor.email, visitor_id: d.visitor.id })) }),
      el("p", { id: "conv-status", class: "status", text: STATUS[d.status] + owner }),
      actions
    ]);
  }

  // The transcript to its end, once per frame: reading scrollHeight in a frame's
  // handler would lay the page out again for every line.
  function scrollDown() {
    if (scrollDown.due) return;
    scrollDown.due = true;
    requestAnimationFrame(function () {
      scrollDown.due = false;
      var log = $("transcript");
      if (log) log.scrollTop = log.scrollHeight;
    });
  }

  function messageItem(m) {
    var author = m.author === "agent" ? (m.agent_name || "Agent") : m.author === "visitor" ? "Shopper" : m.author === "assistant" ? "Assistant" : "";
    var li = el("li", { class: "msg " + m.author, "data-seq": m.seq }, [
      author ? el("span", { class: "author", text: author }) : null,
      el("span", { class: "text", text: m.text })
    ]);
    (m.cards || []).forEach(function (card) {
      li.appendChild(el("div", { class: "card" }, [
        el("span", { text: card.title || "" }),
        card.price ? el("span", { class: "price", text: " · " + card.price }) : null,
        card.available === false ? el("span", { text: " · sold out" }) : null
      ]));
    });
    if (m.facts && m.facts.length) {
      var facts = el("details", { class: "facts" }, [el("summary", { text: "What the assistant looked up (" + m.facts.length + ")" })]);
      m.facts.forEach(function (f) {
        facts.appendChild(el("div", { class: "fact" }, [
          el("code", { text: f.tool + "(" + JSON.stringify(f.args) + ")" + (f.rejected ? " refused" : "") }),
          el("pre", { text: f.result })
        ]));
      });
      li.appendChild(facts);
    }
    return li;
  }

  function noteItem(n) {
    return el("li", { class: "note" }, [
      el("span", { class: "author", text: "Note by " + (n.agent_name || "someone") }),
      el("span", { class: "text", text: n.text })
    ]);
  }

  function renderShopper(d) {
    var aside = $("shopper"), v = d.visitor, ctx = v.context || {};
    aside.textContent = "";
    aside.appendChild(el("h2", { text: "Shopper" }));
    var dl = el("dl");
    function row(k, val) { if (val) { dl.appendChild(el("dt", { text: k })); dl.appendChild(el("dd", { text: String(val) })); } }
    row("Email", v.email);
    row("Verified customer", v.verified_customer ? "yes (" + v.verified_customer + ")" : "no");
    row("Online", visitorsOnline.has(d.conversation_id) ? "yes" : "no");
    row("Page", ctx.title ? ctx.title + " — " + ctx.url : ctx.url);
    row("Language", ctx.locale);
    if (ctx.cart && ctx.cart.items) {
      row("Cart", ctx.cart.items.map(function (i) { return i.quantity + " × " + i.title; }).join(", ") + (ctx.cart.total ? " (" + ctx.cart.total + ")" : ""));
    }
    row("First seen", v.first_seen && ago(v.first_seen) + " ago");
    if (d.rating) row("Rating", d.rating.score + "/5" + (d.rating.comment ? " — " + d.rating.comment : ""));
    aside.appendChild(dl);
    var box = el("div", { id: "orders", "aria-live": "polite" });
    aside.appendChild(box);
    api("/admin/inbox/api/conversations/" + d.conversation_id + "/orders").then(function (r) {
      if (!detail || detail.conversation_id !== d.conversation_id) return;
      if (r.status === "need_email" && r.looked_up.length) box.appendChild(el("p", { class: "note", text: "Orders named: " + r.looked_up.map(function (x) { return "#" + x; }).join(", ") + " (no email to check them against)" }));
      if (r.status === "unavailable") box.appendChild(el("p", { class: "note", text: "The store could not be reached for orders." }));
      r.orders.forEach(function (o) {
        var ship = o.shipments.map(function (s) { return (s.company || "") + " " + s.tracking_numbers.join(", "); }).join("; ");
        box.appendChild(el("section", { class: "order", "aria-label": "Order " + o.name }, [
          el("h3", { text: "Order " + o.name }),
          el("p", { text: o.financial_status + ", " + (o.cancelled ? "cancelled" : o.fulfillment_status) + " · " + o.total_price + " " + o.currency }),
          el("p", { text: o.items.map(function (i) { return i.quantity + " × " + i.title; }).join(", ") }),
          ship ? el("p", { text: "Tracking: " + ship }) : null
        ]));
      });
    }).catch(function () {});
  }

  // -- the composer: replies, notes, /shortcuts ------------------------------

  function fill(text, d) {
    var vars = { name: (d.visitor.email || "").split("@")[0], email: d.visitor.email || "", agent: team[me] || "" };
    var order = null;
    d.messages.forEach(function (m) { var x = /#?(\d{4,})/.exec(m.author === "visitor" ? m.text : ""); if (x) order = x[1]; });
    vars.order = order ? "#" + order : "";
    return text.replace(/\{\{\s*(\w+)\s*\}\}/g, function (all, k) { return k in vars ? vars[k] : all; });
  }

  function placeholder(d) {
    return d.status === "closed" ? "Reopen to reply" : "Type a reply, or / for canned replies";
  }

  // The canned replies a "/shortcut" matches are listed under the text box; the
  // arrows choose one, Tab or Enter puts it in, Escape closes the list.
  function composer(d) {
    var form = el("form", { class: "composer", id: "composer", "data-conv": d.conversation_id });
    var mode = el("select", { id: "composer-mode" }, [
      el("option", { value: "message", text: "Reply to the shopper" }),
      el("option", { value: "note", text: "Internal note" })
    ]);
    var text = el("textarea", { id: "composer-text", rows: 3, "aria-label": "Message", "aria-controls": "canned", placeholder: placeholder(d) });
    var hints = el("ul", { id: "canned", class: "canned", role: "listbox", hidden: true, "aria-label": "Canned replies" });
    var submit = el("button", { type: "submit", class: "primary", text: "Send" });
    var found = [], chosen = 0;
    function list(matches) {
      found = matches;
      chosen = Math.min(chosen, Math.max(found.length - 1, 0));
      hints.textContent = "";
      found.forEach(function (c, i) {
        hints.appendChild(el("li", { id: "canned-" + i, role: "option", "aria-selected": String(i === chosen), text: "/" + c.shortcut + " — " + c.text.slice(0, 60),
          onmousedown: function (e) { e.preventDefault(); chosen = i; use(); } }));
      });
      hints.hidden = !found.length;
      if (found.length) text.setAttribute("aria-activedescendant", "canned-" + chosen);
      else text.removeAttribute("aria-activedescendant");
    }
    function use() { text.value = fill(found[chosen].text, detail); list([]); }
    text.addEventListener("input", function () {
      var v = text.value;
      chosen = 0;
      list(v.charAt(0) === "/" && v.indexOf(" ") < 0 ? canned.filter(function (c) { return ("/" + c.shortcut).indexOf(v) === 0; }) : []);
      if (mode.value === "message" && detail.status !== "closed") typing(detail.conversation_id);
    });
    text.addEventListener("keydown", function (e) {
      if (found.length && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
        e.preventDefault();
        chosen = (chosen + (e.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
        return list(found);
      }
      if (found.length && e.key === "Escape") { e.preventDefault(); return list([]); }
      if (found.length && (e.key === "Tab" || e.key === "Enter")) { e.preventDefault(); return use(); }
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var value = text.value.trim();
      if (!value) return;
      var cid = "i" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      var frame = { type: mode.value, conversation_id: detail.conversation_id, client_id: cid, text: value };
      pending.set(cid, frame);
      if (send(frame)) text.value = "";
    });
    form.appendChild(el("label", { for: "composer-mode", class: "visually-hidden", text: "Send as" }));
    form.appendChild(mode);
    form.appendChild(text);
    form.appendChild(hints);
    form.appendChild(submit);
    return form;
  }

  function typing(id) {
    var now = Date.now();
    if (now - (typing.last || 0) < 2000) return;
    typing.last = now;
    send({ type: "typing", conversation_id: id });
  }

  // -- live: the agent socket -------------------------------------------------

  function send(frame) {
    if (!ws || ws.readyState !== 1) { toast("Not connected; trying again…"); return false; }
    ws.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/agent");
    ws.onopen = function () { ws.send(JSON.stringify({ type: "hello", ticket: ticket })); };
    ws.onmessage = function (e) { try { on(JSON.parse(e.data)); } catch (err) { /* a frame we cannot read */ } };
    ws.onclose = function () {
      $("conn").textContent = "Reconnecting…";
      setTimeout(function () {
        api("/admin/inbox/api/ticket").then(function (t) { ticket = t.ticket; connect(); }).catch(function () { setTimeout(connect, backoff); });
      }, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  // A conversation the list has not loaded yet is kept (the title's waiting count
  // counts it) but not drawn until a list load brings its row: who it is, its last line.
  function bump(id, patch, live) {
    var c = convs.get(id);
    if (!c) {
      c = { conversation_id: id, status: "ai", unread: 0, updated_at: new Date().toISOString(), partial: true };
      convs.set(id, c);
      if (live) refreshSoon();
    }
    Object.assign(c, patch);
    return c;
  }

  // At most one list load a second, however busy the shop: under steady traffic a
  // debounce would never fire.
  function refreshSoon() {
    if (refreshSoon.t) return;
    refreshSoon.t = setTimeout(function () { refreshSoon.t = null; loadList(true); }, 1000);
  }

  function drawn(c) { return !!c && !c.partial && inView(c); }

  function on(f) {
    switch (f.type) {
      case "welcome":
        backoff = 1000;
        $("conn").textContent = "Online";
        (f.agents_online || []).forEach(function (a) { online.add(a); });
        (f.conversations || []).forEach(function (c) {
          bump(c.conversation_id, { status: c.status, agent_id: c.agent_id, visitor_id: c.visitor_id, last_seq: c.last_seq, updated_at: c.updated_at, waiting_since: c.waiting_since || null });
          if (c.visitor_online) visitorsOnline.add(c.conversation_id);
        });
        renderList();
        if (openId) open(openId);
        break;
      case "message": {
        var c = bump(f.conversation_id, { last_seq: f.seq, last_text: f.text, last_author: f.author, updated_at: f.created_at }, true);
        if (shown(f.conversation_id)) {
          if (!detail.messages.some(function (m) { return m.seq === f.seq; })) {
            detail.messages.push(f);
            detail.last_seq = Math.max(detail.last_seq, f.seq);
            var log = $("transcript");
            if (log) { log.appendChild(messageItem(f)); scrollDown(); }
            markRead();
          }
          if (f.author === "visitor") $("typing").textContent = "";
        } else if (!(f.author === "agent" && f.client_id && pending.has(f.client_id))) {
          c.unread = (c.unread || 0) + 1;
        }
        renderRow(f.conversation_id);
        break;
      }
      case "conversation": {
        var before = convs.get(f.conversation_id);
        var wasWaiting = before && before.status === "waiting_human";
        bump(f.conversation_id, { status: f.status, agent_id: f.agent_id, agent_name: f.agent_name, updated_at: new Date().toISOString(), waiting_since: f.status === "waiting_human" ? (f.waiting_since || new Date().toISOString()) : null }, true);
        if (f.status === "waiting_human" && !wasWaiting) alertWaiting(f.conversation_id);
        if (shown(f.conversation_id)) {
          detail.status = f.status; detail.agent_id = f.agent_id; detail.agent_name = f.agent_name;
          renderHead();
        }
        renderRow(f.conversation_id);
        refreshCounts();
        break;
      }
      case "note":
        if (shown(f.conversation_id)) {
          detail.notes.push(f);
          $("transcript").appendChild(noteItem(f));
        }
        break;
      case "typing":
        if (f.conversation_id === openId && $("typing")) {
          $("typing").textContent = (f.author === "visitor" ? "The shopper" : (team[f.agent_id] || "A teammate")) + " is typing…";
          clearTimeout(typingTimers.get(f.conversation_id));
          typingTimers.set(f.conversation_id, setTimeout(function () { if ($("typing")) $("typing").textContent = ""; }, 5000));
        }
        break;
      case "read":  // this agent read it in another tab or on another device
        if (f.agent_id === me && convs.has(f.conversation_id)) {
          convs.get(f.conversation_id).unread = 0;
          renderRow(f.conversation_id);
        }
        break;
      case "presence":
        if (f.agents_online) { online = new Set(f.agents_online); }
        if (f.conversation_id) {
          if (f.visitor_online) visitorsOnline.add(f.conversation_id); else visitorsOnline.delete(f.conversation_id);
          renderRow(f.conversation_id);
        }
        break;
      case "ack":
        pending.delete(f.client_id);
        break;
      case "error":
        if (f.code === "bad_credential") {
          // The ticket is no longer good: a fresh one, or the sign-in page if the session ended too.
          $("conn").textContent = "Signed out?";
          api("/admin/inbox/api/ticket").then(function (t) { ticket = t.ticket; }).catch(function () {});
          return;
        }
        toast(f.message || "Refused");
        if (f.client_id && pending.has(f.client_id)) {
          var lost = pending.get(f.client_id); pending.delete(f.client_id);
          if ($("composer-text") && !$("composer-text").value) $("composer-text").value = lost.text;
        }
        break;
    }
  }

  // -- getting someone's attention -------------------------------------------

  function beep() {
    if (!sound) return;
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.08;
      o.connect(g); g.connect(ctx.destination); o.start(); o.stop(ctx.currentTime + 0.15);
    } catch (e) { /* no audio here */ }
  }

  function alertWaiting(id) {
    beep();
    if (window.Notification && Notification.permission === "granted" && document.hidden) {
      var n = new Notification("A shopper is waiting", { body: who(convs.get(id) || {}), tag: "storechat-" + id });
      n.onclick = function () { window.focus(); location.hash = "#c" + id; };
    }
  }

  // -- wiring -------------------------------------------------------------------

  boot.page.conversations.forEach(function (c) { convs.set(c.conversation_id, c); });
  renderList();

  // The views are tabs: one stop for Tab, the arrows (and Home, End) move between them.
  var tabs = Array.from(document.querySelectorAll("[data-view]"));
  function selectTab(tab) {
    tabs.forEach(function (t) {
      t.setAttribute("aria-selected", t === tab ? "true" : "false");
      t.tabIndex = t === tab ? 0 : -1;
    });
  }
  selectTab(tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0] || tabs[0]);
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function (e) {
      e.preventDefault();
      view = tab.getAttribute("data-view");
      selectTab(tab);
      history.replaceState(null, "", "?view=" + view + location.hash);
      loadList(true);
    });
    tab.addEventListener("keydown", function (e) {
      var to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      to = tabs[(to + tabs.length) % tabs.length];
      to.focus();
      to.click();
    });
  });
  // In the list, the arrows go from one conversation to the next.
  $("list").addEventListener("keydown", function (e) {
    var step = { ArrowDown: "nextElementSibling", ArrowUp: "previousElementSibling" }[e.key];
    var row = step && e.target.closest("li");
    var to = row && row[step] && row[step].querySelector("a");
    if (to) { e.preventDefault(); to.focus(); }
  });
  // "Skip to the reply box" without losing the open conversation from the address.
  document.querySelector(".skip").addEventListener("click", function (e) {
    e.preventDefault();
    ($("composer-text") || $("list").querySelector("a") || $("q")).focus();
  });
  $("search").addEventListener("submit", function (e) { e.preventDefault(); search = $("q").value.trim(); loadList(true); });
  $("more").addEventListener("click", function () { loadList(false); });
  $("sound").textContent = sound ? "Sound on" : "Sound off";
  $("sound").setAttribute("aria-pressed", String(sound));
  $("sound").addEventListener("click", function () {
    sound = !sound;
    localStorage.setItem("storechat.sound", sound ? "on" : "off");
    $("sound").textContent = sound ? "Sound on" : "Sound off";
    $("sound").setAttribute("aria-pressed", String(sound));
  });
  if (window.Notification && Notification.permission === "default") {
    $("notify").hidden = false;
    $("notify").addEventListener("click", function () {
      Notification.requestPermission().then(function () { $("notify").hidden = true; });
    });
  }
  function fromHash() {
    var m = /^#c(\d+)$/.exec(location.hash);
    if (m) open(Number(m[1]));
  }
  window.addEventListener("hashchange", fromHash);
  document.addEventListener("visibilitychange", markRead);
  setInterval(renderWaits, 30000);
  fromHash();
  connect();
})();
