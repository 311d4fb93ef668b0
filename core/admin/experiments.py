"""A/B tests in the admin: the list with each test's results, a new test's form,
start and stop (owners; agents read). core/analytics/experiments.py does the work.

Each change is audited like the settings (core/audit.py), in the change's own
transaction: ``experiment.create`` (name, target, variants), ``experiment.start``
and ``experiment.stop`` (the status before and after)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from core import audit
from core.admin.team import owner_required
from core.analytics import experiments
from core.analytics.experiments import ExperimentError
from core.db import Experiment, Shop
from core.services import services

bp = Blueprint("experiments", __name__, template_folder="templates")


def _page(status: int = 200, **extra: Any) -> tuple[str, int]:
    with services().db.session() as session:
        shop = session.get(Shop, current_user.shop_id)
        if shop is None:
            abort(404)
        rows = session.scalars(
            select(Experiment).where(Experiment.shop_id == shop.id).order_by(Experiment.id.desc())
        ).all()
        listed = [{"experiment": e, "results": experiments.results(session, e, shop.currency or "USD")} for e in rows]
        targets = [("greeting", "Greeting"), ("launcher_text", "Launcher text")] + [
            (f"trigger:{i}", f"Proactive trigger {i + 1}'s message")
            for i in range(experiments.trigger_count(shop.settings))
        ]
        return render_template(
            "admin/experiments.html", shop=shop, listed=listed, targets=targets, values=extra.pop("values", {}), **extra
        ), status


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    return _page()


@bp.post("/")
@owner_required
def create() -> Any:
    values = {
        k: str(request.form.get(k, ""))[:1001]
        for k in ("name", "target", *(f"value_{i}" for i in range(4)), *(f"weight_{i}" for i in range(4)))
    }
    try:
        spec = experiments.parse_form(request.form)
        with services().db.session() as session:
            shop = session.get_one(Shop, current_user.shop_id)
            created = experiments.create(session, shop, spec)
            target = f"trigger:{created.trigger}" if created.target == "trigger" else created.target
            audit.record_request(
                session,
                "experiment.create",
                {
                    "experiment": created.id,
                    "changes": {
                        "name": [None, created.name],
                        "target": [None, target],
                        "variants": [None, created.variants],
                    },
                },
            )
    except ExperimentError as exc:
        return _page(400, error=exc, values=values)
    return redirect(url_for("experiments.index"), code=303)


def _change(experiment_id: int, action: str) -> Any:
    try:
        with services().db.session() as session:
            experiment = session.scalar(
                select(Experiment)
                .where(Experiment.id == experiment_id, Experiment.shop_id == current_user.shop_id)
                .with_for_update()
            )
            if experiment is None:
                abort(404)
            before = experiment.status
            if action == "start":
                experiments.start(session, experiment)
            else:
                experiments.stop(experiment)
            audit.record_request(
                session,
                f"experiment.{action}",
                {
                    "experiment": experiment.id,
                    "changes": {f"{experiment.name} (#{experiment.id})": [before, experiment.status]},
                },
            )
    except ExperimentError as exc:
        return _page(409, error=exc)
    return redirect(url_for("experiments.index"), code=303)


@bp.post("/<int:experiment_id>/start")
@owner_required
def start(experiment_id: int) -> Any:
    return _change(experiment_id, "start")


@bp.post("/<int:experiment_id>/stop")
@owner_required
def stop(experiment_id: int) -> Any:
    return _change(experiment_id, "stop")
