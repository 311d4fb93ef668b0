"""The merchant's settings of a shop, checked: one pydantic model per section of
the admin's Settings pages, each knowing where its values live in
``shops.settings`` and how a form spells them.

A section is read from the stored settings (:meth:`Section.current`, defensive:
a value that would not pass falls back to the default, as the widget does),
checked from a submitted form (:meth:`Section.from_form`, raising
:class:`FormError` naming the field) and written back (:meth:`Section.apply`:
a new settings dict, only this section's keys changed). Storing it is one
transaction in the caller, so nothing is ever half-saved.

Where things live (docs/widget.md lists every key):

- widget: flat keys ``title``, ``greeting``, ``color``, ``position``,
  ``launcher_text``, ``launcher_icon``, ``avatar_url``, ``quick_replies``,
  ``powered_by``, ``dark_mode``, ``contact_after``;
- triggers: ``triggers``, a list of ``{"time", "scroll", "exit", "url", "message"}``;
- languages: ``locale`` (a language or ``"auto"``) and ``languages``;
- assistant: ``assistant`` (a dict, its other keys kept): ``engine``,
  ``base_url``, ``model``, ``api_key`` (sealed), ``persona``, ``tone``,
  ``handoff_topics``, ``complaints``, ``disclose_stock``, ``low_stock_threshold``;
- privacy: ``privacy.retention_days``, and the flat ``consent_text``, ``consent_url``;
- analytics: ``analytics.attribution_days`` (core/analytics/attribution.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.analytics import attribution
from core.security.credentials import SEALED
from core.widget import i18n

#: Keys whose values never leave the server: audit entries say only that they changed.
SECRET_KEYS = frozenset({"api_key", "webhook_url"})
SECRET = "(secret)"
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
LOCALES = tuple(sorted(i18n.STRINGS))
ICONS = ("chat", "help", "bag", "none")
MAX_TRIGGERS = 10
MAX_QUICK_REPLIES = 4
MAX_TOPICS = 20


class FormError(ValueError):
    """A refused value: ``field`` is the form field's name, ``message`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def _blank(value: Any) -> Any:
    """A form's empty field is "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


def _checked(form: Mapping[str, Any], name: str) -> bool:
    return str(form.get(name, "")).lower() in ("on", "1", "true", "yes")


def _http(value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http(s) address")
    return value


class Section(BaseModel):
    """One page of settings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    #: The audit action and the page's name.
    NAME: ClassVar[str] = ""
    #: Form field -> its label, for refusals.
    LABELS: ClassVar[dict[str, str]] = {}

    @classmethod
    def check(cls, raw: dict[str, Any]) -> Section:
        """The section from plain values, or :class:`FormError` naming the first bad field."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = [str(part) for part in error["loc"]]
            message = error["msg"].removeprefix("Value error, ")
            field = cls.field_name(loc) if loc else cls.whole_field()
            raise FormError(field, message) from None

    @classmethod
    def field_name(cls, loc: list[str]) -> str:
        return loc[0]

    @classmethod
    def whole_field(cls) -> str:
        return next(iter(cls.model_fields))

    @classmethod
    def label(cls, field: str) -> str:
        base = re.sub(r"-\d+-", "-", field)
        label = cls.LABELS.get(field) or cls.LABELS.get(base) or field.replace("_", " ").capitalize()
        if match := re.match(r"trigger-(\d+)-", field):
            return f"Trigger {int(match.group(1)) + 1}: {label}"
        return label

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> Section:
        raise NotImplementedError

    @classmethod
    def current(cls, settings: Mapping[str, Any]) -> Section:
        raise NotImplementedError

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


def _flat(
    settings: Mapping[str, Any], section: Section, keys: tuple[str, ...], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``settings`` with ``keys`` set from ``section``; a default or empty value drops the key."""
    out = dict(settings)
    for key in keys:
        value = getattr(section, key)
        if value is None or value == [] or (key in defaults and value == defaults[key]):
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _lenient(cls: type[Section], values: dict[str, Any]) -> Section:
    """The stored values that pass, each on its own; the rest at their defaults."""
    good: dict[str, Any] = {}
    for key, value in values.items():
        try:
            cls.model_validate({**good, key: value})
            good[key] = value
        except ValidationError:
            continue
    try:
        return cls.model_validate(good)
    except ValidationError:
        return cls.model_validate({})


