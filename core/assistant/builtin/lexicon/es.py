"""Spanish."""

PHRASES = """
número de pedido | numero del pedido | número de orden | nº de pedido => order number
dónde está mi pedido | dónde esta mi pedido | donde está mi pedido | dónde está el pedido => where is my order
dónde está mi paquete | dónde está mi envío => where is my package
dónde están mis cosas => where is my order
estado de mi pedido | estado del pedido => status of my order
rastrear mi pedido | seguir mi pedido | seguimiento de mi pedido => track my order
ya enviaron mi pedido | han enviado mi pedido => has my order shipped
mi pedido => my order
no sé | no lo sé | no recuerdo | no me acuerdo de | no encuentro => i don't know
no lo tengo => i don't have
está disponible | esta disponible | están disponibles => is available
está en stock | esta en stock | hay stock | en existencia | en existencias => in stock
está agotado | esta agotado | está agotada | esta agotada => is sold out
quedan unidades | queda alguno | quedan => any left
cuántos quedan | cuántas quedan | cuántas unidades | cuántos hay => how many
cuánto cuesta | cuánto cuestan | cuánto vale | cuánto valen | qué precio tiene | qué precio tienen | cuál es el precio de | cuánto es => how much is
qué tallas | que tallas | en qué tallas => what sizes
qué colores | que colores | en qué colores => what colours
viene en | vienen en | lo tienen en | la tienen en | lo tenéis en | la tenéis en => do you have it in
háblame de | cuéntame de | cuéntame sobre | más información sobre | más información de | información sobre => tell me about
de qué está hecho | de qué está hecha | de qué material => made of
más barato | más barata | más baratos | más baratas | menos caro => cheaper
algo más barato | alguno más barato | algo más económico => anything cheaper
el más barato | la más barata | los más baratos | las más baratas | lo más barato => cheapest
el más caro | la más cara | los más caros | las más caras | lo más caro => most expensive
cuál es más barato | cuál es más barata | cuál sale más barato => which one is cheaper
los dos primeros | las dos primeras => the first two
el primero | la primera => the first one
el segundo | la segunda => the second one
el tercero | la tercera => the third one
el último | la última => the last one
el otro | la otra => the other one
en oferta | en rebaja | en rebajas | de oferta | rebajado | rebajados => on sale
por menos de | menos de | por debajo de => under
por más de | más de => over
como máximo | máximo => up to
alrededor de => around
muéstrame más | enséñame más | ver más | algo más => show me more
hablar con una persona | hablar con alguien | hablar con un humano | hablar con un agente | hablar con una persona real | con una persona | con un humano => talk to a person
hablar con | hablar a => talk to
eres un bot | eres un robot | eres humano | eres una persona | hablo con un bot | eres una ia => are you a bot
buenos días | buenas tardes | buenas noches | muy buenas => hello
muchas gracias | mil gracias | gracias por todo => thanks
eso es todo | nada más => that's all
hasta luego | hasta pronto => bye
por favor => please
gastos de envío | costes de envío | costo de envío | costo del envío | precio del envío | cuánto cuesta el envío | cuánto cuesta enviar => shipping cost
envío gratis | envío gratuito => free shipping
hacen envíos a | envían a | enviáis a | hacéis envíos a | hacen envíos | mandan a => do you ship to
cuánto tarda | cuánto tardan | cuánto tiempo tarda | cuánto tarda el envío | cuánto tarda en llegar | cuándo llega | cuándo llegará => how long does delivery take
plazo de entrega | tiempo de entrega | tiempos de entrega => delivery time
política de devoluciones | política de devolución => returns policy
cómo devuelvo | cómo puedo devolver | cómo hago una devolución | cómo devolver => how do i return
puedo devolver => can i return
quiero un reembolso | quiero mi dinero | quiero que me devuelvan el dinero => i want a refund
llegó roto | llegó rota | ha llegado roto | llegó dañado | llegó dañada | vino roto => arrived broken
nunca llegó | no ha llegado | no llegó | todavía no ha llegado => never arrived
producto equivocado | artículo equivocado | me enviaron otro | talla equivocada => wrong item
Reino Unido => uk
Estados Unidos => usa
horario de atención | horario | horarios => hours
cómo los contacto | cómo contactar | cómo puedo contactar => contact
métodos de pago | formas de pago => payment
tarjeta de crédito => credit card
código de descuento | cupón de descuento | código promocional => discount code
guía de tallas | tabla de tallas => size guide
para mujer | para mujeres | de mujer | para ella => for women
para hombre | para hombres | de hombre | para él => for men
manga larga => long sleeve
lo último | lo más nuevo | lo más reciente | últimas novedades | novedades | recién llegados | recién llegadas | recién llegado | acaban de llegar | lo nuevo | nuevos productos | productos nuevos | qué hay de nuevo => new arrivals
mejor relación calidad-precio | mejor relación calidad precio | mejor calidad-precio | mejor calidad precio | mejor precio por unidad => best value
más caro que | más cara que | más caros que | más caras que => more expensive than
más barato que | más barata que | más baratos que | más baratas que => cheaper than
quién fabrica | quién hace | quién diseña | quién es el fabricante | quién lo fabrica | quién la fabrica | quién los fabrica | quién las fabrica | quién los hace | quién lo hace => who makes
qué marca | de qué marca | cuál es la marca | de qué marca es | de qué marca son => what brand
fabricado por | fabricada por | fabricados por | hecho por | hecha por => made by
algo de | cosas de | productos de | artículos de => anything from
de la marca | de marca => brand
de qué están hechos | de qué están hechas | de qué es | de qué tela | de qué tejido | qué material | hecho de | hecha de | hechos de | hechas de => made of
qué medidas | cuánto mide | cuánto miden | qué dimensiones => dimensions
cuánto pesa | cuánto pesan | qué peso tiene => how heavy is
cuántas plazas | cuántos asientos => how many seats
cuántas personas => how many people
cómo se lava | cómo lo lavo | cómo la lavo | cómo se lavan | cómo se limpia | cómo lo limpio | cómo la limpio | se puede lavar | se lava | va a la lavadora => how do i wash
qué incluye | qué trae | qué viene incluido | qué lleva incluido | qué viene en la caja | qué lleva la caja => what's included
viene con | vienen con => comes with
dónde se fabrica | dónde se fabrican | dónde está hecho | dónde está hecha | dónde está fabricado | dónde lo hacen => where is it made
hecho en | hecha en | fabricado en | fabricada en => made in
queda pequeño | queda pequeña | quedan pequeños | queda chico | tallan pequeño => runs small
queda grande | quedan grandes | tallan grande => runs large
prompt del sistema | mensaje del sistema | instrucciones del sistema => system prompt
a partir de ahora | desde ahora => from now on
haz como si fueras | haz como que eres | finge que eres | finge ser | imagina que eres | actúa como si fueras | ahora eres => pretend you are
actúa como | compórtate como => act as a
repite conmigo | repite después de mí => repeat after me
di exactamente | escribe exactamente | responde exactamente | di solo | responde solo | contesta solo | responde solamente => say exactly
modo desarrollador => developer mode
revela tu | revélame tu | revela tus | dime tu prompt | muéstrame tu prompt | muéstrame tus instrucciones => reveal your
todo lo anterior | todo lo de antes => everything above
hecho a mano | hecha a mano | hechos a mano => handmade
quién la hace | quién las hace | quién lo diseña => who makes
"""

