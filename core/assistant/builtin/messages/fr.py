"""French."""

_CAN = (
    "trouver des produits, vérifier les prix et le stock, répondre à vos questions sur la livraison et les "
    "retours, et suivre votre commande"
)

TEMPLATES = {
    "greeting": "Bonjour\u00a0! Je peux vous aider à " + _CAN + ". Que puis-je faire pour vous\u00a0?",
    "thanks": "Avec plaisir\u00a0! Puis-je vous aider pour autre chose\u00a0?",
    "goodbye": "Merci de votre visite. Bonne journée\u00a0!",
    "ack": "Parfait\u00a0! Puis-je vous aider pour autre chose\u00a0?",
    "prompt": "Bien sûr, que puis-je faire pour vous\u00a0?",
    "declined": "Pas de problème\u00a0! Puis-je vous aider pour autre chose\u00a0?",
    "bot": "Je suis l'assistant automatique de la boutique. Je peux vous aider à "
    + _CAN
    + ", ou vous mettre en relation avec quelqu'un de l'équipe.",
    "out_of_scope": "Désolé, je ne peux pas vous aider pour cela. Je peux vous aider à " + _CAN + ".",
    "unknown": "Désolé, je n'ai pas bien compris. Pouvez-vous reformuler\u00a0? Je peux vous aider à " + _CAN + ".",
    "other_language": "Désolé, je ne peux pas encore vous aider dans votre langue. Voulez-vous que je vous mette en "
    "relation avec quelqu'un de l'équipe\u00a0?",
    "in_stock": "en stock",
    "sold_out": "actuellement épuisé",
    "item": "{title} à {price}{was}, {stock}",
    "was": " (au lieu de {price})",
    "search_one": "Oui\u00a0! Nous avons le {item}.",
    "search_many": "Voici ce que j'ai trouvé{filters}\u00a0: {items}.",
    "search_close": "Je n'ai rien trouvé d'exact pour «\u00a0{asked}\u00a0», mais ceux-ci s'en approchent\u00a0: "
    "{items}.",
    "search_none": "Désolé, je n'ai rien trouvé pour «\u00a0{asked}\u00a0»{filters} dans notre catalogue.",
    "search_browse": "Voici quelques-uns de nos produits{filters}\u00a0: {items}.",
    "sale_none": "Je ne vois rien en promotion pour le moment.",
    "cheaper_none": "Désolé, je n'ai rien trouvé de moins cher que {price}{filters}.",
    "more_none": "C'est tout ce que j'ai trouvé.",
    # rankings: {what} is " en vestes" (the shopper's words in "ranked_what"), or empty
    "ranked_what": " en {asked}",
    "ranked_price_desc": "Nos articles les plus chers{what}{filters}, du plus cher au moins cher\u00a0: {items}.",
    "ranked_price_asc": "Nos articles les plus abordables{what}{filters}, du moins cher au plus cher\u00a0: {items}.",
    "ranked_newest": "Nos dernières nouveautés{what}{filters}, des plus récentes aux plus anciennes\u00a0: {items}.",
    "ranked_best_value": "Le meilleur rapport qualité-prix{what}{filters}, du prix à l'unité le plus bas au plus "
    "élevé\u00a0: {items}.",
    "ranked_best_value_price": "Le meilleur rapport qualité-prix{what}{filters}, du prix le plus bas au plus "
    "élevé\u00a0: {items}.",
    "vendor_items": "De la marque {vendor}{filters}, nous avons\u00a0: {items}.",
    "vendor": "Le {title} est fabriqué par {vendor}.",
    "vendor_unknown": "La boutique n'indique pas qui fabrique le {title}. Voulez-vous que je vous mette en relation "
    "avec quelqu'un de l'équipe\u00a0?",
    "vendor_none": "Désolé, je n'ai trouvé aucun produit de «\u00a0{asked}\u00a0» dans notre catalogue.",
    "facts": "À propos du {title}, la description indique\u00a0: «\u00a0{facts}\u00a0»",
    "facts_none": "La description du {title} ne précise pas {attribute}, et je préfère ne pas deviner. Voulez-vous "
    "que je vous mette en relation avec quelqu'un de l'équipe\u00a0?",
    "attribute_material": "les matières",
    "attribute_dimensions": "les dimensions",
    "attribute_capacity": "la contenance",
    "attribute_seats": "le nombre de places",
    "attribute_care": "l'entretien",
    "attribute_included": "ce qui est inclus",
    "attribute_weight": "le poids",
    "attribute_fit": "la coupe",
    "attribute_origin": "l'origine",
    "attribute_warranty": "la garantie",
    "stock_count": "Oui, le {title}{asked} est en stock à {price}\u00a0: il en reste {quantity}.",
    "stock_few": "Oui, le {title}{asked} est en stock à {price}, mais il n'en reste que quelques-uns.",
    "stock_in": "Oui, le {title}{asked} est en stock à {price}.",
    "refuse_instructions": "Je ne peux pas faire cela. Je suis l'assistant de la boutique\u00a0: je peux vous aider "
    "à " + _CAN + ".",
    "price": "Le {title} coûte {price}{was}, {stock}.",
    "details": "Le {title} coûte {price}{was}, {stock}.{options} {description}",
    "options": " Il existe en {values}.",
    "which": "Duquel parlez-vous\u00a0?",
    "available": "Oui, le {title}{asked} est en stock à {price}.",
    "available_few": "Oui, le {title}{asked} est en stock à {price}, mais il n'en reste que quelques-uns.",
    "unavailable": "Désolé, le {title}{asked} est épuisé pour le moment.",
    "unavailable_all": "Désolé, le {title} est épuisé pour le moment.",
    "alternatives": " Il est disponible en {values}.",
    "not_offered": "Le {title} n'existe pas en {asked}.",
    "single_version": " Il existe en une seule version, et il est {stock}.",
    "offered_values": " Il existe en {values}.",
    "compare": "Voici la comparaison\u00a0: {lines}. {verdict}",
    "compare_cheaper": "Le {title} est le moins cher des deux.",
    "compare_same_price": "Ils sont au même prix.",
    "compare_which": "Quels deux produits voulez-vous que je compare\u00a0?",
    "order_ask_both": "Bien sûr\u00a0! Quel est votre numéro de commande, et l'adresse e-mail utilisée pour la "
    "commande\u00a0?",
    "order_ask_email": "Merci\u00a0! Quelle adresse e-mail avez-vous utilisée pour la commande {reference}\u00a0?",
    "order_ask_reference": "Merci\u00a0! Quel est votre numéro de commande\u00a0? Il figure dans l'e-mail de "
    "confirmation.",
    "order_status": "Voici la commande {name}\u00a0: {status}.{items}{total}{tracking}{link}",
    "order_items": " Articles\u00a0: {items}.",
    "order_total": " Total\u00a0: {total}.",
    "order_tracking": " Suivi\u00a0: {tracking}.",
    "order_link": " Détails\u00a0: {url}",
    "order_not_found": "Désolé, je n'ai trouvé aucune commande avec ces informations. Vérifiez le numéro de "
    "commande et l'adresse e-mail utilisée lors de l'achat.",
    "order_locked": "Je ne peux plus consulter de commandes dans ce chat. Voulez-vous que je vous mette en relation "
    "avec quelqu'un de l'équipe\u00a0?",
    "order_unavailable": "Désolé, je n'arrive pas à joindre le système de commandes. Voulez-vous que je vous mette "
    "en relation avec quelqu'un de l'équipe\u00a0?",
    "order_wait": "Trop de numéros de commande ne correspondaient pas\u00a0: pour votre sécurité, j'ai suspendu les "
    "recherches de commandes. Réessayez dans {minutes} min, ou je peux vous mettre en relation avec "
    "quelqu'un de l'équipe.",
    "order_no_details": "Pas de problème. Voulez-vous que je vous mette en relation avec quelqu'un de l'équipe\u00a0?",
    "knowledge": "D'après notre page «\u00a0{title}\u00a0»\u00a0:\n{passage}\n\nPlus d'infos\u00a0: {url}",
    "knowledge_none": "Désolé, je n'ai pas trouvé cela dans les informations de la boutique. Voulez-vous que je "
    "vous mette en relation avec quelqu'un de l'équipe\u00a0?",
    "handoff_requested": "Bien sûr\u00a0! Je vous mets en relation avec quelqu'un de l'équipe.",
    "handoff_complaint": "Je suis vraiment désolé. Quelqu'un de l'équipe va vous aider.",
    "handoff_angry": "Désolé pour ce désagrément. Quelqu'un de l'équipe va vous aider tout de suite.",
    "handoff_unanswered": "Désolé, je ne peux pas vous aider pour cela. Je demande à quelqu'un de l'équipe de nous "
    "rejoindre.",
    "handoff_away": "{away}",
    "guard_safe": "Désolé, je n'ai pas pu vérifier cette réponse dans les données de la boutique. Voulez-vous que "
    "je vous mette en relation avec quelqu'un de l'équipe\u00a0?",
    "and": " et ",
    "filter_for": "pour {audience}",
    "filter_in": "en {values}",
    "filter_in_stock": "en stock",
    "filter_on_sale": "en promotion",
    "under": "à moins de",
    "over": "à plus de",
    "between": "entre",
    "up to": "jusqu'à",
    "at least": "à partir de",
    "around": "autour de",
    "from": "de",
    "to": "et",
    "dollars": "dollars",
    "euros": "euros",
    "women": "femme",
    "men": "homme",
    "kids": "enfant",
}

QUICK = {
    "start": ["Où est ma commande\u00a0?", "Frais de livraison", "Politique de retour"],
    "human": ["Parler à une personne"],
    "search": ["Quelque chose de moins cher\u00a0?", "Comparer les deux premiers"],
    "product": ["Est-il en stock\u00a0?", "Quelque chose de moins cher\u00a0?"],
}

STATUS = {
    "cancelled": "annulée",
    "received": "reçue",
    "paid": "payée",
    "authorized": "paiement autorisé",
    "pending": "paiement en attente",
    "refunded": "remboursée",
    "partially_refunded": "remboursée en partie",
    "partially_paid": "payée en partie",
    "voided": "paiement annulé",
    "expired": "paiement expiré",
    "fulfilled": "expédiée",
    "partial": "expédiée en partie",
    "unfulfilled": "pas encore expédiée",
    "restocked": "remise en stock",
    "in_progress": "en préparation",
    "on_hold": "en attente",
    "scheduled": "programmée",
}
