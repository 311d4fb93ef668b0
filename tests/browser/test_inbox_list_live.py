"""The inbox's conversation list, kept live by the agent socket, in a real
browser: a line moves its conversation's row to the top and touches no other
row (with a thousand conversations listed, rebuilding every row for every
line is what made the inbox fall seconds behind: bench/inbox_live.py), and
the order it arrives at is the order a freshly loaded page shows.
"""
from __future__ import annotations

import re

from collections.abc import Callable

import pytest

from tests.browser.storefront import Tab
from tests.browser.test_inbox_live import teammate
from tests.test_end_to_end import Running, _site_key
from tests.wsclient import VisitorClient

pytestmark = pytest.mark.browser

IDS = "Array.from(document.querySelectorAll('#list li')).map(li => Number(li.getAttribute('data-id')))"
#: Marks every row element now in the list; a row rebuilt later is a new element, unmarked.
MARK = "document.querySelectorAll('#list li').forEach(li => { li.__kept = true; })"
KEPT = "Array.from(document.querySelectorAll('#list li')).filter(li => li.__kept).map(li => Number(li.getAttribute('data-id')))"



def test_a_line_moves_its_row_to_the_top_and_leaves_the_other_rows_alone(open_tab: Callable[..., Tab],
                                                                       demo: Running) -> None:
    from playwright.sync_api import expect

    key = _site_key(demo)
    shoppers, ids = [], []
    for i in range(3):
        shopper = VisitorClient(demo.base)
        shopper.hello(key)
        ids.append(shopper.say(f"first line of shopper {i}")["conversation_id"])
        shopper.assistant_reply()
        shoppers.append(shopper)
    try:
        cleo = teammate(demo, open_tab, "cleo@demo.example", "Cleo")
        page = cleo.page
        expect(page.locator("#list li")).to_have_count(3)
        assert page.evaluate(IDS) == [ids[2], ids[1], ids[0]]  # the latest first
        page.evaluate(MARK)
        # The count, then " unread" for screen readers (visually hidden).
        unread = int(page.locator(f"#list li[data-id='{ids[0]}'] .unread").inner_text().split()[0])

        # The oldest conversation gets a line: its row goes to the top, with the
        # line and an unread count; the two other rows are the same elements.
        shoppers[0].say("a new line from the first shopper")
        first = page.locator("#list li").first
        expect(first.locator(".last")).to_have_text("a new line from the first shopper")
        expect(first.locator(".unread")).to_have_text(re.compile(rf"^{unread + 1}\s+unread$"))
        assert page.evaluate(IDS) == [ids[0], ids[2], ids[1]]
        assert sorted(page.evaluate(KEPT)) == sorted([ids[1], ids[2]])
        shoppers[0].assistant_reply()
        expect(first.locator(".last")).not_to_have_text("a new line from the first shopper")
        assert page.evaluate(IDS) == [ids[0], ids[2], ids[1]]
        assert sorted(page.evaluate(KEPT)) == sorted([ids[1], ids[2]])

        # The order the live updates arrived at is the order a fresh page shows.
        live = page.evaluate(IDS)
        page.reload()
        expect(page.locator("#conn")).to_have_text("Online")
        expect(page.locator("#list li")).to_have_count(3)
        assert page.evaluate(IDS) == live

        # Opening one conversation and taking it over changes that row only (the
        # first one may still get more of the assistant's answer meanwhile).
        page.evaluate(MARK)
        page.locator(f"#list li[data-id='{ids[1]}'] a").click()
        page.get_by_role("button", name="Take over").click()
        row = page.locator(f"#list li[data-id='{ids[1]}']")
        expect(row.locator(".badge")).to_have_text("With a person: Cleo")
        expect(row.locator("a")).to_have_attribute("aria-current", "true")
        assert ids[1] not in page.evaluate(KEPT)
        assert ids[2] in page.evaluate(KEPT)
    finally:
        for shopper in shoppers:
            shopper.close()
