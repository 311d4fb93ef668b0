"""The admin pages and the inbox are accessible: axe-core (from the npm registry,
injected only by the tests) finds no serious or critical violation on any of
them, and a shop's agent can do a whole conversation with the keyboard alone.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.storefront import TEAM_PASSWORD, Tab, add_canned_replies, teammate
from tests.test_end_to_end import Running, _site_key

pytestmark = pytest.mark.browser

CANNED = {
    "thanks": "Thank you for your order {{order}}!",
    "shipping": "We ship in 2 to 3 working days.",
    "ship-free": "Shipping is free from $50.",
}

# Every violation axe-core finds, with the elements it found it on.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\\s+/g, " "))}));
}"""



@pytest.fixture(scope="module")
def canned(demo: Running) -> dict[str, str]:
    add_canned_replies(demo, CANNED)
    return CANNED


def audit(page: Any, axe_script: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe_script))
    return page.evaluate(AXE_RUN)


def describe(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
            lines.extend(f"    {node}" for node in v["nodes"][:5])
    return "\n".join(lines) or "none"


def waiting_shopper(open_tab: Callable[..., Tab], question: str) -> Tab:
    """A shopper on the demo storefront who asked something and then for a person."""
    from playwright.sync_api import expect

    shopper = open_tab()
    shopper.open_chat()
    shopper.ask(question)
    expect(shopper.rows("assistant").first).to_be_visible(timeout=15_000)
    shopper.panel.locator("button", has_text="Talk to a person").click()
    return shopper


def test_admin_pages_have_no_serious_axe_violation(axe_script: Path, open_tab: Callable[..., Tab], demo: Running,
                                                   canned: dict[str, str]) -> None:
    from playwright.sync_api import expect

    found: dict[str, list[dict[str, Any]]] = {}

    stranger = open_tab(path="/admin/sign-in")
    stranger.page.get_by_label("Email").fill("nobody@demo.example")
    stranger.page.get_by_label("Password").fill("not the password")
    stranger.page.get_by_role("button", name="Sign in").click()
    expect(stranger.page.get_by_role("alert")).to_be_visible()
    found["sign-in (with an error)"] = audit(stranger.page, axe_script)

    made = demo.cli("user", "create", _site_key(demo), "olga@demo.example", "--name", "Olga", "--role", "owner")
    link = re.search(r"https?://\S+(/admin/welcome/\S+)", made.stdout)
    assert link, made.stdout + made.stderr
    owner = open_tab(path=link.group(1))
    found["set password"] = audit(owner.page, axe_script)
    owner.page.get_by_label("New password").fill(TEAM_PASSWORD)
    owner.page.get_by_label("The same password again").fill(TEAM_PASSWORD)
    owner.page.get_by_role("button", name="Save and sign in").click()
    expect(owner.page.locator("#conn")).to_have_text("Online")

    owner.page.goto(f"{demo.base}/admin/team/")
    found["team"] = audit(owner.page, axe_script)
    assert owner.page.locator("th .visually-hidden").bounding_box()["width"] <= 1  # named for readers, not shown
    owner.page.goto(f"{demo.base}/admin/hours/")
    found["hours"] = audit(owner.page, axe_script)

    # The inbox with a conversation open: messages, a note, the shopper panel, the canned replies listed.
    shopper = waiting_shopper(open_tab, "hello, is anyone there? my order is 10042")
    page = owner.page
    page.goto(f"{demo.base}/admin/inbox/")
    waiting = page.locator("#list li").filter(has=page.locator(".badge.waiting_human"))
    expect(waiting).to_have_count(1)
    waiting.locator("a").click()
    page.get_by_role("button", name="Take over").click()
    expect(page.locator("#conv-status")).to_contain_text("with Olga")
    box = page.locator("#composer-text")
    box.fill("Hello! Let me check.")
    box.press("Enter")
    expect(shopper.rows("agent").filter(has_text="Hello! Let me check.")).to_be_visible()
    page.locator("#composer-mode").select_option("note")
    box.fill("Order 10042: check the parcel")
    box.press("Enter")
    expect(page.locator("#transcript .note")).to_contain_text("check the parcel")
    page.locator("#composer-mode").select_option("message")
    box.press_sequentially("/sh")
    expect(page.get_by_role("listbox", name="Canned replies").get_by_role("option")).to_have_count(2)
    expect(page.locator("#shopper")).to_contain_text("/demo/")
    found["inbox (a conversation open)"] = audit(page, axe_script)

    counts = Counter(v["impact"] for violations in found.values() for v in violations)
    print(f"\naxe-core violations by impact: {dict(counts)}\n{describe(found)}")
    serious = {where: [v for v in violations if v["impact"] in ("serious", "critical")]
               for where, violations in found.items()}
    assert not any(serious.values()), (
        f"axe-core found serious or critical violations:\n{describe(serious)}\n\nall of them:\n{describe(found)}")


# What has the focus, and whether it shows: a :focus-visible outline at least 2 px
# wide whose colour has a contrast of at least 3:1 with the background around it.
FOCUSED = """() => {
  const a = document.activeElement, style = getComputedStyle(a), row = a.closest("#list li");
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => rgb(c).slice(0, 3).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let under = a.parentElement, bg = "rgb(255, 255, 255)";
  for (; under; under = under.parentElement) {
    const c = getComputedStyle(under).backgroundColor;
    if (rgb(c).length === 3 || rgb(c)[3] === 1) { bg = c; break; }
  }
  const [hi, lo] = [lum(style.outlineColor), lum(bg)].sort((x, y) => y - x);
  return {tag: a.tagName.toLowerCase(), id: a.id, conversation: row ? row.dataset.id : null,
          name: (a.getAttribute("aria-label") || a.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 80),
          ring: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} on ${bg}`,
          visible: a.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
                   && (hi + 0.05) / (lo + 0.05) >= 3};
}"""


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def press_until(page: Any, key: str, reached: Callable[[dict[str, Any]], bool], limit: int = 40) -> dict[str, Any]:
    """Presses ``key`` until the focus is where ``reached`` says; every stop on the way shows its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        seen.append(now)
        assert now["tag"] != "body", f"{key} lost the focus after {seen}"
        assert now["visible"], f"the focus does not show on {now}"
        if reached(now):
            return now
    raise AssertionError(f"{limit} × {key} never got there; the focus went through {seen}")


def expect_focus(page: Any, **want: Any) -> None:
    now = focused(page)
    assert now["visible"], f"the focus does not show on {now}"
    assert {k: now[k] for k in want} == want, f"the focus is on {now}, not {want}"


def test_a_conversation_by_keyboard_alone(open_tab: Callable[..., Tab], demo: Running,
                                           canned: dict[str, str]) -> None:
    from playwright.sync_api import expect

    kim = teammate(demo, open_tab, "kim@demo.example", "Kim")
    shopper = waiting_shopper(open_tab, "is my order 10077 on its way?")
    page, keys = kim.page, kim.page.keyboard
    waiting = page.locator("#list li").filter(has=page.locator(".badge.waiting_human"))
    expect(waiting).to_have_count(1)
    conversation = waiting.get_attribute("data-id")

    # From the top of the page to the views: one stop, the arrows choose the view.
    tab = page.get_by_role("tab", name=re.compile("^Waiting"))
    press_until(page, "Tab", lambda f: f["name"].startswith("Open"))
    keys.press("ArrowRight")
    now = focused(page)
    assert now["visible"] and now["name"].startswith("Waiting"), f"the focus is on {now}"
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#list li")).to_have_count(1)
    keys.press("ArrowLeft")
    expect(page.get_by_role("tab", name=re.compile("^Open"))).to_have_attribute("aria-selected", "true")
    # Then the search box, the list, and the arrows to the waiting conversation.
    press_until(page, "Tab", lambda f: f["conversation"] is not None, limit=2)
    for key in ("ArrowDown", "ArrowUp"):
        if focused(page)["conversation"] != conversation:
            press_until(page, key, lambda f: f["conversation"] in (conversation, None), limit=10)
    expect_focus(page, conversation=conversation)
    # The list changes live (the shopper writes again): the focus stays on that conversation.
    shopper.ask("hello?")
    expect(waiting.locator(".last")).to_have_text("hello?")
    expect_focus(page, conversation=conversation)

    # Open it: the focus goes to the conversation; the next stop is "Take over".
    keys.press("Enter")
    expect(page.locator("#transcript")).to_contain_text("is my order 10077 on its way?")
    expect_focus(page, id="conv-title")
    press_until(page, "Tab", lambda f: f["name"] == "Take over", limit=1)
    keys.press("Enter")
    expect(page.locator("#conv-status")).to_contain_text("with Kim")
    # The panel changed under the focus: it is on the reply box now, not lost.
    expect_focus(page, id="composer-text")

    keys.type("Hi! Let me look at it.")
    keys.press("Enter")
    expect(shopper.rows("agent").filter(has_text="Hi! Let me look at it.")).to_be_visible()

    # An internal note: back to "Send as", the arrows choose, forward to the text.
    press_until(page, "Shift+Tab", lambda f: f["id"] == "composer-mode", limit=1)
    keys.press("ArrowDown")
    expect(page.locator("#composer-mode")).to_have_value("note")
    press_until(page, "Tab", lambda f: f["id"] == "composer-text", limit=1)
    keys.type("Order 10077 left yesterday")
    keys.press("Enter")
    expect(page.locator("#transcript .note")).to_contain_text("Order 10077 left yesterday")
    press_until(page, "Shift+Tab", lambda f: f["id"] == "composer-mode", limit=1)
    keys.press("ArrowUp")
    expect(page.locator("#composer-mode")).to_have_value("message")
    press_until(page, "Tab", lambda f: f["id"] == "composer-text", limit=1)

    # Canned replies: Escape closes the list; Tab expands the one chosen, so do Enter and the arrows.
    options = page.get_by_role("listbox", name="Canned replies").get_by_role("option")
    keys.type("/sh")
    expect(options).to_have_count(2)
    keys.press("Escape")
    expect(page.get_by_role("listbox", name="Canned replies")).to_be_hidden()
    expect(page.locator("#composer-text")).to_have_value("/sh")
    keys.type("i")
    expect(options).to_have_count(2)
    keys.press("ArrowDown")  # the second, by shortcut: /ship-free, /shipping
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(1)).to_contain_text("/shipping")
    background = "o => getComputedStyle(o).backgroundColor"
    assert options.nth(1).evaluate(background) != options.nth(0).evaluate(background), "the chosen reply does not show"
    keys.press("Enter")
    expect(page.locator("#composer-text")).to_have_value(canned["shipping"])
    keys.press("Enter")
    expect(shopper.rows("agent").filter(has_text=canned["shipping"])).to_be_visible()
    keys.type("/tha")
    expect(options).to_have_count(1)
    keys.press("Tab")
    expect(page.locator("#composer-text")).to_have_value("Thank you for your order #10077!")
    expect_focus(page, id="composer-text")
    keys.press("Enter")
    expect(shopper.rows("agent").filter(has_text="Thank you for your order #10077!")).to_be_visible()

    # Assign it to a teammate: the arrows only choose (nothing happens yet), the button assigns.
    press_until(page, "Shift+Tab", lambda f: f["name"] == "Assign to")
    keys.press("ArrowDown")
    expect(page.get_by_label("Assign to")).to_have_value(re.compile(r"^\d+$"))
    other = page.get_by_label("Assign to").evaluate("s => s.selectedOptions[0].text").removesuffix(" (online)")
    assert other != "Kim"
    page.wait_for_timeout(500)
    expect(page.locator("#conv-status")).to_contain_text("with Kim")
    press_until(page, "Tab", lambda f: f["name"] == "Assign", limit=1)
    keys.press("Enter")
    expect(page.locator("#conv-status")).to_contain_text(f"with {other}")
    expect_focus(page, name="Assign")

    # Hand it back: Shift+Tab to the action.
    press_until(page, "Shift+Tab", lambda f: f["name"] == "Hand back to the assistant")
    keys.press("Space")
    expect(page.locator("#conv-status")).to_have_text("Assistant")
    now = focused(page)
    assert now["tag"] != "body" and now["visible"], f"handing back lost the focus: {now}"
    expect(shopper.rows("agent")).to_have_count(3)

    # From the top of the page, the skip link goes to the reply box; the conversation stays in the address.
    press_until(page, "Shift+Tab", lambda f: f["name"] == "Skip to the reply box", limit=60)
    keys.press("Enter")
    expect_focus(page, id="composer-text")
    assert page.url.endswith(f"#c{conversation}"), page.url
    shopper.page.wait_for_timeout(300)
    expect(shopper.panel).not_to_contain_text("left yesterday")
