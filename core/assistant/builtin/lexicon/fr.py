"""French."""

PHRASES = """
numéro de commande | numéro de ma commande | n° de commande => order number
où est ma commande | où en est ma commande | où est mon colis | où est mon paquet => where is my order
suivi de ma commande | suivre ma commande | statut de ma commande | état de ma commande => status of my order
ma commande a été expédiée | ma commande est partie | ma commande est-elle partie => has my order shipped
ma commande => my order
je ne sais pas | je ne me souviens pas de | je ne me rappelle pas | je ne trouve pas | je n'ai pas => i don't know
est-ce que vous avez | vous avez | avez-vous | avez vous | vous vendez | vendez-vous | est-ce que vous vendez | vous auriez => do you have
est-il disponible | est-elle disponible | est disponible | sont disponibles | disponible en => is available in
en stock | est en stock | en rupture | en rupture de stock => in stock
est épuisé | est épuisée => is sold out
il en reste | il vous en reste | en reste-t-il => any left
combien en reste-t-il | combien il en reste | combien vous en avez => how many
combien coûte | combien coûtent | combien coute | combien coutent | combien ça coûte | quel est le prix de | quel est le prix du | c'est combien | combien pour | combien est => how much is
quelles tailles | en quelles tailles | quelle taille => what sizes
quelles couleurs | en quelles couleurs => what colours
existe en | existe-t-il en | vous l'avez en | l'avez-vous en | il existe en | elle existe en => do you have it in
parlez-moi de | parlez moi de | dites-m'en plus sur | plus d'infos sur | plus d'informations sur | des détails sur => tell me about
en quoi est | en quelle matière | c'est en quoi => made of
moins cher | moins chère | moins chers | moins chères | plus abordable => cheaper
quelque chose de moins cher | rien de moins cher => anything cheaper
le moins cher | la moins chère | les moins chers | les moins chères => cheapest
le plus cher | la plus chère | les plus chers | les plus chères => most expensive
lequel est le moins cher | laquelle est la moins chère | lequel est moins cher => which one is cheaper
les deux premiers | les deux premières => the first two
le premier | la première => the first one
le deuxième | la deuxième | le second | la seconde => the second one
le troisième | la troisième => the third one
le dernier | la dernière => the last one
l'autre => the other one
en solde | en soldes | en promo | en promotion | soldés | en réduction => on sale
moins de | à moins de | en dessous de | sous => under
plus de | au-dessus de => over
jusqu'à | maximum => up to
autour de | environ => around
montrez-moi plus | en voir plus | autre chose => show me more
parler à une personne | parler à quelqu'un | parler à un humain | parler à un conseiller | parler avec quelqu'un | parler avec une personne | parler à un agent | une vraie personne => talk to a person
parler à | parler avec => talk to
vous êtes un bot | êtes-vous un robot | es-tu un bot | tu es un bot | vous êtes un robot | c'est un bot | êtes-vous humain => are you a bot
bonne journée | bonne soirée | au revoir | à bientôt => bye
merci beaucoup | merci bien | merci mille fois => thanks
c'est tout | ce sera tout => that's all
s'il vous plaît | s'il te plaît | svp | stp => please
frais de port | frais de livraison | frais d'expédition | coût de la livraison | prix de la livraison | combien coûte la livraison | combien coute la livraison => shipping cost
livraison gratuite | livraison offerte | port gratuit => free shipping
vous livrez au | vous livrez en | vous livrez à | livrez-vous au | livrez-vous en | livrez-vous à | vous expédiez au | vous expédiez en | vous expédiez à | vous livrez => do you ship to
combien de temps | en combien de temps | délai de livraison | délais de livraison | quand vais-je recevoir | quand arrive => how long does delivery take
politique de retour | politique de retours | conditions de retour => returns policy
comment retourner | comment faire un retour | comment renvoyer | comment je renvoie => how do i return
je veux un remboursement | je veux être remboursé | je voudrais un remboursement => i want a refund
est arrivé cassé | est arrivée cassée | arrivé abîmé | arrivée abîmée | est arrivé endommagé | reçu cassé => arrived broken
jamais arrivé | jamais reçu | n'est jamais arrivé | n'est jamais arrivée | toujours pas reçu | pas encore reçu => never arrived
mauvais article | mauvaise taille | mauvais produit => wrong item
Royaume-Uni | Royaume Uni | Angleterre => uk
États-Unis | Etats Unis => usa
horaires d'ouverture | heures d'ouverture | vos horaires | horaires => hours
vous contacter | comment vous contacter | contacter le service client | service client => contact
moyens de paiement | modes de paiement => payment
carte de crédit | carte bancaire | carte bleue => credit card
code promo | code de réduction | bon de réduction => discount code
guide des tailles | tableau des tailles => size guide
pour femme | pour femmes | pour elle => for women
pour homme | pour hommes | pour lui => for men
manches longues => long sleeve
en cuir => leather
dernières nouveautés | nouveautés | nouveauté | nouveaux produits | nouveaux articles | nouvelles arrivées | derniers arrivages | dernières arrivées | vient d'arriver | viennent d'arriver | quoi de neuf => new arrivals
les plus récents | les plus récentes | le plus récent | la plus récente | les plus nouveaux | le plus nouveau => newest
meilleur rapport qualité-prix | meilleur rapport qualité prix | meilleur rapport qualité/prix => best value
plus cher que | plus chère que | plus chers que | plus chères que => more expensive than
moins cher que | moins chère que | moins chers que | moins chères que => cheaper than
le plus abordable | la plus abordable | les plus abordables | le moins coûteux | la moins coûteuse | les moins coûteux | le plus économique | la plus économique | les plus économiques => cheapest
le plus coûteux | la plus coûteuse | les plus coûteux | les plus coûteuses => most expensive
qui fabrique | qui fait | qui produit | qui conçoit | qui est le fabricant | fabriqué par qui | fabriquée par qui => who makes
quelle marque | de quelle marque | c'est quelle marque | c'est de quelle marque | quelle est la marque => what brand
fabriqué par | fabriquée par | fabriqués par | fabriquées par => made by
des produits de | des articles de | produits de | articles de | de chez => anything from
de la marque | de marque => brand
de quoi est fait | de quoi est faite | de quoi sont faits | de quoi sont faites | quelle matière | c'est fait en quoi | fait en quoi | faite en quoi | quel tissu | en quel tissu => made of
combien mesure | combien mesurent | quelles dimensions | quelles sont les dimensions => dimensions
combien pèse | combien pèsent | quel poids => how heavy is
combien de places => how many seats
combien de personnes => how many people
comment laver | comment le laver | comment la laver | comment les laver | comment l'entretenir | comment entretenir | se lave | lavable en machine | passe en machine | passer en machine | va en machine | va à la machine => how do i wash
qu'est-ce qui est inclus | qu'est-ce qui est fourni | ce qui est inclus | que contient | qu'y a-t-il dans la boîte => what's included
fourni avec | fournie avec | livré avec | livrée avec => comes with
où est-il fabriqué | où est-elle fabriquée | où est-ce fabriqué | fabriqué en | fabriquée en | fait en | faite en => made in
taille petit | taille petite | taille grand | taille grande => fit
combien de => how many
combien vous en reste-t-il | combien il vous en reste | combien en avez-vous | combien vous en avez => how many left
il vous reste | vous reste-t-il | reste-t-il | en reste-t-il | en reste-t'il => any left
fais comme si tu étais | faites comme si vous étiez | fais semblant d'être | faites semblant d'être | imagine que tu es | tu es maintenant | vous êtes maintenant => pretend you are
à partir de maintenant | désormais | dorénavant => from now on
agis comme | agissez comme | joue le rôle de | jouez le rôle de => act as a
répète après moi | répétez après moi => repeat after me
dis exactement | dites exactement | écris exactement | réponds exactement | réponds seulement | répondez seulement | réponds uniquement | répondez uniquement | dis seulement => say exactly
prompt système | invite système | message système | consignes système => system prompt
mode développeur => developer mode
révèle tes | révélez vos | montre-moi tes instructions | donne-moi tes instructions | donne-moi ton prompt => reveal your
fait main | faite main | fait à la main | faite à la main => handmade
qui le fabrique | qui la fabrique | qui les fabrique | qui le fait | qui la fait | qui les fait => who makes
"""

