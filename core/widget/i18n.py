"""The widget's own words, per locale, and which locale a page gets.

The config endpoint sends the strings of one locale, so the scripts carry no
translations. ``{name}``, ``{n}``, ``{title}`` and ``{email}`` are filled in
by the widget. Messages from the server (the assistant, system notices) are
not translated here, except the refusals a shopper can act on: ``e_<code>``
words an ``error`` frame's code (docs/protocol.md) in the page's language.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Languages written right to left: the panel gets ``dir="rtl"``.
RTL = frozenset({"ar", "he", "fa", "ur"})
DEFAULT = "en"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "open": "Open chat", "close": "Close chat", "label": "Message", "ph": "Type your message…", "send": "Send",
        "you": "You", "bot": "Assistant", "agent": "Agent", "notice": "Notice", "typing": "Typing…",
        "human": "Talk to a person", "with": "You're chatting with {name}", "team": "our team",
        "new": "Send a message to start a new conversation.", "rate": "How was this conversation?", "good": "Good",
        "bad": "Bad", "rated": "Thanks for your feedback!",
        "away": "No one is available right now. Leave your email and we'll reply.", "email": "Your email",
        "saved": "Thanks! We'll reply to {email}.", "accept": "Accept", "policy": "Privacy policy",
        "add": "Add to cart", "view": "View", "added": "Added {title} to your cart.",
        "cart_err": "Couldn't add {title} to your cart.", "stock": "In stock", "sold": "Sold out",
        "unread": "{n} unread", "error": "Something went wrong.", "powered": "Powered by StoreChat",
        "greeting": "Hi! Ask me anything about our products.", "dismiss": "Dismiss",
        "e_rate_limited": "You're sending too fast. Please wait a moment and try again.",
        "e_contact_limit": "We already have enough email addresses for this conversation.",
    },
    "de": {
        "open": "Chat öffnen", "close": "Chat schließen", "label": "Nachricht", "ph": "Nachricht eingeben…",
        "send": "Senden", "you": "Sie", "bot": "Assistent", "agent": "Mitarbeiter", "notice": "Hinweis",
        "typing": "Schreibt…", "human": "Mit einem Menschen sprechen", "with": "Sie chatten mit {name}",
        "team": "unserem Team", "new": "Schreiben Sie eine Nachricht, um ein neues Gespräch zu beginnen.",
        "rate": "Wie war dieses Gespräch?", "good": "Gut", "bad": "Schlecht", "rated": "Danke für Ihr Feedback!",
        "away": "Gerade ist niemand erreichbar. Hinterlassen Sie Ihre E-Mail-Adresse, wir antworten Ihnen.",
        "email": "Ihre E-Mail-Adresse", "saved": "Danke! Wir antworten an {email}.", "accept": "Akzeptieren",
        "policy": "Datenschutzerklärung", "add": "In den Warenkorb", "view": "Ansehen",
        "added": "{title} wurde in den Warenkorb gelegt.",
        "cart_err": "{title} konnte nicht in den Warenkorb gelegt werden.", "stock": "Auf Lager",
        "sold": "Ausverkauft", "unread": "{n} ungelesen", "error": "Etwas ist schiefgelaufen.",
        "powered": "Bereitgestellt von StoreChat", "greeting": "Hallo! Fragen Sie mich alles zu unseren Produkten.",
        "dismiss": "Schließen",
        "e_rate_limited": "Sie senden zu schnell. Bitte warten Sie einen Moment und versuchen Sie es erneut.",
        "e_contact_limit": "Für dieses Gespräch haben wir bereits genug E-Mail-Adressen.",
    },
    "fr": {
        "open": "Ouvrir le chat", "close": "Fermer le chat", "label": "Message", "ph": "Écrivez votre message…",
        "send": "Envoyer", "you": "Vous", "bot": "Assistant", "agent": "Conseiller", "notice": "Information",
        "typing": "En train d'écrire…", "human": "Parler à une personne", "with": "Vous discutez avec {name}",
        "team": "notre équipe", "new": "Envoyez un message pour commencer une nouvelle conversation.",
        "rate": "Comment s'est passée cette conversation\u00a0?", "good": "Bien", "bad": "Pas bien",
        "rated": "Merci pour votre avis\u00a0!",
        "away": "Personne n'est disponible pour le moment. Laissez votre e-mail et nous vous répondrons.",
        "email": "Votre e-mail", "saved": "Merci\u00a0! Nous répondrons à {email}.", "accept": "Accepter",
        "policy": "Politique de confidentialité", "add": "Ajouter au panier", "view": "Voir",
        "added": "{title} a été ajouté à votre panier.", "cart_err": "Impossible d'ajouter {title} à votre panier.",
        "stock": "En stock", "sold": "Épuisé", "unread": "{n} non lu(s)", "error": "Une erreur s'est produite.",
        "powered": "Propulsé par StoreChat", "greeting": "Bonjour\u00a0! Posez-moi vos questions sur nos produits.",
        "dismiss": "Fermer",
        "e_rate_limited": "Vous envoyez trop vite. Patientez un instant, puis réessayez.",
        "e_contact_limit": "Nous avons déjà assez d'adresses e-mail pour cette conversation.",
    },
    "es": {
        "open": "Abrir el chat", "close": "Cerrar el chat", "label": "Mensaje", "ph": "Escribe tu mensaje…",
        "send": "Enviar", "you": "Tú", "bot": "Asistente", "agent": "Agente", "notice": "Aviso",
        "typing": "Escribiendo…", "human": "Hablar con una persona", "with": "Estás hablando con {name}",
        "team": "nuestro equipo", "new": "Envía un mensaje para empezar una nueva conversación.",
        "rate": "¿Qué tal ha ido esta conversación?", "good": "Bien", "bad": "Mal",
        "rated": "¡Gracias por tu opinión!",
        "away": "Ahora mismo no hay nadie disponible. Déjanos tu correo y te responderemos.",
        "email": "Tu correo electrónico", "saved": "¡Gracias! Te responderemos a {email}.", "accept": "Aceptar",
        "policy": "Política de privacidad", "add": "Añadir al carrito", "view": "Ver",
        "added": "{title} se ha añadido a tu carrito.", "cart_err": "No se pudo añadir {title} a tu carrito.",
        "stock": "En stock", "sold": "Agotado", "unread": "{n} sin leer", "error": "Algo ha salido mal.",
        "powered": "Con la tecnología de StoreChat",
        "greeting": "¡Hola! Pregúntame lo que quieras sobre nuestros productos.", "dismiss": "Cerrar",
        "e_rate_limited": "Estás enviando demasiado rápido. Espera un momento y vuelve a intentarlo.",
        "e_contact_limit": "Ya tenemos suficientes correos electrónicos para esta conversación.",
    },
    "it": {
        "open": "Apri la chat", "close": "Chiudi la chat", "label": "Messaggio", "ph": "Scrivi un messaggio…",
        "send": "Invia", "you": "Tu", "bot": "Assistente", "agent": "Operatore", "notice": "Avviso",
        "typing": "Sta scrivendo…", "human": "Parla con una persona", "with": "Stai parlando con {name}",
        "team": "il nostro team", "new": "Invia un messaggio per iniziare una nuova conversazione.",
        "rate": "Com'è andata questa conversazione?", "good": "Bene", "bad": "Male",
        "rated": "Grazie per il tuo feedback!",
        "away": "Al momento non c'è nessuno disponibile. Lascia la tua email e ti risponderemo.",
        "email": "La tua email", "saved": "Grazie! Ti risponderemo a {email}.", "accept": "Accetto",
        "policy": "Informativa sulla privacy", "add": "Aggiungi al carrello", "view": "Vedi",
        "added": "{title} è stato aggiunto al carrello.", "cart_err": "Impossibile aggiungere {title} al carrello.",
        "stock": "Disponibile", "sold": "Esaurito", "unread": "{n} non letti", "error": "Qualcosa è andato storto.",
        "powered": "Offerto da StoreChat", "greeting": "Ciao! Chiedimi qualsiasi cosa sui nostri prodotti.",
        "dismiss": "Chiudi",
        "e_rate_limited": "Stai inviando troppo velocemente. Attendi un momento e riprova.",
        "e_contact_limit": "Abbiamo già abbastanza indirizzi email per questa conversazione.",
    },
    "pt": {
        "open": "Abrir o chat", "close": "Fechar o chat", "label": "Mensagem", "ph": "Escreva a sua mensagem…",
        "send": "Enviar", "you": "Você", "bot": "Assistente", "agent": "Atendente", "notice": "Aviso",
        "typing": "A escrever…", "human": "Falar com uma pessoa", "with": "Está a falar com {name}",
        "team": "a nossa equipa", "new": "Envie uma mensagem para iniciar uma nova conversa.",
        "rate": "Como correu esta conversa?", "good": "Bem", "bad": "Mal", "rated": "Obrigado pela sua opinião!",
        "away": "De momento ninguém está disponível. Deixe o seu e-mail e responderemos.", "email": "O seu e-mail",
        "saved": "Obrigado! Responderemos para {email}.", "accept": "Aceitar", "policy": "Política de privacidade",
        "add": "Adicionar ao carrinho", "view": "Ver", "added": "{title} foi adicionado ao carrinho.",
        "cart_err": "Não foi possível adicionar {title} ao carrinho.", "stock": "Em stock", "sold": "Esgotado",
        "unread": "{n} por ler", "error": "Algo correu mal.", "powered": "Com tecnologia StoreChat",
        "greeting": "Olá! Pergunte-me o que quiser sobre os nossos produtos.", "dismiss": "Fechar",
        "e_rate_limited": "Está a enviar demasiado depressa. Aguarde um momento e tente novamente.",
        "e_contact_limit": "Já temos endereços de e-mail suficientes para esta conversa.",
    },
    "nl": {
        "open": "Chat openen", "close": "Chat sluiten", "label": "Bericht", "ph": "Typ je bericht…",
        "send": "Versturen", "you": "Jij", "bot": "Assistent", "agent": "Medewerker", "notice": "Melding",
        "typing": "Typt…", "human": "Met een persoon praten", "with": "Je chat met {name}", "team": "ons team",
        "new": "Stuur een bericht om een nieuw gesprek te beginnen.", "rate": "Hoe was dit gesprek?",
        "good": "Goed", "bad": "Slecht", "rated": "Bedankt voor je feedback!",
        "away": "Er is nu niemand beschikbaar. Laat je e-mailadres achter, dan antwoorden we je.",
        "email": "Je e-mailadres", "saved": "Bedankt! We antwoorden naar {email}.", "accept": "Accepteren",
        "policy": "Privacybeleid", "add": "In winkelwagen", "view": "Bekijken",
        "added": "{title} is aan je winkelwagen toegevoegd.", "cart_err": "{title} kon niet worden toegevoegd.",
        "stock": "Op voorraad", "sold": "Uitverkocht", "unread": "{n} ongelezen", "error": "Er ging iets mis.",
        "powered": "Mogelijk gemaakt door StoreChat", "greeting": "Hoi! Vraag me alles over onze producten.",
        "dismiss": "Sluiten",
        "e_rate_limited": "Je verstuurt te snel. Wacht even en probeer het opnieuw.",
        "e_contact_limit": "We hebben al genoeg e-mailadressen voor dit gesprek.",
    },
    "ar": {
        "open": "فتح الدردشة", "close": "إغلاق الدردشة", "label": "الرسالة", "ph": "اكتب رسالتك…", "send": "إرسال",
        "you": "أنت", "bot": "المساعد", "agent": "موظف", "notice": "تنبيه", "typing": "يكتب…",
        "human": "التحدث مع شخص", "with": "أنت تتحدث مع {name}", "team": "فريقنا",
        "new": "أرسل رسالة لبدء محادثة جديدة.", "rate": "كيف كانت هذه المحادثة؟", "good": "جيدة", "bad": "سيئة",
        "rated": "شكرًا على رأيك!", "away": "لا يوجد أحد متاح الآن. اترك بريدك الإلكتروني وسنرد عليك.",
        "email": "بريدك الإلكتروني", "saved": "شكرًا! سنرد على {email}.", "accept": "موافق",
        "policy": "سياسة الخصوصية", "add": "أضف إلى السلة", "view": "عرض", "added": "تمت إضافة {title} إلى سلتك.",
        "cart_err": "تعذّرت إضافة {title} إلى سلتك.", "stock": "متوفر", "sold": "نفدت الكمية",
        "unread": "{n} غير مقروءة", "error": "حدث خطأ ما.", "powered": "مدعوم من StoreChat",
        "greeting": "مرحبًا! اسألني عن أي شيء يخص منتجاتنا.", "dismiss": "إغلاق",
        "e_rate_limited": "أنت ترسل بسرعة كبيرة. انتظر لحظة ثم حاول مرة أخرى.",
        "e_contact_limit": "لدينا بالفعل عناوين بريد إلكتروني كافية لهذه المحادثة.",
    },
    "he": {
        "open": "פתיחת צ'אט", "close": "סגירת צ'אט", "label": "הודעה", "ph": "כתבו הודעה…", "send": "שליחה",
        "you": "אתם", "bot": "עוזר", "agent": "נציג", "notice": "הודעת מערכת", "typing": "כותב…",
        "human": "שיחה עם נציג", "with": "אתם מדברים עם {name}", "team": "הצוות שלנו",
        "new": "שלחו הודעה כדי להתחיל שיחה חדשה.", "rate": "איך הייתה השיחה?", "good": "טובה", "bad": "לא טובה",
        "rated": "תודה על המשוב!", "away": "אין כרגע נציג זמין. השאירו כתובת אימייל ונחזור אליכם.",
        "email": "כתובת האימייל שלכם", "saved": "תודה! נענה ל-{email}.", "accept": "מאשר",
        "policy": "מדיניות פרטיות", "add": "הוספה לעגלה", "view": "לצפייה", "added": "{title} נוסף לעגלה.",
        "cart_err": "לא ניתן להוסיף את {title} לעגלה.", "stock": "במלאי", "sold": "אזל מהמלאי",
        "unread": "{n} לא נקראו", "error": "משהו השתבש.", "powered": "מופעל על ידי StoreChat",
        "greeting": "שלום! שאלו אותי כל דבר על המוצרים שלנו.", "dismiss": "סגירה",
        "e_rate_limited": "אתם שולחים מהר מדי. המתינו רגע ונסו שוב.",
        "e_contact_limit": "כבר יש לנו מספיק כתובות אימייל לשיחה הזו.",
    },
    "fa": {
        "open": "باز کردن گفتگو", "close": "بستن گفتگو", "label": "پیام", "ph": "پیام خود را بنویسید…",
        "send": "ارسال", "you": "شما", "bot": "دستیار", "agent": "پشتیبان", "notice": "اطلاعیه",
        "typing": "در حال نوشتن…", "human": "گفتگو با یک شخص", "with": "شما با {name} گفتگو می\u200cکنید",
        "team": "تیم ما", "new": "برای شروع گفتگوی جدید پیامی بفرستید.", "rate": "این گفتگو چطور بود؟",
        "good": "خوب", "bad": "بد", "rated": "از بازخورد شما سپاسگزاریم!",
        "away": "در حال حاضر کسی در دسترس نیست. ایمیل خود را بگذارید تا پاسخ دهیم.", "email": "ایمیل شما",
        "saved": "سپاس! به {email} پاسخ می\u200cدهیم.", "accept": "می\u200cپذیرم", "policy": "حریم خصوصی",
        "add": "افزودن به سبد خرید", "view": "مشاهده", "added": "{title} به سبد خرید شما افزوده شد.",
        "cart_err": "افزودن {title} به سبد خرید ممکن نشد.", "stock": "موجود", "sold": "ناموجود",
        "unread": "{n} خوانده\u200cنشده", "error": "مشکلی پیش آمد.", "powered": "قدرت\u200cگرفته از StoreChat",
        "greeting": "سلام! هر سؤالی درباره محصولات ما دارید بپرسید.", "dismiss": "بستن",
        "e_rate_limited": "خیلی سریع ارسال می\u200cکنید. لحظه\u200cای صبر کنید و دوباره تلاش کنید.",
        "e_contact_limit": "برای این گفتگو به اندازه کافی نشانی ایمیل داریم.",
    },
    "ur": {
        "open": "چیٹ کھولیں", "close": "چیٹ بند کریں", "label": "پیغام", "ph": "اپنا پیغام لکھیں…",
        "send": "بھیجیں", "you": "آپ", "bot": "معاون", "agent": "نمائندہ", "notice": "اطلاع",
        "typing": "لکھ رہے ہیں…", "human": "کسی شخص سے بات کریں", "with": "آپ {name} سے بات کر رہے ہیں",
        "team": "ہماری ٹیم", "new": "نئی گفتگو شروع کرنے کے لیے پیغام بھیجیں۔", "rate": "یہ گفتگو کیسی رہی؟",
        "good": "اچھی", "bad": "بری", "rated": "آپ کی رائے کا شکریہ!",
        "away": "اس وقت کوئی دستیاب نہیں۔ اپنا ای میل چھوڑیں، ہم جواب دیں گے۔", "email": "آپ کا ای میل",
        "saved": "شکریہ! ہم {email} پر جواب دیں گے۔", "accept": "قبول ہے", "policy": "رازداری کی پالیسی",
        "add": "ٹوکری میں شامل کریں", "view": "دیکھیں", "added": "{title} آپ کی ٹوکری میں شامل ہو گیا۔",
        "cart_err": "{title} ٹوکری میں شامل نہیں ہو سکا۔", "stock": "دستیاب", "sold": "ختم ہو گیا",
        "unread": "{n} بغیر پڑھے", "error": "کچھ غلط ہو گیا۔", "powered": "StoreChat کے تعاون سے",
        "greeting": "السلام علیکم! ہماری مصنوعات کے بارے میں کچھ بھی پوچھیں۔", "dismiss": "بند کریں",
        "e_rate_limited": "آپ بہت تیزی سے بھیج رہے ہیں۔ ذرا انتظار کریں اور دوبارہ کوشش کریں۔",
        "e_contact_limit": "اس گفتگو کے لیے ہمارے پاس پہلے ہی کافی ای میل پتے ہیں۔",
    },
}

_TAG = re.compile(r"[A-Za-z]{2,3}")


def language(tag: str | None) -> str | None:
    """``"de"`` for ``"de-AT"``, ``"de_at"`` or ``"DE"``; None for nothing usable."""
    head = re.split(r"[-_]", (tag or "").strip(), maxsplit=1)[0]
    return head.lower() if _TAG.fullmatch(head) else None


def candidates(settings: Mapping[str, Any] | None, page: str | None, shop: str | None) -> list[str | None]:
    """The language tags to try for a page, best first (the widget's and the team-back
    sentence's choice: :mod:`core.business_hours_words` follows the same order).

    ``settings["locale"]`` is the widget's default language (``"auto"`` or unset: the
    shop's own, ``shops.locale``); ``settings["languages"]`` the others it offers. The
    page's language (the script's ``data-locale``, else ``<html lang>``) comes first when
    it is offered: one of ``languages`` or the default itself. Without ``languages``, a
    set ``locale`` is the only one offered, and with ``auto`` (or none) every language is."""
    prefs = settings or {}
    forced = prefs.get("locale")
    default = forced if isinstance(forced, str) and forced.strip() and forced != "auto" else None
    offered = prefs.get("languages")
    page_lang = language(page)
    if isinstance(offered, list):
        allowed = {language(tag) for tag in offered if isinstance(tag, str)} | {language(default or shop)}
        use_page = page_lang in allowed
    else:
        use_page = default is None
    return [page if use_page and page_lang else None, default, shop]


def resolve(settings: Mapping[str, Any] | None, page: str | None, shop: str | None) -> tuple[str, str]:
    """``(locale, dir)`` for a page: the first of :func:`candidates` we have strings for,
    else English."""
    for tag in candidates(settings, page, shop):
        lang = language(tag)
        if lang in STRINGS:
            return lang, "rtl" if lang in RTL else "ltr"
    return DEFAULT, "ltr"


def strings(locale: str) -> dict[str, str]:
    return STRINGS.get(locale, STRINGS[DEFAULT])


# ---- prices: the widget formats them from this, not with Intl.NumberFormat, whose
# first use in a page loads ICU data (a 60 ms task, 250 ms on a slow phone).

#: locale -> (decimal separator, group separator, symbol before the number)
NUMBERS: dict[str, tuple[str, str, bool]] = {
    "en": (".", ",", True), "de": (",", ".", False), "fr": (",", "\u202f", False), "es": (",", ".", False),
    "it": (",", ".", False), "pt": (",", ".", False), "nl": (",", ".", True), "ar": (".", ",", False),
    "he": (".", ",", False), "fa": (".", ",", False), "ur": (".", ",", True),
}
SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "JPY": "\u00a5", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$",
           "INR": "\u20b9", "BRL": "R$", "MXN": "MX$", "ILS": "\u20aa", "KRW": "\u20a9", "CNY": "CN\u00a5"}
NO_DECIMALS = frozenset({"JPY", "KRW"})


def money_format(locale: str, currency: str) -> dict[str, Any]:
    """How the widget writes a price: ``{"p": before, "s": after, "d": decimal
    separator, "g": group separator, "n": decimals}``; ``80`` in German euros
    reads ``80,00 €``, in English dollars ``$80.00``."""
    code = (currency or "USD").upper()
    decimal, group, before = NUMBERS.get(locale, NUMBERS[DEFAULT])
    symbol = SYMBOLS.get(code, code)
    # A symbol made of letters (CHF, SEK) or after the number keeps a (non-breaking) space.
    spaced = not before or symbol[-1].isalpha() or locale == "nl"
    sign = symbol + "\u00a0" if before and spaced else symbol
    return {"p": sign if before else "", "s": "" if before else "\u00a0" + symbol, "d": decimal, "g": group,
            "n": 0 if code in NO_DECIMALS else 2}
