"""Italian."""

_CAN = ("trovare prodotti, verificare prezzi e disponibilità, rispondere a domande su spedizioni e resi, e "
        "controllare il tuo ordine")

TEMPLATES = {
    "greeting": "Ciao! Posso aiutarti a " + _CAN + ". Come posso aiutarti?",
    "thanks": "Prego! Posso aiutarti in qualcos'altro?",
    "goodbye": "Grazie per la visita. Buona giornata!",
    "ack": "Perfetto! Posso aiutarti in qualcos'altro?",
    "prompt": "Certo, come posso aiutarti?",
    "declined": "Nessun problema! Posso aiutarti in qualcos'altro?",
    "bot": "Sono l'assistente automatico del negozio. Posso aiutarti a " + _CAN
           + ", oppure metterti in contatto con qualcuno del team.",
    "out_of_scope": "Mi dispiace, non posso aiutarti con questo. Posso aiutarti a " + _CAN + ".",
    "unknown": "Mi dispiace, non ho capito. Puoi dirlo in un altro modo? Posso aiutarti a " + _CAN + ".",
    "other_language": "Mi dispiace, non posso ancora aiutarti nella tua lingua. Vuoi che ti metta in contatto con "
                      "qualcuno del team?",
    "in_stock": "disponibile",
    "sold_out": "al momento esaurito",
    "item": "{title} a {price}{was}, {stock}",
    "was": " (prima {price})",
    "search_one": "Sì! Abbiamo il {item}.",
    "search_many": "Ecco cosa ho trovato{filters}: {items}.",
    "search_close": "Non ho trovato nulla di esatto per «{asked}», ma questi ci vanno vicino: {items}.",
    "search_none": "Mi dispiace, non ho trovato nulla per «{asked}»{filters} nel nostro catalogo.",
    "search_browse": "Ecco alcuni dei nostri prodotti{filters}: {items}.",
    "sale_none": "Al momento non vedo nulla in saldo.",
    "cheaper_none": "Mi dispiace, non ho trovato nulla di più economico di {price}{filters}.",
    "more_none": "È tutto quello che ho trovato.",
    # rankings: {what} is " nella categoria giacche" (the shopper's words in "ranked_what"), or empty
    "ranked_what": " nella categoria {asked}",
    "ranked_price_desc": "I nostri articoli più cari{what}{filters}, dal più caro al meno caro: {items}.",
    "ranked_price_asc": "I nostri articoli più economici{what}{filters}, dal meno caro al più caro: {items}.",
    "ranked_newest": "Le nostre ultime novità{what}{filters}, dalla più recente: {items}.",
    "ranked_best_value": "Il miglior rapporto qualità-prezzo{what}{filters}, per prezzo unitario dal più basso: "
                         "{items}.",
    "ranked_best_value_price": "Il miglior rapporto qualità-prezzo{what}{filters}, per prezzo dal più basso: "
                               "{items}.",
    "vendor_items": "Di {vendor}{filters} abbiamo: {items}.",
    "vendor": "Il {title} è prodotto da {vendor}.",
    "vendor_unknown": "Il negozio non indica chi produce il {title}. Vuoi che ti metta in contatto con qualcuno del "
                      "team?",
    "vendor_none": "Mi dispiace, non ho trovato nessun prodotto di «{asked}» nel nostro catalogo.",
    "facts": "Sul {title}, la descrizione dice: «{facts}»",
    "facts_none": "La descrizione del {title} non indica {attribute}, e preferisco non tirare a indovinare. Vuoi "
                  "che ti metta in contatto con qualcuno del team?",
    "attribute_material": "i materiali", "attribute_dimensions": "le dimensioni",
    "attribute_capacity": "la capacità", "attribute_seats": "il numero di posti",
    "attribute_care": "come lavarlo e curarlo", "attribute_included": "cosa è incluso", "attribute_weight": "il peso",
    "attribute_fit": "la vestibilità", "attribute_origin": "l'origine", "attribute_warranty": "la garanzia",
    "stock_count": "Sì, il {title}{asked} è disponibile a {price}: ne abbiamo ancora {quantity}.",
    "stock_few": "Sì, il {title}{asked} è disponibile a {price}, ma ne restano pochi pezzi.",
    "stock_in": "Sì, il {title}{asked} è disponibile a {price}.",
    "refuse_instructions": "Questo non posso farlo. Sono l'assistente del negozio: posso aiutarti a " + _CAN + ".",
    "price": "Il {title} costa {price}{was}, {stock}.",
    "details": "Il {title} costa {price}{was}, {stock}.{options} {description}",
    "options": " È disponibile in {values}.",
    "which": "Quale intendi?",
    "available": "Sì, il {title}{asked} è disponibile a {price}.",
    "available_few": "Sì, il {title}{asked} è disponibile a {price}, ma ne restano pochi pezzi.",
    "unavailable": "Mi dispiace, il {title}{asked} è esaurito al momento.",
    "unavailable_all": "Mi dispiace, il {title} è esaurito al momento.",
    "alternatives": " È disponibile in {values}.",
    "not_offered": "Il {title} non è disponibile in {asked}.",
    "single_version": " Esiste in un'unica versione, ed è {stock}.",
    "offered_values": " È disponibile in {values}.",
    "compare": "Ecco il confronto: {lines}. {verdict}",
    "compare_cheaper": "Il {title} è il più economico dei due.",
    "compare_same_price": "Costano uguale.",
    "compare_which": "Quali due prodotti vuoi che confronti?",
    "order_ask_both": "Certo! Qual è il numero dell'ordine e l'email che hai usato per l'ordine?",
    "order_ask_email": "Grazie! Quale email hai usato per l'ordine {reference}?",
    "order_ask_reference": "Grazie! Qual è il numero dell'ordine? Lo trovi nell'email di conferma.",
    "order_status": "Ecco l'ordine {name}: {status}.{items}{total}{tracking}{link}",
    "order_items": " Articoli: {items}.",
    "order_total": " Totale: {total}.",
    "order_tracking": " Tracciamento: {tracking}.",
    "order_link": " Dettagli: {url}",
    "order_not_found": "Mi dispiace, non ho trovato nessun ordine con questi dati. Controlla il numero dell'ordine "
                       "e l'email usata per l'acquisto.",
    "order_locked": "Non posso cercare altri ordini in questa chat. Vuoi che ti metta in contatto con qualcuno del "
                    "team?",
    "order_unavailable": "Mi dispiace, al momento non riesco a raggiungere il sistema degli ordini. Vuoi che ti "
                         "metta in contatto con qualcuno del team?",
    "order_wait": "Troppi numeri d'ordine non corrispondevano, quindi per la tua sicurezza ho sospeso le ricerche. "
                  "Riprova tra {minutes} min, oppure posso metterti in contatto con qualcuno del team.",
    "order_no_details": "Nessun problema. Vuoi che ti metta in contatto con qualcuno del team?",
    "knowledge": "Dalla nostra pagina «{title}»:\n{passage}\n\nAltro: {url}",
    "knowledge_none": "Mi dispiace, non l'ho trovato nelle informazioni del negozio. Vuoi che ti metta in contatto "
                      "con qualcuno del team?",
    "handoff_requested": "Certo! Ti metto in contatto con qualcuno del team.",
    "handoff_complaint": "Mi dispiace davvero. Chiedo a qualcuno del team di aiutarti.",
    "handoff_angry": "Mi scuso per il disagio. Chiedo subito a qualcuno del team di aiutarti.",
    "handoff_unanswered": "Mi dispiace, non posso aiutarti con questo. Chiedo a qualcuno del team di unirsi.",
    "handoff_away": "{away}",
    "guard_safe": "Mi dispiace, non sono riuscito a verificare questa risposta con i dati del negozio. Vuoi che ti "
                  "metta in contatto con qualcuno del team?",
    "and": " e ",
    "filter_for": "per {audience}",
    "filter_in": "in {values}",
    "filter_in_stock": "disponibili",
    "filter_on_sale": "in saldo",
    "under": "sotto", "over": "sopra", "between": "tra", "up to": "fino a", "at least": "da",
    "around": "intorno a", "from": "da", "to": "e",
    "women": "donna", "men": "uomo", "kids": "bambini",
}

QUICK = {
    "start": ["Dov'è il mio ordine?", "Costi di spedizione", "Politica di reso"],
    "human": ["Parlare con una persona"],
    "search": ["Qualcosa di più economico?", "Confronta i primi due"],
    "product": ["È disponibile?", "Qualcosa di più economico?"],
}

STATUS = {
    "cancelled": "annullato", "received": "ricevuto", "paid": "pagato", "authorized": "pagamento autorizzato",
    "pending": "pagamento in attesa", "refunded": "rimborsato", "partially_refunded": "rimborsato in parte",
    "partially_paid": "pagato in parte", "voided": "pagamento annullato", "expired": "pagamento scaduto",
    "fulfilled": "spedito", "partial": "spedito in parte", "unfulfilled": "non ancora spedito",
    "restocked": "rientrato in magazzino", "in_progress": "in preparazione", "on_hold": "in sospeso",
    "scheduled": "programmato",
}
