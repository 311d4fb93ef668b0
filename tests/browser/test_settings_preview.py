"""The widget settings page in real Chromium, against a running `storechat demo`:
the owner changes the colour and the greeting, the preview (the real loader.js
and chat.js in a frame, drawn from the values not yet saved) redraws with them
while the storefront still shows the old ones; after Save the storefront's
widget has them too.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.storefront import Tab, set_settings, teammate
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser

NEW_COLOR, NEW_RGB = "#c0392b", "rgb(192, 57, 43)"
NEW_GREETING = "Hello from the settings page! Need a size?"


def _background(locator: object) -> str:
    return locator.evaluate("e => getComputedStyle(e).backgroundColor")  # type: ignore[attr-defined]


def test_preview_redraws_before_saving_and_the_storefront_follows_after(open_tab: Callable[..., Tab],
                                                                       demo: Running) -> None:
    from playwright.sync_api import expect

    set_settings(demo, {})
    owner = teammate(demo, open_tab, "olive@demo.example", "Olive", role="owner")
    page = owner.page
    page.goto(f"{demo.base}/admin/settings/widget")
    expect(page.get_by_role("heading", name="Widget")).to_be_visible()

    preview = page.frame_locator("#preview")
    launcher = preview.locator("#storechat button.L")
    expect(launcher).to_be_visible()
    expect(preview.locator("#storechat [role=dialog]")).to_be_visible()  # the panel, open, with the greeting
    assert _background(launcher) != NEW_RGB

    page.get_by_label("Colour", exact=True).fill(NEW_COLOR)
    page.get_by_label("Greeting").fill(NEW_GREETING)
    page.get_by_label("Quick replies").fill("Shipping\nReturns")

    # The preview redraws from the pending values: the real widget, its panel showing the greeting.
    expect(preview.locator("#storechat [role=dialog]")).to_contain_text(NEW_GREETING, timeout=10_000)
    expect(launcher).to_have_css("background-color", NEW_RGB)
    expect(preview.locator("#storechat [role=dialog] .q button")).to_have_text(["Shipping", "Returns"])

    # Not saved yet: the storefront still has the default look.
    before = open_tab()
    expect(before.launcher).to_be_visible()
    assert _background(before.launcher) != NEW_RGB
    before.open_chat()
    expect(before.panel).not_to_contain_text(NEW_GREETING)

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#settings-saved")).to_have_text("Saved.")
    expect(page.get_by_label("Greeting")).to_have_value(NEW_GREETING)

    # Saved: a shopper's new visit gets the colour and the greeting.
    after = open_tab()
    expect(after.launcher).to_have_css("background-color", NEW_RGB)
    after.open_chat()
    expect(after.panel).to_contain_text(NEW_GREETING)
    expect(after.panel.locator(".q button")).to_have_text(["Shipping", "Returns"])

    # And the audit log says who did it.
    page.goto(f"{demo.base}/admin/settings/audit")
    expect(page.locator("#audit")).to_contain_text("olive@demo.example")
    expect(page.locator("#audit")).to_contain_text(re.compile(r"settings\.widget"))
    set_settings(demo, {})
