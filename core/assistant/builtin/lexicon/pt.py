"""Portuguese (Portugal and Brazil)."""

PHRASES = """
número da encomenda | número do pedido | número de encomenda | número de pedido | nº da encomenda => order number
onde está a minha encomenda | onde está minha encomenda | onde está o meu pedido | onde está meu pedido | cadê meu pedido | cadê a minha encomenda | onde está a encomenda => where is my order
estado da minha encomenda | estado do meu pedido | status do meu pedido | situação do meu pedido => status of my order
rastrear a minha encomenda | rastrear meu pedido | seguir a minha encomenda => track my order
a minha encomenda já foi enviada | meu pedido já foi enviado | já enviaram => has my order shipped
a minha encomenda | minha encomenda | o meu pedido | meu pedido => my order
não sei | não me lembro | não me lembro do | não encontro | não tenho => i don't know
vocês têm | voces tem | vocês tem | têm | tem | vendem | vocês vendem | há => do you have
está disponível | esta disponivel | estão disponíveis | está disponivel | tem em stock | tem em estoque | em stock | em estoque => in stock
está esgotado | está esgotada | estão esgotados => is sold out
ainda há | ainda tem | sobrou algum => any left
quantos restam | quantas restam | quantos ainda há | quantas unidades => how many
quanto custa | quanto custam | qual é o preço | qual o preço | quanto é | qual é o preço do | qual é o preço da => how much is
que tamanhos | quais tamanhos | em que tamanhos => what sizes
que cores | quais cores | em que cores => what colours
vem em | vêm em | tem em | existe em | têm em | tem-no em | tem-na em => do you have it in
fale-me sobre | fala-me de | fala-me sobre | me fale sobre | mais informações sobre | mais detalhes sobre | detalhes sobre => tell me about
é feito de | de que é feito | de que material => made of
mais barato | mais barata | mais baratos | mais baratas | menos caro => cheaper
algo mais barato | alguma coisa mais barata => anything cheaper
o mais barato | a mais barata | os mais baratos | as mais baratas => cheapest
o mais caro | a mais cara | os mais caros | as mais caras => most expensive
qual é mais barato | qual é o mais barato | qual é mais barata | qual deles é mais barato => which one is cheaper
os dois primeiros | as duas primeiras => the first two
o primeiro | a primeira => the first one
o segundo | a segunda => the second one
o terceiro | a terceira => the third one
o último | a última => the last one
o outro | a outra => the other one
em promoção | em saldos | com desconto | em liquidação => on sale
menos de | abaixo de | por menos de => under
mais de | acima de => over
até => up to
cerca de | por volta de => around
mostre mais | mostra mais | ver mais | mais opções => show me more
falar com uma pessoa | falar com alguém | falar com um humano | falar com um atendente | falar com um assistente | falar com uma pessoa real => talk to a person
falar com => talk to
és um bot | és um robô | você é um bot | é um robô | você é humano | é uma pessoa real => are you a bot
bom dia | boa tarde | boa noite => hello
muito obrigado | muito obrigada | obrigadíssimo => thanks
é tudo | mais nada | só isso => that's all
até logo | até breve | até mais => bye
por favor => please
portes de envio | custos de envio | custo do envio | custo de envio | preço do envio | valor do frete | quanto custa o envio | quanto custa o frete | quanto custam os portes | frete => shipping cost
envio grátis | envio gratuito | portes grátis | frete grátis => free shipping
enviam para | fazem envios para | entregam em | entregam para | vocês enviam para | enviam => do you ship to
quanto tempo demora | quanto tempo leva | quanto tempo demora a entrega | prazo de entrega | quando chega => how long does delivery take
política de devoluções | política de devolução | política de trocas => returns policy
como devolvo | como faço uma devolução | como posso devolver | como devolver => how do i return
quero um reembolso | quero o meu dinheiro de volta | quero meu dinheiro de volta => i want a refund
chegou partido | chegou partida | chegou quebrado | chegou quebrada | chegou danificado | chegou danificada | veio estragado => arrived broken
nunca chegou | ainda não chegou | não chegou | nunca recebi => never arrived
artigo errado | produto errado | tamanho errado => wrong item
Reino Unido => uk
Estados Unidos => usa
horário de funcionamento | horário de atendimento | horário | horários => hours
como vos contacto | como entro em contacto | como entrar em contato | apoio ao cliente | atendimento ao cliente => contact
métodos de pagamento | formas de pagamento => payment
cartão de crédito => credit card
código de desconto | cupão | cupom | código promocional => discount code
guia de tamanhos | tabela de tamanhos => size guide
para mulher | para mulheres | de mulher | feminino => for women
para homem | para homens | de homem | masculino => for men
manga comprida | manga longa => long sleeve
novidades | últimas novidades | acabou de chegar | acabaram de chegar | chegaram agora | recém-chegados | recém chegados | o que há de novo | produtos novos | novos produtos | lançamentos | últimos lançamentos => new arrivals
melhor relação qualidade-preço | melhor relação qualidade preço | melhor custo-benefício | melhor custo benefício | melhor qualidade-preço => best value
mais caro do que | mais cara do que | mais caro que | mais cara que => more expensive than
mais barato do que | mais barata do que | mais barato que | mais barata que => cheaper than
quem fabrica | quem faz | quem produz | quem é o fabricante | quem desenha => who makes
que marca | de que marca | qual é a marca | qual a marca => what brand
fabricado por | fabricada por | feito por | feita por => made by
alguma coisa de | alguma coisa da | alguma coisa do | algo de | algo da | algo do | produtos de | produtos da | produtos do | coisas da | coisas de | coisas do | artigos da | artigos de | artigos do => anything from
da marca => brand
de que são feitos | de que são feitas | de que material | feito de | feita de | qual é o material | qual o material | que material | que tecido => made of
quais são as dimensões | quais as dimensões | quanto mede | quanto medem => dimensions
quanto pesa | quanto pesam => how heavy is
quantos lugares => how many seats
quantas pessoas => how many people
como se lava | como lavar | como lavo | pode ir à máquina | vai à máquina | pode lavar | pode ser lavado | pode ser lavada | máquina de lavar => how do i wash
máquina de lavar loiça | máquina de lavar louça | máquina da loiça => dishwasher
o que inclui | o que vem incluído | o que traz | o que vem na caixa => what's included
vem com | vêm com => comes with
onde é fabricado | onde é feito | onde é produzido | feito em | feita em | fabricado em | produzido em => made in
finge que és | finge que é | finja que é | finja ser | faz de conta que és | faça de conta que é | imagina que és | agora és | agora você é => pretend you are
a partir de agora | de agora em diante => from now on
age como | aja como | comporta-te como => act as a
repete comigo | repete depois de mim | repita depois de mim => repeat after me
diz exatamente | diga exatamente | escreve exatamente | escreva exatamente | responde apenas | responda apenas | responde só | responda só => say exactly
prompt do sistema | mensagem do sistema | instruções do sistema => system prompt
modo de desenvolvedor | modo programador => developer mode
feito à mão | feita à mão | feito a mão => handmade
quem o fabrica | quem a fabrica | quem os fabrica | quem as fabrica | quem o faz | quem a faz => who makes
"""