WORDS = """
n=number, nº=number, n°=number
hola=hi, holi=hi, buenas=hello, gracias=thanks, adios=bye, chao=bye, chau=bye, si=yes, no=no, vale=ok, claro=sure
perfecto=great, genial=great, estupendo=great, de acuerdo=ok, entendido=ok
tienen=do you have, teneis=do you have, tienes=do you have, tiene=has, hay=do you have, venden=do you sell
vendeis=do you sell, busco=looking for, buscando=looking for, quiero=i want, queria=i want, quisiera=i want
necesito=i need, muestrame=show me, ensename=show me, recomiendas=recommend, recomiendan=recommend
recomendarme=recommend, recomienda=recommend, sugieres=suggest
donde=where, cuando=when, cuanto=how much, cuanta=how much, cuantos=how many, cuantas=how many, que=what
cual=which, cuales=which, como=how, por que=why, quien=who
es=is, son=are, esta=this, este=this, esto=this, ese=that, esa=that, eso=that, lo=it, los=them, las=them
mi=my, mis=my, tu=your, su=its, sus=their, me=me, yo=i, usted=you, ustedes=you
y=and, o=or, pero=but, con=with, sin=without, para=for, en=in, a=to, entre=between, hasta=up to, desde=from
tambien=also, mas=more, menos=less, muy=very, algo=anything, alguno=any, alguna=any, todo=all, otro=other
precio=price, precios=prices, cuesta=cost, cuestan=cost, vale=ok, coste=cost, costo=cost, caro=expensive
cara=expensive, barato=cheap, barata=cheap, baratos=cheap, economico=cheap, oferta=sale, ofertas=sales
rebajas=sale, descuento=discount, stock=stock, disponible=available, disponibles=available, agotado=sold out
agotada=sold out, agotados=sold out, quedan=left, queda=left
talla=size, tallas=sizes, tamano=size, color=colour, colores=colours, modelo=model
pequena=small, pequeno=small, chica=small, mediana=medium, mediano=medium, grande=large
extra grande=extra large
camiseta=tee, camisa=shirt, blusa=blouse, top=top, chaqueta=jacket, cazadora=jacket, chamarra=jacket
abrigo=coat, jersey=jumper, sueter=sweater, sudadera=hoodie, vestido=dress, falda=skirt, pantalon=trousers
pantalones=trousers, vaqueros=jeans, bolso=bag, bolsa=bag, cartera=bag, zapatos=shoes, zapatillas=sneakers
deportivas=sneakers, traje=suit, esmoquin=tuxedo, gorra=cap, sombrero=hat, bufanda=scarf, ropa=clothes
cuero=leather, piel=leather, seda=silk, lana=wool, algodon=cotton, vaquero=denim, mezclilla=denim
azul=blue, azules=blue, rojo=red, roja=red, rojos=red, rojas=red, negro=black, negra=black, blanco=white
blanca=white, verde=green, amarillo=yellow, amarilla=yellow, gris=grey, rosa=pink, rosado=pink, morado=purple
morada=purple, lila=purple, naranja=orange, marron=brown, beis=beige, dorado=gold, plateado=silver
azul marino=navy, marino=navy, oliva=olive, crema=cream
mujer=women, mujeres=women, senora=women, hombre=men, hombres=men, caballero=men, ninos=kids, nino=kids
envio=shipping, envios=shipping, enviar=ship, envian=ship, entrega=delivery, entregas=delivery, pedido=order
pedidos=orders, orden=order, compra=purchase, paquete=package, numero=number, correo=email, email=email
llega=arrive, llegar=arrive, llegara=arrive, rastrear=track, seguimiento=tracking, dias=days
devolucion=return, devoluciones=returns, devolver=return, reembolso=refund, cambio=exchange, cambiar=exchange
garantia=warranty, contacto=contact, contactar=contact, telefono=phone, direccion=address, tienda=store
pago=payment, pagar=pay, cancelar=cancel, gratis=free, gratuito=free, internacional=international
roto=broken, rota=broken, danado=damaged, danada=damaged, defectuoso=defective, equivocado=wrong
queja=complaint, estafa=scam, terrible=terrible, horrible=horrible, inaceptable=unacceptable
persona=person, humano=human, agente=agent, alguien=someone, hablar=talk
compara=compare, comparar=compare, comparame=compare, compareme=compare, diferencia=difference
mejor=better, detalles=details, describe=describe, material=material, tela=fabric, hecho=made
primero=first, segundo=second, tercero=third, ultimo=last
canada=canada, mexico=mexico, alemania=germany, francia=france, espana=spain, italia=italy
portugal=portugal, europa=europe, extranjero=abroad, japon=japan, australia=australia, brasil=brazil
dolares=dollars, euros=euros
producto=product, productos=products, articulo=item, articulos=items, cosa=thing, cosas=things, catalogo=catalog
nuevo=new, nueva=new, nuevos=new, nuevas=new, reciente=recent, recientes=recent, novedad=new arrivals
tus=your, vuestro=your, vuestra=your, vuestros=your, vuestras=your, todavia=still, aun=still
marca=brand, marcas=brands, fabricante=manufacturer, fabrica=makes, fabricado=made, hecha=made, hechos=made
medidas=dimensions, medida=dimensions, dimensiones=dimensions, altura=height, anchura=width, longitud=length
profundidad=depth, diametro=diameter, capacidad=capacity, litros=litres, litro=litre, plazas=seats, asientos=seats
peso=weight, pesa=weighs, composicion=composition, tejido=fabric, cuidado=care, cuidados=care, lavar=wash
lavado=washing, lavadora=washing machine, limpiar=clean, planchar=iron, secadora=tumble dryer
lavavajillas=dishwasher, incluye=includes, incluido=included, incluida=included, incluidos=included
contenido=contents, ajuste=fit, horma=fit, tallaje=sizing, origen=origin, procedencia=origin
ignora=ignore, ignorar=ignore, ignore=ignore, ignoren=ignore, olvida=forget, olvidar=forget, olvidate=forget
olvide=forget, olviden=forget, instrucciones=instructions, instruccion=instruction, indicaciones=instructions
reglas=rules, normas=rules, anteriores=previous, previas=previous, di=say, dime=tell me
anterior=previous
impermeable=waterproof, transpirable=breathable, ajustable=adjustable, regulable=adjustable
lavable=washable, organico=organic, reciclado=recycled, reciclada=recycled, vegano=vegan, vegana=vegan
"""

DROP = "el la los las un una unos unas del de al lo se le les pues bueno oye mira hey eh ah por os nos te"

ENDINGS = (("es", ""), ("s", ""), ("a", "o"), ("as", "o"))

#: Comparatives an article before them makes superlatives ("la chaqueta más barata"): see translate.py.
SUPERLATIVES = """
más caro | más cara | más caros | más caras | más costoso | más costosa | más costosos | más costosas => most expensive
más barato | más barata | más baratos | más baratas | más económico | más económica | más económicos | más económicas | menos caro | menos cara | menos caros | menos caras => cheapest
más nuevo | más nueva | más nuevos | más nuevas | más reciente | más recientes => newest
"""
ARTICLES = "el la los las lo"
#: Verbs that end the phrase an article opened ("la Zipped Jacket es más barata" compares).
BREAKS = "es son está están sale salen cuesta cuestan parece parecen era sería"
