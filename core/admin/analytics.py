"""The analytics dashboard (owners and agents read it; owners roll up on demand),
its CSV exports, and the same figures as JSON at ``/admin/api/analytics``.

Everything here reads the rolled-up ``analytics_days`` rows
(core/analytics/metrics.py), never the events.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.admin.team import owner_required
from core.analytics import charts, metrics
from core.analytics.metrics import AnalyticsReport
from core.db import Shop
from core.db.models import utcnow
from core.jobs import enqueue_rollup
from core.services import services

bp = Blueprint("analytics", __name__, template_folder="templates")
DEFAULT_DAYS = 30
#: Longer ranges are drawn (and tabled) per week; the CSV export stays per day.
WEEKLY_AFTER = 92
#: The CSV exports, one per chart.
EXPORTS = ("daily", "intents", "gaps", "csat", "times")


class RangeError(ValueError):
    pass


def _range() -> tuple[date, date]:
    """``from`` and ``to`` (YYYY-MM-DD, both included); by default the last 30 days."""
    today = utcnow().date()
    try:
        last = date.fromisoformat(request.args["to"]) if request.args.get("to") else today
        first = (
            date.fromisoformat(request.args["from"])
            if request.args.get("from")
            else last - timedelta(days=DEFAULT_DAYS - 1)
        )
    except (ValueError, OverflowError):  # not a date, or 30 days before it is before year 1
        raise RangeError("from and to are dates like 2026-01-31") from None
    try:
        metrics.check_range(first, last)
    except ValueError as exc:
        raise RangeError(str(exc)) from None
    return first, last


def _report(first: date, last: date) -> tuple[Shop, AnalyticsReport]:
    with services().db.session() as session:
        shop = session.get(Shop, current_user.shop_id)
        if shop is None:
            abort(404)
        currency = shop.currency or "USD"
        return shop, metrics.report(session, shop.id, first, last, currency)


def _series(report: AnalyticsReport, name: str) -> list[tuple[str, float]]:
    """One point per day, or per week (from its Monday, or the range's first day) past
    :data:`WEEKLY_AFTER` days: a year is 53 bars, not 366."""
    weekly = len(report.days) > WEEKLY_AFTER
    points: dict[str, Any] = {}
    for d in report.days:
        label = max(d.day - timedelta(days=d.day.weekday()), report.first).isoformat() if weekly else d.day.isoformat()
        value = float(d.revenue) if name == "revenue" else int(getattr(d, name))
        points[label] = points.get(label, 0) + value
    return list(points.items())


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 120:
        return f"≤ {value:.0f} s"
    if value < 7200:
        return f"≤ {value / 60:.0f} min"
    return f"≤ {value / 3600:.0f} h"


@bp.get("/analytics/")
@login_required
def dashboard() -> Any:
    try:
        first, last = _range()
    except RangeError as exc:
        return render_template("admin/analytics.html", error=str(exc), shop=None, report=None), 400
    shop, report = _report(first, last)
    per = "week" if len(report.days) > WEEKLY_AFTER else "day"
    series = {name: _series(report, name) for name in ("conversations", "resolved_ai", "revenue", "add_to_cart")}
    drawn = {
        "conversations": charts.bars("chart-conversations", f"Conversations per {per}", series["conversations"]),
        "resolved": charts.bars("chart-resolved", f"Resolved by the assistant per {per}", series["resolved_ai"]),
        "revenue": charts.bars(
            "chart-revenue",
            f"Attributed revenue per {per} ({report.currency})",
            series["revenue"],
            unit=f" {report.currency}",
        ),
        "add_to_cart": charts.bars("chart-add-to-cart", f"Add to cart from the chat per {per}", series["add_to_cart"]),
        "intents": charts.hbars(
            "chart-intents", "Top questions by intent", [(i.intent, i.count) for i in report.intents]
        ),
        "csat": charts.hbars(
            "chart-csat", "Ratings (1 bad to 5 great)", [(f"{s} ★", n) for s, n in report.csat.scores.items()]
        ),
    }
    tables = {
        "conversations": series["conversations"],
        "resolved": series["resolved_ai"],
        "revenue": [(label, f"{value:.2f}") for label, value in series["revenue"]],
        "add_to_cart": series["add_to_cart"],
        "intents": [(i.intent, i.count) for i in report.intents],
        "csat": list(report.csat.scores.items()),
    }
    return render_template(
        "admin/analytics.html",
        shop=shop,
        report=report,
        charts=drawn,
        tables=tables,
        per=per,
        error=None,
        first=first.isoformat(),
        last=last.isoformat(),
        seconds=_seconds,
        queued=request.args.get("queued"),
    )


def _rows(report: AnalyticsReport, chart: str) -> list[list[Any]]:
    if chart == "daily":
        return [
            [
                "day",
                "conversations",
                "resolved_by_assistant",
                "handoffs",
                "opens",
                "add_to_cart",
                "orders",
                f"revenue_{report.currency}",
            ]
        ] + [
            [d.day.isoformat(), d.conversations, d.resolved_ai, d.handoffs, d.opens, d.add_to_cart, d.orders, d.revenue]
            for d in report.days
        ]
    if chart == "intents":
        return [["intent", "count"]] + [[i.intent, i.count] for i in report.intents]
    if chart == "gaps":
        return [["question", "count", "other_wordings", "conversations"]] + [
            [g.question, g.count, " | ".join(g.wordings), " ".join(map(str, g.conversations))] for g in report.gaps
        ]
    if chart == "csat":
        return [["score", "count"]] + [[s, n] for s, n in report.csat.scores.items()]
    return [["measure", "who", "count", "p50_seconds", "p90_seconds"]] + [
        [measure, who, t.count, t.p50, t.p90]
        for measure, table in (("first_response", report.first_response), ("resolution", report.resolution))
        for who, t in table.items()
    ]


def _safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (shoppers' words are in the gaps)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/analytics/export.csv")
@login_required
def export() -> Any:
    chart = request.args.get("chart", "daily")
    if chart not in EXPORTS:
        return jsonify(error={"code": "bad_input", "message": f"chart: one of {', '.join(EXPORTS)}"}), 400
    try:
        first, last = _range()
    except RangeError as exc:
        return jsonify(error={"code": "bad_input", "message": str(exc)}), 400
    _, report = _report(first, last)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _rows(report, chart):
        writer.writerow([_safe_cell(v) for v in row])
    return Response(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="storechat-{chart}-{first}-{last}.csv"'},
    )


@bp.post("/analytics/rollup")
@owner_required
def rollup_now() -> Any:
    """Queue a roll-up of the shop's last ``days`` days (default 30, at most a year)."""
    raw = str(request.form.get("days", "30"))
    days = int(raw) if re.fullmatch(r"[0-9]{1,3}", raw) else 0  # not isdigit(): int() cannot read "²"
    if not 1 <= days <= metrics.MAX_DAYS:
        return render_template(
            "admin/analytics.html", error=f"days: a number from 1 to {metrics.MAX_DAYS}", shop=None, report=None
        ), 400
    enqueue_rollup(services().redis, current_user.shop_id, days)
    return redirect(url_for("analytics.dashboard", queued=days), code=303)


@bp.get("/api/analytics")
@login_required
def api() -> Any:
    try:
        first, last = _range()
    except RangeError as exc:
        return jsonify(error={"code": "bad_input", "message": str(exc)}), 400
    _, report = _report(first, last)
    return jsonify(report.model_dump(mode="json"))


@bp.get("/api/analytics/schema.json")
@login_required
def schema() -> Any:
    return jsonify(metrics.schema())