WORDS = """
n=number, nº=number, n°=number
ola=hi, oi=hi, obrigado=thanks, obrigada=thanks, valeu=thanks, sim=yes, nao=no, ok=ok, certo=ok, claro=sure
perfeito=great, otimo=great, fixe=great, legal=great, tchau=bye, adeus=bye
procuro=looking for, procurando=looking for, quero=i want, queria=i want, gostaria=i want, preciso=i need
mostre=show me, mostra=show me, recomenda=recommend, recomendam=recommend, sugere=suggest
onde=where, quando=when, quanto=how much, quanta=how much, quantos=how many, quantas=how many, que=what
qual=which, quais=which, como=how, porque=why, quem=who
e=and, é=is, sao=are, este=this, esta=this, isto=this, esse=that, essa=that, isso=that, o=it, a=it
meu=my, minha=my, meus=my, minhas=my, seu=your, sua=your, me=me, eu=i, voce=you, voces=you
ou=or, mas=but, com=with, sem=without, para=for, em=in, no=in, na=in, entre=between, de=from
tambem=also, mais=more, menos=less, muito=very, algo=anything, alguma=any, algum=any, tudo=all, outro=other
preco=price, precos=prices, custa=cost, custam=cost, caro=expensive, cara=expensive, barato=cheap
barata=cheap, promocao=sale, saldos=sale, desconto=discount, stock=stock, estoque=stock
disponivel=available, disponiveis=available, esgotado=sold out, esgotada=sold out
tamanho=size, tamanhos=sizes, numero=number, cor=colour, cores=colours
pequeno=small, pequena=small, medio=medium, media=medium, grande=large
camiseta=tee, t-shirt=tee, tshirt=tee, camisola=jumper, camisa=shirt, blusa=blouse, top=top, casaco=jacket
jaqueta=jacket, blusao=jacket, sobretudo=coat, sueter=sweater, moletom=hoodie, vestido=dress, saia=skirt
calcas=trousers, calca=trousers, jeans=jeans, mala=bag, bolsa=bag, sapatos=shoes, tenis=sneakers
sapatilhas=sneakers, fato=suit, terno=suit, smoking=tuxedo, bone=cap, chapeu=hat, cachecol=scarf
roupa=clothes, roupas=clothes
couro=leather, pele=leather, seda=silk, la=wool, algodao=cotton, ganga=denim
azul=blue, azuis=blue, vermelho=red, vermelha=red, vermelhos=red, vermelhas=red, preto=black, preta=black
branco=white, branca=white, verde=green, amarelo=yellow, amarela=yellow, cinzento=grey, cinza=grey
rosa=pink, roxo=purple, roxa=purple, laranja=orange, castanho=brown, marrom=brown, bege=beige
dourado=gold, prateado=silver, azul-marinho=navy, marinho=navy, oliva=olive, creme=cream
mulher=women, mulheres=women, senhora=women, homem=men, homens=men, criancas=kids, crianca=kids
envio=shipping, envios=shipping, enviar=ship, enviam=ship, entrega=delivery, entregas=delivery
encomenda=order, encomendas=orders, pedido=order, pedidos=orders, compra=purchase, pacote=package
email=email, e-mail=email, correio=email, chega=arrive, chegar=arrive, dias=days, rastrear=track
rastreio=tracking, rastreamento=tracking
devolucao=return, devolucoes=returns, devolver=return, reembolso=refund, troca=exchange, trocar=exchange
garantia=warranty, contacto=contact, contato=contact, telefone=phone, morada=address, endereco=address
loja=store, pagamento=payment, pagar=pay, cancelar=cancel, gratis=free, gratuito=free
internacional=international
partido=broken, quebrado=broken, danificado=damaged, defeituoso=defective, errado=wrong, reclamacao=complaint
burla=scam, golpe=scam, inaceitavel=unacceptable, pessimo=terrible, horrivel=horrible
pessoa=person, humano=human, atendente=agent, assistente=agent, alguem=someone, falar=talk
compara=compare, comparar=compare, compare=compare, diferenca=difference, melhor=better
detalhes=details, material=material, tecido=fabric, feito=made
primeiro=first, segundo=second, terceiro=third, ultimo=last
canada=canada, mexico=mexico, alemanha=germany, franca=france, espanha=spain, italia=italy
portugal=portugal, brasil=brazil, europa=europe, estrangeiro=abroad, exterior=abroad, japao=japan
dolares=dollars, euros=euros, reais=reais
produto=product, produtos=products, artigo=item, artigos=items, coisa=thing, coisas=things
marca=brand, marcas=brands, fabricante=manufacturer, fabrica=makes, feita=made, feitos=made, fabricado=made
dimensoes=dimensions, medidas=measurements, altura=height, largura=width, comprimento=length
profundidade=depth, diametro=diameter, capacidade=capacity, litros=litres, lugares=seats, peso=weight
pesa=weighs, lavar=wash, lavagem=washing, limpar=clean, limpeza=cleaning, engomar=iron, cuidados=care
cuidado=care, inclui=includes, incluido=included, incluida=included, incluidos=included, conteudo=contents
caimento=fit, origem=origin, procedencia=origin, composicao=composition
novo=new, nova=new, novos=new, novas=new, recente=recent, ainda=still
tuas=your, teu=your, tua=your, teus=your, vossa=your, vosso=your, vossos=your, vossas=your
ignora=ignore, ignore=ignore, ignorar=ignore, ignorem=ignore, esquece=forget, esqueca=forget, esquecer=forget
instrucoes=instructions, instrucao=instruction, regras=rules, anteriores=previous, diz=say, diga=say
mostra-me=show me, mostre-me=show me, diga-me=tell me, diz-me=tell me, fala-me=tell me, ver=see
impermeavel=waterproof, respiravel=breathable, ajustavel=adjustable, lavavel=washable
organico=organic, organica=organic, reciclado=recycled, reciclada=recycled, vegano=vegan, vegana=vegan
restam=left, resta=left, sobram=left, sobra=left
"""

DROP = "o a os as um uma uns umas do da dos das ao aos à às de pois entao bem olhe olha"

ENDINGS = (("es", ""), ("s", ""), ("a", "o"), ("as", "o"))

#: Comparatives an article before them makes superlatives ("la chaqueta más barata"): see translate.py.
SUPERLATIVES = """
mais caro | mais cara | mais caros | mais caras | mais dispendioso | mais dispendiosa => most expensive
mais barato | mais barata | mais baratos | mais baratas | mais em conta | mais económico | mais económica | mais econômico | mais econômica | menos caro | menos cara => cheapest
mais novo | mais nova | mais novos | mais novas | mais recente | mais recentes => newest
"""
ARTICLES = "o a os as"
#: Verbs that end the phrase an article opened ("la Zipped Jacket es más barata" compares).
BREAKS = "é são está estão fica ficam custa custam sai saem era seria"
