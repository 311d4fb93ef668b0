"""The inbox with real people in real browsers: a shopper on the demo
storefront and two of the shop's team in the inbox, each in a browser context
of their own (cookies, storage and sockets apart), against one `storechat demo`.

The shopper asks for a person; both agents see the conversation waiting; both
press "Take over" at once and exactly one wins (the other is told who); the
winner replies and the shopper reads it; the other agent sees who owns it;
the winner hands it back and the assistant answers the next question.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.storefront import JACKET_VARIANT, Tab, teammate
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser



def row(tab: Tab, status: str) -> Any:
    return tab.page.locator("#list li").filter(has=tab.page.locator(f".badge.{status}"))


def test_two_agents_one_shopper_take_over_reply_hand_back(open_tab: Callable[..., Tab], demo: Running,
                                                         artifacts: Path) -> None:
    from playwright.sync_api import expect

    ana = teammate(demo, open_tab, "ana@demo.example", "Ana")
    ben = teammate(demo, open_tab, "ben@demo.example", "Ben")

    shopper = open_tab()
    # Something in the cart before the chat opens: the team sees it beside the conversation.
    added = shopper.page.request.post(f"{demo.base}/demo/cart/add.js",
                                      data=json.dumps({"items": [{"id": JACKET_VARIANT, "quantity": 2}]}),
                                      headers={"Content-Type": "application/json"})
    assert added.ok, added.text()
    shopper.open_chat()
    shopper.ask("hello, is anyone there?")
    expect(shopper.rows("assistant").first).to_be_visible(timeout=15_000)
    shopper.panel.locator("button", has_text="Talk to a person").click()

    # Both agents see it waiting, live, without reloading.
    for agent in (ana, ben):
        expect(row(agent, "waiting_human")).to_have_count(1, timeout=5_000)
        expect(agent.page).to_have_title(re.compile(r"^\(1\) Inbox"))
        row(agent, "waiting_human").locator("a").click()
        expect(agent.page.locator("#transcript")).to_contain_text("hello, is anyone there?")
        expect(agent.page.locator("#shopper")).to_contain_text("/demo/")  # the page the shopper is on
        expect(agent.page.locator("#shopper")).to_contain_text("2 × Classic Leather Jacket")

    # Both press "Take over" at once: one owner, and the other is told who.
    take_a = ana.page.get_by_role("button", name="Take over")
    take_b = ben.page.get_by_role("button", name="Take over")
    take_a.dispatch_event("click")
    take_b.dispatch_event("click")
    for agent in (ana, ben):
        expect(agent.page.locator("#conv-status")).to_contain_text(re.compile(r"with (Ana|Ben)"))
    owner_text = ana.page.locator("#conv-status").inner_text()
    winner, loser, winner_name = (ana, ben, "Ana") if "Ana" in owner_text else (ben, ana, "Ben")
    expect(loser.page.locator("#conv-status")).to_contain_text(f"with {winner_name}")
    expect(loser.page.locator("#toast")).to_contain_text(f"{winner_name} already took this conversation")
    expect(winner.page.get_by_role("button", name="Take over")).to_have_count(0)

    # The winner replies; the shopper reads it, with who wrote it.
    box = winner.page.locator("#composer-text")
    box.fill("Hi! I'm here. How can I help?")
    box.press("Enter")
    expect(shopper.rows("agent").filter(has_text="Hi! I'm here. How can I help?")).to_be_visible()
    expect(loser.page.locator("#transcript")).to_contain_text("Hi! I'm here. How can I help?")

    # A note stays inside the team.
    winner.page.locator("#composer-mode").select_option("note")
    box.fill("Gift order: check the wrapping")
    box.press("Enter")
    expect(loser.page.locator("#transcript .note")).to_contain_text("Gift order: check the wrapping")
    shopper.page.wait_for_timeout(500)
    expect(shopper.panel).not_to_contain_text("Gift order")

    # Hand back: the assistant answers the next question.
    winner.page.get_by_role("button", name="Hand back to the assistant").click()
    for agent in (ana, ben):
        expect(agent.page.locator("#conv-status")).to_have_text("Assistant")
    shopper.ask("do you have a leather jacket?")
    shopper.answer()
    expect(winner.page.locator("#transcript")).to_contain_text("Classic Leather Jacket")
    winner.page.screenshot(path=str(artifacts / "inbox.png"))