WORDS = """
n=number, nº=number, n°=number
bonjour=hi, salut=hi, coucou=hi, bonsoir=hello, merci=thanks, oui=yes, ouais=yes, non=no, ok=ok, daccord=ok
d'accord=ok, parfait=great, super=great, genial=great, top=top, bien=ok, nickel=great
cherche=looking for, recherche=looking for, veux=i want, voudrais=want, aimerais=want, j'aimerais=i want, avez-vous=do you have, vendez-vous=do you sell
est-il=is, est-elle=is, sont-ils=are, livrez-vous=do you ship, montrez-moi=show me, dites-moi=tell me
veux=want, peux=can, pouvez=can, pouvez-vous=can you
je=i, j'ai=i have, besoin=need, montrez-moi=show me, montrez=show me, recommandez=recommend, conseillez=recommend
ou=or, où=where, quand=when, combien=how much, quel=which, quelle=which, quels=which, quelles=which
lequel=which, laquelle=which, comment=how, pourquoi=why, qui=who, quoi=what
est=is, sont=are, c'est=it is, ce=this, cet=this, cette=this, ca=it, cela=that, le=it, l'=it
mon=my, ma=my, mes=my, votre=your, vos=your, son=its, sa=its, ses=its, moi=me, vous=you, nous=we
et=and, mais=but, avec=with, sans=without, pour=for, en=in, dans=in, entre=between, a=to, au=to, aux=to
aussi=also, plus=more, encore=also, tres=very, quelque=some, chose=thing, tout=all, autre=other
prix=price, coute=cost, coutent=cost, cher=expensive, chere=expensive, abordable=cheap, solde=sale
soldes=sale, promo=sale, reduction=discount, remise=discount, stock=stock, disponible=available
disponibles=available, epuise=sold out, epuisee=sold out, rupture=sold out, reste=left
taille=size, tailles=sizes, pointure=size, couleur=colour, couleurs=colours
petit=small, petite=small, moyen=medium, moyenne=medium, grand=large, grande=large
t-shirt=tee, tshirt=tee, tee-shirt=tee, chemise=shirt, chemisier=blouse, blouse=blouse, haut=top, hauts=tops
veste=jacket, vestes=jackets, blouson=jacket, manteau=coat, pull=jumper, pullover=jumper, sweat=hoodie
robe=dress, jupe=skirt, pantalon=trousers, jean=jeans, sac=bag, sacs=bags, chaussures=shoes, baskets=sneakers
costume=suit, smoking=tuxedo, casquette=cap, chapeau=hat, echarpe=scarf, vetements=clothes
cuir=leather, soie=silk, laine=wool, coton=cotton, denim=denim
bleu=blue, bleue=blue, bleus=blue, bleues=blue, rouge=red, rouges=red, noir=black, noire=black, blanc=white
blanche=white, vert=green, verte=green, jaune=yellow, gris=grey, grise=grey, rose=pink, violet=purple
violette=purple, orange=orange, marron=brown, beige=beige, dore=gold, argente=silver, marine=navy
bleu marine=navy, olive=olive, creme=cream
femme=women, femmes=women, dame=women, dames=women, homme=men, hommes=men, enfant=kids, enfants=kids
livraison=shipping, livrer=deliver, livrez=deliver, expedition=shipping, expedier=ship, envoi=shipping
commande=order, commandes=orders, achat=purchase, colis=package, paquet=package, numero=number
e-mail=email, email=email, mail=email, courriel=email, arrive=arrive, recevoir=receive, jours=days
suivi=tracking, suivre=track
retour=return, retours=returns, retourner=return, renvoyer=return, remboursement=refund, rembourser=refund
echange=exchange, echanger=exchange, garantie=warranty, contact=contact, contacter=contact
telephone=phone, adresse=address, boutique=store, magasin=store, paiement=payment, payer=pay
annuler=cancel, gratuit=free, gratuite=free, international=international
casse=broken, cassee=broken, abime=damaged, abimee=damaged, endommage=damaged, defectueux=defective
plainte=complaint, arnaque=scam, inacceptable=unacceptable, nul=useless, horrible=horrible
personne=person, humain=human, conseiller=agent, agent=agent, quelqu'un=someone, parler=talk
comparer=compare, comparez=compare, compare=compare, difference=difference, mieux=better
details=details, matiere=material, tissu=fabric, fait=made
premier=first, deuxieme=second, troisieme=third, dernier=last
canada=canada, mexique=mexico, allemagne=germany, france=france, espagne=spain, italie=italy
belgique=belgium, suisse=switzerland, europe=europe, l'etranger=abroad, etranger=abroad, japon=japan
dollars=dollars, euros=euros
produit=product, produits=products, article=item, articles=items, choses=things
nouveau=new, nouvelle=new, nouveaux=new, nouvelles=new, recent=recent, recente=recent
tes=your, ton=your, ta=your, toutes=all, tous=all
marque=brand, marques=brands, fabricant=manufacturer, fabrique=makes, faite=made, faits=made, faites=made
mesures=measurements, hauteur=height, largeur=width, longueur=length, profondeur=depth, diametre=diameter
contenance=capacity, capacite=capacity, litres=litres, litre=litre, places=seats, poids=weight, pese=weighs
composition=composition, matieres=materials, laver=wash, lavage=washing, lave=wash, entretien=care
entretenir=care, nettoyer=clean, nettoyage=cleaning, repasser=iron, repassage=ironing
lave-vaisselle=dishwasher, seche-linge=tumble dryer, inclus=included, incluse=included, incluses=included
comprend=includes, compris=included, contenu=contents, coupe=fit, origine=origin, provenance=origin
oublie=forget, oubliez=forget, oublier=forget, ignore=ignore, ignorez=ignore, ignorer=ignore
consignes=instructions, regles=rules, precedentes=previous, precedents=previous, anterieures=previous
impermeable=waterproof, respirant=breathable, respirante=breathable, reglable=adjustable
lavable=washable, bio=organic, biologique=organic, recycle=recycled, recyclee=recycled, vegan=vegan, vegane=vegan
naturel=natural, naturelle=natural
"""

DROP = "le la les un une des du de d' l' est-ce que qu' alors bon euh ben voila il elle"

ENDINGS = (("s", ""), ("x", ""), ("e", ""), ("es", ""))
