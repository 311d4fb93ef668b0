"""Portuguese."""

_CAN = ("encontrar produtos, ver preços e disponibilidade, responder a perguntas sobre envios e devoluções, e "
        "consultar a sua encomenda")

TEMPLATES = {
    "greeting": "Olá! Posso ajudar a " + _CAN + ". Em que posso ajudar?",
    "thanks": "De nada! Posso ajudar em mais alguma coisa?",
    "goodbye": "Obrigado pela visita. Tenha um ótimo dia!",
    "ack": "Ótimo! Posso ajudar em mais alguma coisa?",
    "prompt": "Claro, em que posso ajudar?",
    "declined": "Sem problema! Posso ajudar em mais alguma coisa?",
    "bot": "Sou o assistente automático da loja. Posso ajudar a " + _CAN
           + ", ou pô-lo em contacto com alguém da equipa.",
    "out_of_scope": "Desculpe, não posso ajudar com isso. Posso ajudar a " + _CAN + ".",
    "unknown": "Desculpe, não percebi. Pode dizer de outra forma? Posso ajudar a " + _CAN + ".",
    "other_language": "Desculpe, ainda não consigo ajudar no seu idioma. Quer que o ponha em contacto com alguém "
                      "da equipa?",
    "in_stock": "disponível",
    "sold_out": "esgotado de momento",
    "item": "{title} por {price}{was}, {stock}",
    "was": " (antes {price})",
    "search_one": "Sim! Temos o {item}.",
    "search_many": "Encontrei isto{filters}: {items}.",
    "search_close": "Não encontrei nada exato para «{asked}», mas estes aproximam-se: {items}.",
    "search_none": "Desculpe, não encontrei nada para «{asked}»{filters} no nosso catálogo.",
    "search_browse": "Aqui estão alguns dos nossos produtos{filters}: {items}.",
    "sale_none": "De momento não vejo nada em promoção.",
    "cheaper_none": "Desculpe, não encontrei nada mais barato do que {price}{filters}.",
    "more_none": "É tudo o que encontrei.",
    # rankings: {what} is " em casacos" (the shopper's words in "ranked_what"), or empty
    "ranked_what": " em {asked}",
    "ranked_price_desc": "Os nossos artigos mais caros{what}{filters}, do mais caro para o mais barato: {items}.",
    "ranked_price_asc": "Os nossos artigos mais em conta{what}{filters}, do mais barato para o mais caro: {items}.",
    "ranked_newest": "As nossas novidades{what}{filters}, das mais recentes para as mais antigas: {items}.",
    "ranked_best_value": "A melhor relação qualidade-preço{what}{filters}, por preço por unidade, do mais baixo "
                         "para o mais alto: {items}.",
    "ranked_best_value_price": "A melhor relação qualidade-preço{what}{filters}, por preço, do mais baixo para o "
                               "mais alto: {items}.",
    "vendor_items": "Da marca {vendor}{filters}, temos: {items}.",
    "vendor": "O {title} é fabricado por {vendor}.",
    "vendor_unknown": "A loja não indica quem fabrica o {title}. Quer que o ponha em contacto com alguém da equipa?",
    "vendor_none": "Desculpe, não encontrei nenhum produto de «{asked}» no nosso catálogo.",
    "facts": "Sobre o {title}, a descrição diz: «{facts}»",
    "facts_none": "A descrição do {title} não indica {attribute}, e prefiro não adivinhar. Quer que o ponha em "
                  "contacto com alguém da equipa?",
    "attribute_material": "os materiais", "attribute_dimensions": "as dimensões",
    "attribute_capacity": "a capacidade", "attribute_seats": "o número de lugares",
    "attribute_care": "os cuidados a ter", "attribute_included": "o que está incluído", "attribute_weight": "o peso",
    "attribute_fit": "o corte", "attribute_origin": "a origem", "attribute_warranty": "a garantia",
    "stock_count": "Sim, temos {quantity} em stock do {title}{asked}, por {price}.",
    "stock_few": "Sim, o {title}{asked} está disponível por {price}, mas restam poucas unidades.",
    "stock_in": "Sim, o {title}{asked} está disponível por {price}.",
    "refuse_instructions": "Isso não posso fazer. Sou o assistente da loja: posso ajudar a " + _CAN + ".",
    "price": "O {title} custa {price}{was}, {stock}.",
    "details": "O {title} custa {price}{was}, {stock}.{options} {description}",
    "options": " Existe em {values}.",
    "which": "Qual deles quer dizer?",
    "available": "Sim, o {title}{asked} está disponível por {price}.",
    "available_few": "Sim, o {title}{asked} está disponível por {price}, mas restam poucas unidades.",
    "unavailable": "Desculpe, o {title}{asked} está esgotado de momento.",
    "unavailable_all": "Desculpe, o {title} está esgotado de momento.",
    "alternatives": " Está disponível em {values}.",
    "not_offered": "O {title} não existe em {asked}.",
    "single_version": " Existe numa única versão, e está {stock}.",
    "offered_values": " Existe em {values}.",
    "compare": "A comparação: {lines}. {verdict}",
    "compare_cheaper": "O {title} é o mais barato dos dois.",
    "compare_same_price": "Custam o mesmo.",
    "compare_which": "Que dois produtos quer que compare?",
    "order_ask_both": "Claro! Qual é o número da encomenda e o e-mail que usou na encomenda?",
    "order_ask_email": "Obrigado! Que e-mail usou na encomenda {reference}?",
    "order_ask_reference": "Obrigado! Qual é o número da encomenda? Está no e-mail de confirmação.",
    "order_status": "Encomenda {name}: {status}.{items}{total}{tracking}{link}",
    "order_items": " Artigos: {items}.",
    "order_total": " Total: {total}.",
    "order_tracking": " Seguimento: {tracking}.",
    "order_link": " Detalhes: {url}",
    "order_not_found": "Desculpe, não encontrei nenhuma encomenda com esses dados. Verifique o número da encomenda "
                       "e o e-mail que usou na compra.",
    "order_locked": "Não posso consultar mais encomendas neste chat. Quer que o ponha em contacto com alguém da "
                    "equipa?",
    "order_unavailable": "Desculpe, não consigo aceder ao sistema de encomendas agora. Quer que o ponha em contacto "
                         "com alguém da equipa?",
    "order_wait": "Demasiados números de encomenda não correspondiam, por isso, para sua segurança, pausei as "
                  "consultas. Tente de novo dentro de {minutes} min, ou posso pô-lo em contacto com alguém da equipa.",
    "order_no_details": "Sem problema. Quer que o ponha em contacto com alguém da equipa?",
    "knowledge": "Da nossa página «{title}»:\n{passage}\n\nMais: {url}",
    "knowledge_none": "Desculpe, não encontrei isso nas informações da loja. Quer que o ponha em contacto com "
                      "alguém da equipa?",
    "handoff_requested": "Claro! Vou pô-lo em contacto com alguém da equipa.",
    "handoff_complaint": "Lamento muito. Vou pedir a alguém da equipa que o ajude.",
    "handoff_angry": "Lamento o incómodo. Vou pedir a alguém da equipa que o ajude já.",
    "handoff_unanswered": "Desculpe, não consigo ajudar com isso. Vou pedir a alguém da equipa que se junte.",
    "handoff_away": "{away}",
    "guard_safe": "Desculpe, não consegui confirmar essa resposta com os dados da loja. Quer que o ponha em "
                  "contacto com alguém da equipa?",
    "and": " e ",
    "filter_for": "para {audience}",
    "filter_in": "em {values}",
    "filter_in_stock": "disponíveis",
    "filter_on_sale": "em promoção",
    "under": "por menos de", "over": "por mais de", "between": "entre", "up to": "até", "at least": "a partir de",
    "around": "cerca de", "from": "a partir de", "to": "e",
    "women": "mulher", "men": "homem", "kids": "criança",
}

QUICK = {
    "start": ["Onde está a minha encomenda?", "Portes de envio", "Política de devoluções"],
    "human": ["Falar com uma pessoa"],
    "search": ["Algo mais barato?", "Compara os dois primeiros"],
    "product": ["Está disponível?", "Algo mais barato?"],
}

STATUS = {
    "cancelled": "cancelada", "received": "recebida", "paid": "paga", "authorized": "pagamento autorizado",
    "pending": "pagamento pendente", "refunded": "reembolsada", "partially_refunded": "reembolsada em parte",
    "partially_paid": "paga em parte", "voided": "pagamento anulado", "expired": "pagamento expirado",
    "fulfilled": "enviada", "partial": "enviada em parte", "unfulfilled": "ainda não enviada",
    "restocked": "reposta em stock", "in_progress": "em preparação", "on_hold": "em espera",
    "scheduled": "agendada",
}