# ---- the widget


class WidgetSettings(Section):
    NAME: ClassVar[str] = "widget"
    KEYS: ClassVar[tuple[str, ...]] = (
        "title",
        "greeting",
        "color",
        "position",
        "launcher_text",
        "launcher_icon",
        "avatar_url",
        "quick_replies",
        "powered_by",
        "dark_mode",
        "contact_after",
    )
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "color": "#1f6feb",
        "position": "right",
        "launcher_icon": "chat",
        "powered_by": True,
        "dark_mode": True,
        "contact_after": 30,
    }
    LABELS: ClassVar[dict[str, str]] = {
        "title": "Title",
        "greeting": "Greeting",
        "color": "Colour",
        "position": "Position",
        "launcher_text": "Launcher text",
        "launcher_icon": "Launcher icon",
        "avatar_url": "Avatar",
        "quick_replies": "Quick replies",
        "powered_by": "Powered by StoreChat",
        "dark_mode": "Dark mode",
        "contact_after": "Offer email after",
    }

    title: str | None = Field(None, max_length=200)
    greeting: str | None = Field(None, max_length=1000)
    color: str = "#1f6feb"
    position: Literal["left", "right"] = "right"
    launcher_text: str | None = Field(None, max_length=40)
    launcher_icon: Literal["chat", "help", "bag", "none"] = "chat"
    avatar_url: str | None = Field(None, max_length=1000)
    quick_replies: list[str] = Field(default_factory=list, max_length=MAX_QUICK_REPLIES)
    powered_by: bool = True
    dark_mode: bool = True
    contact_after: int = Field(30, ge=0, le=3600)

    @field_validator("color")
    @classmethod
    def _color(cls, value: str) -> str:
        if not _COLOR.fullmatch(value):
            raise ValueError(f"{value!r} is not a colour like #1f6feb")
        return value.lower()

    @field_validator("avatar_url")
    @classmethod
    def _avatar(cls, value: str | None) -> str | None:
        return _http(value)

    @field_validator("quick_replies")
    @classmethod
    def _quick(cls, value: list[str]) -> list[str]:
        for text in value:
            if len(text) > 40:
                raise ValueError(f"{text[:20]!r}... is longer than 40 characters")
        return value

    @model_validator(mode="after")
    def _icon(self) -> WidgetSettings:
        if self.launcher_icon == "none" and not self.launcher_text:
            raise ValueError("no icon needs a launcher text")
        return self

    @classmethod
    def whole_field(cls) -> str:
        return "launcher_icon"

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> WidgetSettings:
        raw = {
            key: _blank(form.get(key))
            for key in ("title", "greeting", "color", "position", "launcher_text", "launcher_icon", "avatar_url")
        }
        raw = {
            k: v for k, v in raw.items() if v is not None or k in ("title", "greeting", "launcher_text", "avatar_url")
        }
        raw["quick_replies"] = _lines(form.get("quick_replies"))
        raw["powered_by"] = _checked(form, "powered_by")
        raw["dark_mode"] = _checked(form, "dark_mode")
        after = _blank(form.get("contact_after"))
        if after is not None:
            raw["contact_after"] = after
        return cls.check(raw)  # type: ignore[return-value]

    @classmethod
    def current(cls, settings: Mapping[str, Any]) -> WidgetSettings:
        return _lenient(cls, {k: settings[k] for k in cls.KEYS if k in settings})  # type: ignore[return-value]

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return _flat(settings, self, self.KEYS, self.DEFAULTS)

    def form(self) -> dict[str, Any]:
        values = self.model_dump()
        values["quick_replies"] = "\n".join(self.quick_replies)
        return values


# ---- proactive triggers


