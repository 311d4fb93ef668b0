"""Spanish."""

_CAN = ("buscar productos, consultar precios y disponibilidad, responder a preguntas sobre envíos y devoluciones, "
        "y consultar tu pedido")

TEMPLATES = {
    "greeting": "¡Hola! Puedo ayudarte a " + _CAN + ". ¿En qué puedo ayudarte?",
    "thanks": "¡De nada! ¿Puedo ayudarte en algo más?",
    "goodbye": "Gracias por tu visita. ¡Que tengas un buen día!",
    "ack": "¡Genial! ¿Puedo ayudarte en algo más?",
    "prompt": "Claro, ¿en qué puedo ayudarte?",
    "declined": "¡Sin problema! ¿Puedo ayudarte en algo más?",
    "bot": "Soy el asistente automático de la tienda. Puedo ayudarte a " + _CAN
           + ", o ponerte en contacto con alguien del equipo.",
    "out_of_scope": "Lo siento, no puedo ayudarte con eso. Puedo ayudarte a " + _CAN + ".",
    "unknown": "Lo siento, no lo he entendido. ¿Puedes decirlo de otra manera? Puedo ayudarte a " + _CAN + ".",
    "other_language": "Lo siento, todavía no puedo ayudarte en tu idioma. ¿Quieres que te ponga en contacto con "
                      "alguien del equipo?",
    "in_stock": "disponible",
    "sold_out": "agotado por ahora",
    "item": "{title} por {price}{was}, {stock}",
    "was": " (antes {price})",
    "search_one": "¡Sí! Tenemos el {item}.",
    "search_many": "Esto es lo que he encontrado{filters}: {items}.",
    "search_close": "No he encontrado nada exacto para «{asked}», pero estos se parecen: {items}.",
    "search_none": "Lo siento, no he encontrado nada que coincida con «{asked}»{filters} en nuestro catálogo.",
    "search_browse": "Estos son algunos de nuestros productos{filters}: {items}.",
    "sale_none": "Ahora mismo no veo nada en oferta.",
    "cheaper_none": "Lo siento, no he encontrado nada más barato que {price}{filters}.",
    "more_none": "Eso es todo lo que he encontrado.",
    # rankings: {what} is " en chaquetas" (the shopper's words in "ranked_what"), or empty
    "ranked_what": " en {asked}",
    "ranked_price_desc": "Lo más caro{what}{filters}, de mayor a menor precio: {items}.",
    "ranked_price_asc": "Lo más económico{what}{filters}, de menor a mayor precio: {items}.",
    "ranked_newest": "Las últimas novedades{what}{filters}, de la más reciente a la más antigua: {items}.",
    "ranked_best_value": "La mejor relación calidad-precio{what}{filters}, por precio por unidad de menor a mayor: "
                         "{items}.",
    "ranked_best_value_price": "La mejor relación calidad-precio{what}{filters}, por precio de menor a mayor: "
                               "{items}.",
    "vendor_items": "De {vendor}{filters} tenemos: {items}.",
    "vendor": "El {title} es de {vendor}.",
    "vendor_unknown": "La tienda no indica quién fabrica el {title}. ¿Quieres que te ponga en contacto con alguien "
                      "del equipo?",
    "vendor_none": "Lo siento, no he encontrado ningún producto de «{asked}» en nuestro catálogo.",
    "facts": "Sobre el {title}, la descripción dice: «{facts}»",
    "facts_none": "La descripción del {title} no indica {attribute}, y prefiero no adivinarlo. ¿Quieres que te "
                  "ponga en contacto con alguien del equipo?",
    "attribute_material": "los materiales", "attribute_dimensions": "las medidas",
    "attribute_capacity": "la capacidad", "attribute_seats": "el número de plazas",
    "attribute_care": "cómo cuidarlo", "attribute_included": "lo que incluye", "attribute_weight": "el peso",
    "attribute_fit": "el ajuste", "attribute_origin": "el origen", "attribute_warranty": "la garantía",
    "stock_count": "Sí, tenemos {quantity} en stock del {title}{asked}, por {price}.",
    "stock_few": "Sí, el {title}{asked} está disponible por {price}, pero quedan pocas unidades.",
    "stock_in": "Sí, el {title}{asked} está disponible por {price}.",
    "refuse_instructions": "Eso no puedo hacerlo. Soy el asistente de la tienda: puedo ayudarte a " + _CAN + ".",
    "price": "El {title} cuesta {price}{was}, {stock}.",
    "details": "El {title} cuesta {price}{was}, {stock}.{options} {description}",
    "options": " Está disponible en {values}.",
    "which": "¿A cuál te refieres?",
    "available": "Sí, el {title}{asked} está disponible por {price}.",
    "available_few": "Sí, el {title}{asked} está disponible por {price}, pero quedan pocas unidades.",
    "unavailable": "Lo siento, el {title}{asked} está agotado ahora mismo.",
    "unavailable_all": "Lo siento, el {title} está agotado ahora mismo.",
    "alternatives": " Está disponible en {values}.",
    "not_offered": "El {title} no viene en {asked}.",
    "single_version": " Viene en una única versión y está {stock}.",
    "offered_values": " Viene en {values}.",
    "compare": "Así se comparan: {lines}. {verdict}",
    "compare_cheaper": "El {title} es el más barato de los dos.",
    "compare_same_price": "Cuestan lo mismo.",
    "compare_which": "¿Qué dos productos quieres que compare?",
    "order_ask_both": "¡Claro! ¿Cuál es tu número de pedido y el correo electrónico que usaste para el pedido?",
    "order_ask_email": "¡Gracias! ¿Qué correo electrónico usaste para el pedido {reference}?",
    "order_ask_reference": "¡Gracias! ¿Cuál es tu número de pedido? Lo encontrarás en el correo de confirmación.",
    "order_status": "Este es el pedido {name}: {status}.{items}{total}{tracking}{link}",
    "order_items": " Artículos: {items}.",
    "order_total": " Total: {total}.",
    "order_tracking": " Seguimiento: {tracking}.",
    "order_link": " Detalles: {url}",
    "order_not_found": "Lo siento, no he encontrado ningún pedido con esos datos. Revisa el número de pedido y el "
                       "correo electrónico que usaste al comprar.",
    "order_locked": "No puedo consultar más pedidos en este chat. ¿Quieres que te ponga en contacto con alguien "
                    "del equipo?",
    "order_unavailable": "Lo siento, ahora mismo no puedo acceder al sistema de pedidos. ¿Quieres que te ponga en "
                         "contacto con alguien del equipo?",
    "order_wait": "Demasiados números de pedido no coincidían, así que por tu seguridad he pausado las consultas de "
                  "pedidos. Vuelve a intentarlo en {minutes} min, o puedo ponerte en contacto con alguien del equipo.",
    "order_no_details": "Sin problema. ¿Quieres que te ponga en contacto con alguien del equipo?",
    "knowledge": "De nuestra página «{title}»:\n{passage}\n\nMás: {url}",
    "knowledge_none": "Lo siento, no he encontrado eso en la información de la tienda. ¿Quieres que te ponga en "
                      "contacto con alguien del equipo?",
    "handoff_requested": "¡Por supuesto! Te pongo en contacto con alguien del equipo.",
    "handoff_complaint": "Siento mucho lo ocurrido. Voy a pedir a alguien del equipo que te ayude.",
    "handoff_angry": "Siento las molestias. Voy a pedir a alguien del equipo que te ayude enseguida.",
    "handoff_unanswered": "Lo siento, no puedo ayudarte con eso. Voy a pedir a alguien del equipo que se una.",
    "handoff_away": "{away}",
    "guard_safe": "Lo siento, no he podido comprobar esa respuesta con los datos de la tienda. ¿Quieres que te "
                  "ponga en contacto con alguien del equipo?",
    "and": " y ",
    "filter_for": "para {audience}",
    "filter_in": "en {values}",
    "filter_in_stock": "disponibles",
    "filter_on_sale": "en oferta",
    "under": "por menos de", "over": "por más de", "between": "entre", "up to": "hasta", "at least": "desde",
    "around": "alrededor de", "from": "desde", "to": "y",
    "women": "mujer", "men": "hombre", "kids": "niños",
}

QUICK = {
    "start": ["¿Dónde está mi pedido?", "Gastos de envío", "Política de devoluciones"],
    "human": ["Hablar con una persona"],
    "search": ["¿Algo más barato?", "Compara los dos primeros"],
    "product": ["¿Está en stock?", "¿Algo más barato?"],
}

STATUS = {
    "cancelled": "cancelado", "received": "recibido", "paid": "pagado", "authorized": "pago autorizado",
    "pending": "pago pendiente", "refunded": "reembolsado", "partially_refunded": "reembolsado en parte",
    "partially_paid": "pagado en parte", "voided": "pago anulado", "expired": "pago caducado",
    "fulfilled": "enviado", "partial": "enviado en parte", "unfulfilled": "aún no enviado",
    "restocked": "devuelto al stock", "in_progress": "en preparación", "on_hold": "en espera",
    "scheduled": "programado",
}
