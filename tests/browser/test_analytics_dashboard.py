"""The analytics dashboard in real Chromium, on `storechat demo` after a scripted
session of shopper traffic (`storechat analytics traffic`): the owner starts a
greeting A/B test, the traffic runs, and the charts (server-drawn SVG), their
table views, the CSV export, the resolved share, the attributed revenue, the
content gaps and both variants' results show."""
from __future__ import annotations

import re
from collections.abc import Callable

from tests.browser.storefront import Tab, teammate
from tests.test_end_to_end import Running, _site_key


def test_dashboard_after_scripted_traffic(open_tab: Callable[..., Tab], demo: Running) -> None:
    from playwright.sync_api import expect

    owner = teammate(demo, open_tab, "owner-analytics@demo.example", "Olga", role="owner")
    page = owner.page
    page.goto(f"{demo.base}/admin/experiments/")
    page.get_by_label("Name").fill("Greeting test")
    page.get_by_label("Variant A (required)").fill("Hi! Can I help you find something?")
    page.get_by_label("Variant B (required)").fill("Questions about sizes? Ask me.")
    page.get_by_role("button", name="Create (as a draft)").click()
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".experiment h2")).to_contain_text("running")

    played = demo.cli("analytics", "traffic", _site_key(demo), "--visitors", "30")
    assert played.returncode == 0, played.stdout + played.stderr
    assert re.search(r"30 visitors, \d+ conversations", played.stdout), played.stdout
    sold = re.search(r"(\d+) attributed orders \((\d+\.\d\d) (\w+)\)", played.stdout)
    assert sold and int(sold.group(1)) > 0, played.stdout

    page.goto(f"{demo.base}/admin/analytics/")
    chart = page.locator("svg#chart-conversations")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() == 30  # one bar per day of the default range
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 50
    assert page.locator("svg.chart").count() == 6
    totals = page.locator("#totals")
    expect(totals).to_contain_text("Conversations")
    assert int(re.search(r"Conversations\s*(\d+)", totals.inner_text()).group(1)) > 0  # type: ignore[union-attr]
    expect(totals).to_contain_text("Resolved by the assistant")
    # The resolved share as a percentage of the conversations, and the revenue the traffic's orders brought.
    assert re.search(r"Resolved by the assistant\s*\d+%\s*\d+ of \d+", totals.inner_text()), totals.inner_text()
    revenue = totals.locator("li", has_text="Attributed revenue")
    expect(revenue).to_contain_text(f"{sold.group(2)} {sold.group(3)}")
    expect(revenue).to_contain_text(f"{sold.group(1)} orders")
    # A chart's table view, opened like a person would.
    figure = page.locator("figure", has=page.locator("svg#chart-conversations"))
    figure.get_by_text("Table").click()
    expect(figure.locator("table tbody tr")).to_have_count(30)
    csv = page.request.get(demo.base + (figure.get_by_role("link", name="CSV").get_attribute("href") or ""))
    assert csv.ok and csv.text().splitlines()[0].startswith("day,conversations")
    # Content gaps link to their conversations in the inbox.
    gap_link = page.locator("#gaps ~ table a").first
    expect(gap_link).to_have_attribute("href", re.compile(r"/admin/inbox/#c\d+$"))
    assert page.locator("script").count() == 0  # drawn on the server: no charting script, no CDN

    page.goto(f"{demo.base}/admin/experiments/")
    rows = page.locator(".experiment table tbody tr")
    expect(rows).to_have_count(2)
    for i in range(2):
        views = int(rows.nth(i).locator("td").nth(2).inner_text())
        assert views > 0
