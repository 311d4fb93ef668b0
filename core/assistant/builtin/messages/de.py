"""German."""

_CAN = ("Produkte finden, Preise und Verfügbarkeit prüfen, Fragen zu Versand und Rückgabe beantworten und Ihre "
        "Bestellung nachschlagen")

TEMPLATES = {
    "greeting": "Hallo! Ich kann " + _CAN + ". Wie kann ich Ihnen helfen?",
    "thanks": "Gern geschehen! Kann ich sonst noch helfen?",
    "goodbye": "Danke für Ihren Besuch. Einen schönen Tag noch!",
    "ack": "Prima! Kann ich sonst noch helfen?",
    "prompt": "Gern, wobei kann ich helfen?",
    "declined": "Kein Problem! Kann ich sonst noch helfen?",
    "bot": "Ich bin der automatische Assistent des Shops. Ich kann " + _CAN
           + ", oder Sie mit jemandem aus dem Team verbinden.",
    "out_of_scope": "Dabei kann ich leider nicht helfen. Ich kann " + _CAN + ".",
    "unknown": "Das habe ich leider nicht verstanden. Können Sie es anders formulieren? Ich kann " + _CAN + ".",
    "other_language": "Leider kann ich in Ihrer Sprache noch nicht helfen. Soll ich Sie mit jemandem aus dem Team "
                      "verbinden?",
    "in_stock": "auf Lager",
    "sold_out": "derzeit ausverkauft",
    "item": "{title} für {price}{was}, {stock}",
    "was": " (statt {price})",
    "search_one": "Ja! Wir haben das {item}.",
    "search_many": "Das habe ich gefunden{filters}: {items}.",
    "search_close": "Für „{asked}“ habe ich nichts Genaues gefunden, aber diese kommen nah dran: {items}.",
    "search_none": "Leider habe ich zu „{asked}“{filters} nichts in unserem Sortiment gefunden.",
    "search_browse": "Hier sind einige unserer Produkte{filters}: {items}.",
    "sale_none": "Im Moment ist nichts im Angebot.",
    "cheaper_none": "Leider habe ich nichts Günstigeres als {price}{filters} gefunden.",
    "more_none": "Das ist alles, was ich dazu gefunden habe.",
    # rankings: {what} is " im Bereich Jacken" (the shopper's words in "ranked_what"), or empty
    "ranked_what": " im Bereich {asked}",
    "ranked_price_desc": "Unsere teuersten Artikel{what}{filters}, der teuerste zuerst: {items}.",
    "ranked_price_asc": "Unsere günstigsten Artikel{what}{filters}, der günstigste zuerst: {items}.",
    "ranked_newest": "Unsere neuesten Artikel{what}{filters}, der neueste zuerst: {items}.",
    "ranked_best_value": "Das beste Preis-Leistungs-Verhältnis{what}{filters}, nach Stückpreis, der niedrigste "
                         "zuerst: {items}.",
    "ranked_best_value_price": "Das beste Preis-Leistungs-Verhältnis{what}{filters}, nach Preis, der niedrigste "
                               "zuerst: {items}.",
    "vendor_items": "Von {vendor}{filters} haben wir: {items}.",
    "vendor": "{title} ist von {vendor}.",
    "vendor_unknown": "Der Shop gibt nicht an, wer {title} herstellt. Soll ich Sie mit jemandem aus dem Team "
                      "verbinden?",
    "vendor_none": "Leider habe ich keine Produkte von „{asked}“ in unserem Sortiment gefunden.",
    "facts": "Zu {title} steht in der Beschreibung: „{facts}“",
    "facts_none": "Die Beschreibung von {title} sagt nichts über {attribute}, und ich möchte nicht raten. Soll ich "
                  "Sie mit jemandem aus dem Team verbinden?",
    "attribute_material": "das Material", "attribute_dimensions": "die Maße",
    "attribute_capacity": "das Fassungsvermögen", "attribute_seats": "die Anzahl der Sitzplätze",
    "attribute_care": "die Pflege", "attribute_included": "den Lieferumfang", "attribute_weight": "das Gewicht",
    "attribute_fit": "die Passform", "attribute_origin": "die Herkunft", "attribute_warranty": "die Garantie",
    "stock_count": "Ja, {title}{asked} ist auf Lager, für {price}: noch {quantity} Stück.",
    "stock_few": "Ja, {title}{asked} ist auf Lager, für {price}, aber nur noch wenige Stück.",
    "stock_in": "Ja, {title}{asked} ist auf Lager, für {price}.",
    "refuse_instructions": "Das kann ich nicht tun. Ich bin der Assistent des Shops: Ich kann " + _CAN + ".",
    "price": "{title} kostet {price}{was}, {stock}.",
    "details": "{title} kostet {price}{was}, {stock}.{options} {description}",
    "options": " Erhältlich in {values}.",
    "which": "Welches meinen Sie?",
    "available": "Ja, {title}{asked} ist auf Lager, für {price}.",
    "available_few": "Ja, {title}{asked} ist auf Lager, für {price}, aber nur noch wenige Stück.",
    "unavailable": "Leider ist {title}{asked} gerade ausverkauft.",
    "unavailable_all": "Leider ist {title} gerade ausverkauft.",
    "alternatives": " Verfügbar in {values}.",
    "not_offered": "{title} gibt es nicht in {asked}.",
    "single_version": " Es gibt nur eine Ausführung, und sie ist {stock}.",
    "offered_values": " Erhältlich in {values}.",
    "compare": "Der Vergleich: {lines}. {verdict}",
    "compare_cheaper": "{title} ist das günstigere der beiden.",
    "compare_same_price": "Beide kosten gleich viel.",
    "compare_which": "Welche zwei Produkte soll ich vergleichen?",
    "order_ask_both": "Gern! Wie lautet Ihre Bestellnummer, und mit welcher E-Mail-Adresse haben Sie bestellt?",
    "order_ask_email": "Danke! Mit welcher E-Mail-Adresse haben Sie die Bestellung {reference} aufgegeben?",
    "order_ask_reference": "Danke! Wie lautet Ihre Bestellnummer? Sie steht in Ihrer Bestellbestätigung.",
    "order_status": "Bestellung {name}: {status}.{items}{total}{tracking}{link}",
    "order_items": " Artikel: {items}.",
    "order_total": " Gesamt: {total}.",
    "order_tracking": " Sendungsverfolgung: {tracking}.",
    "order_link": " Details: {url}",
    "order_not_found": "Leider habe ich keine Bestellung mit diesen Angaben gefunden. Bitte prüfen Sie die "
                       "Bestellnummer und die E-Mail-Adresse, mit der Sie bestellt haben.",
    "order_locked": "Ich kann in diesem Chat keine weiteren Bestellungen nachschlagen. Soll ich Sie mit jemandem "
                    "aus dem Team verbinden?",
    "order_unavailable": "Leider erreiche ich das Bestellsystem gerade nicht. Soll ich Sie mit jemandem aus dem "
                         "Team verbinden?",
    "order_wait": "Zu viele Bestellnummern passten nicht, daher habe ich die Abfrage zu Ihrer Sicherheit pausiert. "
                  "Versuchen Sie es in {minutes} Min. erneut, oder ich verbinde Sie mit jemandem aus dem Team.",
    "order_no_details": "Kein Problem. Soll ich Sie stattdessen mit jemandem aus dem Team verbinden?",
    "knowledge": "Von unserer Seite „{title}“:\n{passage}\n\nMehr: {url}",
    "knowledge_none": "Das habe ich in den Informationen des Shops leider nicht gefunden. Soll ich Sie mit jemandem "
                      "aus dem Team verbinden?",
    "handoff_requested": "Natürlich! Ich verbinde Sie mit jemandem aus dem Team.",
    "handoff_complaint": "Das tut mir wirklich leid. Jemand aus dem Team wird Ihnen helfen.",
    "handoff_angry": "Entschuldigen Sie die Unannehmlichkeiten. Jemand aus dem Team hilft Ihnen sofort.",
    "handoff_unanswered": "Dabei kann ich leider nicht helfen. Ich bitte jemanden aus dem Team dazu.",
    "handoff_away": "{away}",
    "guard_safe": "Leider konnte ich diese Antwort nicht mit den Daten des Shops abgleichen. Soll ich Sie mit "
                  "jemandem aus dem Team verbinden?",
    "and": " und ",
    "filter_for": "für {audience}",
    "filter_in": "in {values}",
    "filter_in_stock": "auf Lager",
    "filter_on_sale": "im Angebot",
    "under": "unter", "over": "über", "between": "zwischen", "up to": "bis", "at least": "ab",
    "around": "um", "from": "ab", "to": "und",
    "women": "Damen", "men": "Herren", "kids": "Kinder",
}

QUICK = {
    "start": ["Wo ist meine Bestellung?", "Versandkosten", "Rückgabebedingungen"],
    "human": ["Mit einem Menschen sprechen"],
    "search": ["Etwas Günstigeres?", "Vergleiche die ersten beiden"],
    "product": ["Ist es auf Lager?", "Etwas Günstigeres?"],
}

STATUS = {
    "cancelled": "storniert", "received": "eingegangen", "paid": "bezahlt", "authorized": "Zahlung autorisiert",
    "pending": "Zahlung ausstehend", "refunded": "erstattet", "partially_refunded": "teilweise erstattet",
    "partially_paid": "teilweise bezahlt", "voided": "Zahlung storniert", "expired": "Zahlung abgelaufen",
    "fulfilled": "versandt", "partial": "teilweise versandt", "unfulfilled": "noch nicht versandt",
    "restocked": "zurück im Lager", "in_progress": "in Bearbeitung", "on_hold": "angehalten",
    "scheduled": "geplant",
}