class Trigger(BaseModel):
    """One proactive trigger (the widget fires the first that matches)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    time: int | None = Field(None, ge=0, le=3600)
    scroll: int | None = Field(None, ge=1, le=100)
    exit: bool = False
    url: str | None = Field(None, max_length=200)
    message: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _something(self) -> Trigger:
        if self.time is None and self.scroll is None and not self.exit and not self.url:
            raise ValueError("a trigger needs a time, a scroll depth, exit intent or a page address")
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude={"exit"} if not self.exit else set())


class TriggerSettings(Section):
    NAME: ClassVar[str] = "triggers"
    LABELS: ClassVar[dict[str, str]] = {
        "trigger-time": "Seconds on the page",
        "trigger-scroll": "Scroll depth",
        "trigger-exit": "Exit intent",
        "trigger-url": "Page address contains",
        "trigger-message": "Message",
        "triggers": "Triggers",
    }
    FIELDS: ClassVar[tuple[str, ...]] = ("time", "scroll", "exit", "url", "message")

    triggers: list[Trigger] = Field(default_factory=list, max_length=MAX_TRIGGERS)

    @classmethod
    def field_name(cls, loc: list[str]) -> str:
        if len(loc) >= 2 and loc[1].isdigit():
            return f"trigger-{loc[1]}-{loc[2] if len(loc) > 2 else 'time'}"
        return "triggers"

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> TriggerSettings:
        rows = sorted({int(m.group(1)) for key in form for m in [re.fullmatch(r"trigger-(\d+)-\w+", key)] if m})
        found: list[Trigger] = []
        for n in rows[:50]:
            row = {f: _blank(form.get(f"trigger-{n}-{f}")) for f in cls.FIELDS if f != "exit"}
            exit_ = _checked(form, f"trigger-{n}-exit")
            if all(v is None for v in row.values()) and not exit_:
                continue  # an empty row: no trigger
            try:
                found.append(Trigger.model_validate({**{k: v for k, v in row.items() if v is not None}, "exit": exit_}))
            except ValidationError as exc:
                error = exc.errors()[0]
                field = str(error["loc"][0]) if error["loc"] else "time"
                raise FormError(f"trigger-{n}-{field}", error["msg"].removeprefix("Value error, ")) from None
        return cls.check({"triggers": found})  # type: ignore[return-value]

    @classmethod
    def current(cls, settings: Mapping[str, Any]) -> TriggerSettings:
        value = settings.get("triggers")
        rows = [value] if isinstance(value, dict) else value if isinstance(value, list) else []
        good = []
        for row in rows[:MAX_TRIGGERS]:
            try:
                good.append(Trigger.model_validate(row))
            except ValidationError:
                continue
        return cls(triggers=good)

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(settings)
        if self.triggers:
            out["triggers"] = [t.stored() for t in self.triggers]
        else:
            out.pop("triggers", None)
        return out


# ---- languages


class LanguageSettings(Section):
    NAME: ClassVar[str] = "languages"
    LABELS: ClassVar[dict[str, str]] = {"locale": "Default language", "languages": "Languages offered"}

    locale: str = "auto"
    languages: list[str] = Field(default_factory=list, max_length=len(LOCALES))

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value != "auto" and value not in LOCALES:
            raise ValueError(f"{value!r} is not one of the widget's languages ({', '.join(LOCALES)}) or auto")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        for code in value:
            if code not in LOCALES:
                raise ValueError(f"{code!r} is not one of the widget's languages")
        return sorted(set(value))

    @model_validator(mode="after")
    def _default_offered(self) -> LanguageSettings:
        if self.locale != "auto" and self.languages and self.locale not in self.languages:
            raise ValueError(f"the default language {self.locale!r} must be one of the languages offered")
        return self

    @classmethod
    def whole_field(cls) -> str:
        return "locale"

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> LanguageSettings:
        getlist = getattr(form, "getlist", None)
        offered = getlist("languages") if getlist else list(form.get("languages") or [])
        return cls.check(
            {
                "locale": _blank(form.get("locale")) or "auto",  # type: ignore[return-value]
                "languages": [str(x) for x in offered],
            }
        )

    @classmethod
    def current(cls, settings: Mapping[str, Any]) -> LanguageSettings:
        return _lenient(cls, {k: settings[k] for k in ("locale", "languages") if k in settings})  # type: ignore

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return _flat(settings, self, ("locale", "languages"), {"locale": "auto"})


# ---- the assistant


class AssistantSettings(Section):
    NAME: ClassVar[str] = "assistant"
    KEYS: ClassVar[tuple[str, ...]] = (
        "engine",
        "base_url",
        "model",
        "persona",
        "tone",
        "handoff_topics",
        "complaints",
        "disclose_stock",
        "low_stock_threshold",
    )
    LABELS: ClassVar[dict[str, str]] = {
        "engine": "Engine",
        "base_url": "Endpoint",
        "model": "Model",
        "api_key": "API key",
        "persona": "Persona",
        "tone": "Tone",
        "handoff_topics": "Topics for a person",
        "complaints": "Complaints",
        "disclose_stock": "Disclose stock counts",
        "low_stock_threshold": "Low stock threshold",
    }

    engine: Literal["builtin", "openai"] = "builtin"
    base_url: str | None = Field(None, max_length=1000)
    model: str | None = Field(None, max_length=200)
    #: Only a new key; None keeps the stored one (``clear_key`` drops it).
    api_key: str | None = Field(None, max_length=1000, repr=False)
    clear_key: bool = False
    persona: str | None = Field(None, max_length=400)
    tone: str | None = Field(None, max_length=200)
    handoff_topics: list[str] = Field(default_factory=list, max_length=MAX_TOPICS)
    #: A complaint goes to a person at once, or the assistant answers it first.
    complaints: Literal["handoff", "assistant"] = "handoff"
    disclose_stock: bool = True
    low_stock_threshold: int = Field(5, ge=0, le=1_000_000)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return _http(value)

    @field_validator("handoff_topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        for topic in value:
            if len(topic) > 80:
                raise ValueError(f"{topic[:20]!r}... is longer than 80 characters")
        return value

    @model_validator(mode="after")
    def _engine(self) -> AssistantSettings:
        if self.engine == "openai" and not self.model:
            raise ValueError("the OpenAI-compatible engine needs a model")
        return self

    @classmethod
    def whole_field(cls) -> str:
        return "model"

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> AssistantSettings:
        raw: dict[str, Any] = {
            k: _blank(form.get(k))
            for k in ("engine", "base_url", "model", "api_key", "persona", "tone", "complaints", "low_stock_threshold")
        }
        raw = {
            k: v for k, v in raw.items() if v is not None or k not in ("engine", "complaints", "low_stock_threshold")
        }
        raw["handoff_topics"] = _lines(form.get("handoff_topics"))
        raw["disclose_stock"] = _checked(form, "disclose_stock")
        raw["clear_key"] = _checked(form, "clear_key")
        return cls.check(raw)  # type: ignore[return-value]

    @classmethod
    def current(cls, settings: Mapping[str, Any]) -> AssistantSettings:
        stored = found if isinstance(found := settings.get("assistant"), dict) else {}
        values = {k: stored[k] for k in cls.KEYS if k in stored}
        if values.get("engine") not in ("builtin", "openai"):
            values.pop("engine", None)
        return _lenient(cls, values)  # type: ignore[return-value]

    def config(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """The ``assistant`` dict to keep (the key still plain: the caller seals it);
        the stored keys this page does not show (templates, timeouts) stay."""
        out = {k: v for k, v in stored.items() if k not in self.KEYS}
        for key in self.KEYS:
            value = getattr(self, key)
            if value is not None and value != []:
                out[key] = value
        if self.clear_key:
            out.pop("api_key", None)
            out.pop("$sealed", None)
        if self.api_key:
            out["api_key"] = self.api_key
        return out

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        stored = settings.get("assistant") if isinstance(settings.get("assistant"), dict) else {}
        return {**settings, "assistant": self.config(stored)}  # type: ignore[arg-type]

    def form(self) -> dict[str, Any]:
        values = self.model_dump(exclude={"api_key"})
        values["handoff_topics"] = "\n".join(self.handoff_topics)
        return values


# ---- privacy


class PrivacySettings(Section):
    NAME: ClassVar[str] = "privacy"
    LABELS: ClassVar[dict[str, str]] = {
        "retention_days": "Keep conversations for",
        "consent_text": "Consent notice",
        "consent_url": "Privacy policy link",
    }

    #: Days conversations and shopper data are kept; None: kept until erased.
    retention_days: int | None = Field(None, ge=1, le=3650)
    consent_text: str | None = Field(None, max_length=500)
    consent_url: str | None = Field(None, max_length=1000)

    @field_validator("consent_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http(value)

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> PrivacySettings:
        return cls.check(
            {
                k: _blank(form.get(k))  # type: ignore[return-value]
                for k in ("retention_days", "consent_text", "consent_url")
            }
        )

    @classmethod
    def current(cls, settings: Mapping[str, Any]) -> PrivacySettings:
        privacy = settings.get("privacy") if isinstance(settings.get("privacy"), dict) else {}
        values = {k: settings[k] for k in ("consent_text", "consent_url") if k in settings}
        if "retention_days" in privacy:  # type: ignore[operator]
            values["retention_days"] = privacy["retention_days"]  # type: ignore[index]
        return _lenient(cls, values)  # type: ignore[return-value]

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        out = _flat(settings, self, ("consent_text", "consent_url"), {})
        privacy = {k: v for k, v in (out.get("privacy") or {}).items() if k != "retention_days"}
        if self.retention_days is not None:
            privacy["retention_days"] = self.retention_days
        if privacy:
            out["privacy"] = privacy
        else:
            out.pop("privacy", None)
        return out


# ---- analytics: how long after a chat an order still counts as the chat's


class AnalyticsSettings(Section):
    NAME: ClassVar[str] = "analytics"
    LABELS: ClassVar[dict[str, str]] = {"attribution_days": "Count orders placed within"}

    #: Days after a conversation's last activity an order naming it is attributed to it.
    attribution_days: int = Field(attribution.DEFAULT_DAYS, ge=1, le=attribution.MAX_DAYS)

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> AnalyticsSettings:
        days = _blank(form.get("attribution_days"))
        return cls.check({} if days is None else {"attribution_days": days})  # type: ignore[return-value]

    @classmethod
    def current(cls, settings: Mapping[str, Any]) -> AnalyticsSettings:
        return cls(attribution_days=attribution.window_days(settings))

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(settings)
        analytics = (
            {k: v for k, v in (out.get("analytics") or {}).items() if k != "attribution_days"}
            if isinstance(out.get("analytics"), dict)
            else {}
        )
        if self.attribution_days != attribution.DEFAULT_DAYS:
            analytics["attribution_days"] = self.attribution_days
        if analytics:
            out["analytics"] = analytics
        else:
            out.pop("analytics", None)
        return out


SECTIONS: dict[str, type[Section]] = {
    cls.NAME: cls
    for cls in (
        WidgetSettings,
        TriggerSettings,
        LanguageSettings,
        AssistantSettings,
        PrivacySettings,
        AnalyticsSettings,
    )
}


def retention_days(settings: Mapping[str, Any] | None) -> int | None:
    """The shop's retention in days (None: keep), read defensively."""
    return PrivacySettings.current(settings or {}).retention_days


# ---- what changed, for the audit log


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {prefix: value}


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """``{"path.to.key": [old, new]}`` for every value that differs; secrets shown only as
    ``"(secret)"``. Give it opened (unsealed) settings: sealed tokens are skipped."""
    old, new = _flatten(dict(before or {})), _flatten(dict(after or {}))
    found: dict[str, list[Any]] = {}
    for key in sorted(old.keys() | new.keys()):
        if key == "" or old.get(key) == new.get(key) or SEALED in key.split("."):
            continue  # a sealed token differs at each sealing: callers compare opened values
        if any(part in SECRET_KEYS for part in key.split(".")):
            found[key] = [SECRET if old.get(key) else None, SECRET if new.get(key) else None]
        else:
            found[key] = [old.get(key), new.get(key)]
    return found
