"""When the team is back, in the shopper's language: "Our team is back Monday
at 9:00. Leave your email and we'll answer you there."

The languages are the widget's (:mod:`core.widget.i18n`), chosen the same
way. Times are the shop's own (its business hours' time zone), on a 24-hour
clock, or a 12-hour one for American English (``en-US``). The day is
"today" or "tomorrow" when it is, else the weekday's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT = "en"


@dataclass(frozen=True)
class Words:
    #: Monday first, each as the phrase uses it ("am Montag", "el lunes").
    days: tuple[str, ...]
    today: str
    tomorrow: str
    #: "{day}" and "{time}" make the moment; "{when}" goes into the sentence.
    at: str
    sentence: str


WORDS: dict[str, Words] = {
    "en": Words(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "today",
        "tomorrow",
        "{day} at {time}",
        "Our team is back {when}. Leave your email and we'll answer you there.",
    ),
    "de": Words(
        ("am Montag", "am Dienstag", "am Mittwoch", "am Donnerstag", "am Freitag", "am Samstag", "am Sonntag"),
        "heute",
        "morgen",
        "{day} um {time}\u00a0Uhr",
        "Unser Team ist {when} wieder da. Hinterlassen Sie Ihre E-Mail-Adresse, wir antworten Ihnen dort.",
    ),
    "fr": Words(
        ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "aujourd'hui",
        "demain",
        "{day} à {time}",
        "Notre équipe est de retour {when}. Laissez votre e-mail et nous vous répondrons par e-mail.",
    ),
    "es": Words(
        ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado", "el domingo"),
        "hoy",
        "mañana",
        "{day} a las {time}",
        "Nuestro equipo vuelve {when}. Déjanos tu correo y te responderemos allí.",
    ),
    "it": Words(
        ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
        "oggi",
        "domani",
        "{day} alle {time}",
        "Il nostro team torna {when}. Lascia la tua email e ti risponderemo lì.",
    ),
    "pt": Words(
        ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado", "domingo"),
        "hoje",
        "amanhã",
        "{day} às {time}",
        "A nossa equipa volta {when}. Deixe o seu e-mail e responderemos por lá.",
    ),
    "nl": Words(
        ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "vandaag",
        "morgen",
        "{day} om {time}",
        "Ons team is {when} terug. Laat je e-mailadres achter, dan antwoorden we je daar.",
    ),
    "ar": Words(
        ("يوم الاثنين", "يوم الثلاثاء", "يوم الأربعاء", "يوم الخميس", "يوم الجمعة", "يوم السبت", "يوم الأحد"),
        "اليوم",
        "غدًا",
        "{day} الساعة {time}",
        "يعود فريقنا {when}. اترك بريدك الإلكتروني وسنرد عليك هناك.",
    ),
    "he": Words(
        ("ביום שני", "ביום שלישי", "ביום רביעי", "ביום חמישי", "ביום שישי", "בשבת", "ביום ראשון"),
        "היום",
        "מחר",
        "{day} בשעה {time}",
        "הצוות שלנו חוזר {when}. השאירו כתובת אימייל ונענה לכם שם.",
    ),
    "fa": Words(
        ("دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه"),
        "امروز",
        "فردا",
        "{day} ساعت {time}",
        "تیم ما {when} برمی\u200cگردد. ایمیل خود را بگذارید تا همان\u200cجا پاسخ دهیم.",
    ),
    "ur": Words(
        ("پیر کو", "منگل کو", "بدھ کو", "جمعرات کو", "جمعہ کو", "ہفتہ کو", "اتوار کو"),
        "آج",
        "کل",
        "{day} {time} بجے",
        "ہماری ٹیم {when} واپس آئے گی۔ اپنا ای میل چھوڑیں، ہم وہیں جواب دیں گے۔",
    ),
}

#: Where the hour before "la(s)", "alle", "às" is one o'clock, the article is singular.
_ONE_OCLOCK = {"es": (" a las ", " a la "), "it": (" alle ", " all'"), "pt": (" às ", " à ")}
_REGION = re.compile(r"[-_]([A-Za-z]{2})(?:$|[-_])")


@dataclass(frozen=True)
class Speech:
    """A language to speak and its clock."""

    lang: str
    twelve_hour: bool = False


def choose(*tags: str | None) -> Speech:
    """The first tag (in the widget's order: forced, page, shop) whose language
    we have words for; English otherwise. ``en-US`` gets a 12-hour clock."""
    # Here, not at the top: importing core.widget loads its routes, which use this module.
    from core.widget.i18n import language

    for tag in tags:
        lang = language(tag)
        if lang in WORDS:
            region = _REGION.search((tag or "").strip()[len(lang) :] + "-")
            return Speech(lang, lang == "en" and region is not None and region.group(1).upper() == "US")
    return Speech(DEFAULT)


def for_shop(settings: Mapping[str, Any] | None, page: str | None, shop_locale: str | None) -> Speech:
    """As the widget chooses (:func:`core.widget.i18n.candidates`): the page's language when
    the shop offers it, else the shop's widget ``locale`` (unless ``auto``), else its language."""
    from core.widget.i18n import candidates

    return choose(*candidates(settings, page, shop_locale))


def clock(moment: datetime, twelve_hour: bool) -> str:
    """``9:00``, ``17:30``; ``9:00 AM``, ``5:30 PM`` on a 12-hour clock."""
    if not twelve_hour:
        return f"{moment.hour}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}\u00a0{'AM' if moment.hour < 12 else 'PM'}"


def when(moment: datetime, now: datetime, zone: ZoneInfo, speech: Speech) -> str:
    """ "Monday at 9:00", "tomorrow at 9:00", in the shop's time zone."""
    words = WORDS.get(speech.lang, WORDS[DEFAULT])
    local = moment.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    day = words.today if days == 0 else words.tomorrow if days == 1 else words.days[local.weekday()]
    phrase = words.at.format(day=day, time=clock(local, speech.twelve_hour))
    if speech.lang in _ONE_OCLOCK and local.hour == 1:
        plural, singular = _ONE_OCLOCK[speech.lang]
        phrase = phrase.replace(plural, singular)
    return phrase


def team_back(moment: datetime, now: datetime, zone: ZoneInfo, speech: Speech) -> str:
    """The whole sentence: when the team is back, and to leave an email."""
    words = WORDS.get(speech.lang, WORDS[DEFAULT])
    return words.sentence.format(when=when(moment, now, zone, speech))
