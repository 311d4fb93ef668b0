"""German."""

PHRASES = """
wo ist meine bestellung | wo bleibt meine bestellung | wo ist mein paket | wo bleibt mein paket => where is my order
status meiner bestellung | stand meiner bestellung | bestellstatus => status of my order
meine bestellung verfolgen | sendungsverfolgung => track my order
ist meine bestellung verschickt | wurde meine bestellung verschickt | ist meine bestellung unterwegs => has my order shipped
meine bestellung => my order
ich weiß nicht | ich weiss nicht | ich erinnere mich nicht an | ich finde nicht | ich habe nicht => i don't know
habt ihr | haben sie | gibt es | führen sie | verkaufen sie | verkauft ihr | hätten sie => do you have
ist verfügbar | ist lieferbar | sind verfügbar | auf lager | vorrätig | ist vorrätig => in stock
ist ausverkauft | sind ausverkauft | nicht mehr da => is sold out
noch welche da | noch da => any left
wie viele habt ihr | wie viele haben sie | wie viele sind noch => how many
wie viel kostet | wieviel kostet | was kostet | wie viel kosten | was kosten | wie teuer ist | wie teuer sind | preis von | preis für => how much is
welche größen | in welchen größen | welche grössen => what sizes
welche farben | in welchen farben => what colours
gibt es ihn in | gibt es sie in | gibt es es in | gibt es das in | haben sie ihn in | haben sie es in | habt ihr ihn in | habt ihr es in | gibt's das in => do you have it in
erzählen sie mir mehr über | erzähl mir mehr über | mehr infos zu | mehr informationen über | details zu | infos zu => tell me about
woraus ist | aus welchem material => made of
etwas günstigeres | etwas billigeres | was günstigeres | was billigeres => anything cheaper
günstiger | billiger | preiswerter => cheaper
am günstigsten | am billigsten | der günstigste | die günstigste | das günstigste | der billigste | die billigste | das billigste => cheapest
am teuersten | der teuerste | die teuerste | das teuerste => most expensive
welcher ist günstiger | welche ist günstiger | welches ist günstiger | was ist günstiger => which one is cheaper
die ersten beiden | die ersten zwei => the first two
der erste | die erste | das erste => the first one
der zweite | die zweite | das zweite => the second one
der dritte | die dritte | das dritte => the third one
der letzte | die letzte | das letzte => the last one
der andere | die andere | das andere => the other one
im angebot | reduziert | im sale | im ausverkauf => on sale
weniger als | unter | unterhalb von | bis zu => under
mehr als | über => over
höchstens | maximal => up to
ungefähr | etwa | rund => around
zeig mir mehr | zeigen sie mir mehr | mehr anzeigen | noch mehr | was noch => show me more
mit einem menschen sprechen | mit einer person sprechen | mit jemandem sprechen | mit einem mitarbeiter sprechen | mit einem menschen | mit einer person | mit jemandem | mit einem mitarbeiter | einen menschen | einen mitarbeiter => talk to a person
bist du ein bot | sind sie ein bot | bist du ein roboter | sind sie ein mensch | bist du ein mensch | ist das ein bot => are you a bot
guten morgen | guten tag | guten abend | grüß gott | servus | moin => hello
vielen dank | danke schön | danke sehr | besten dank => thanks
das wars | das war's | das ist alles | sonst nichts => that's all
auf wiedersehen | bis bald | schönen tag => bye
versandkosten | kosten für den versand | was kostet der versand | wie viel kostet der versand | wie teuer ist der versand | lieferkosten => shipping cost
kostenloser versand | versandkostenfrei | gratis versand => free shipping
liefert ihr nach | liefern sie nach | versendet ihr nach | versenden sie nach | liefert ihr in die | liefern sie in die | liefert ihr | liefern sie => do you ship to
wie lange dauert | wie lange dauert der versand | wie lange dauert die lieferung | wann kommt | lieferzeit | lieferzeiten => how long does delivery take
rückgabebedingungen | rückgaberecht | rücksendebedingungen => returns policy
wie kann ich zurückschicken | wie schicke ich zurück | wie funktioniert die rücksendung | wie kann ich zurückgeben => how do i return
ich will mein geld zurück | ich möchte mein geld zurück | ich möchte eine erstattung | ich will eine erstattung => i want a refund
kam kaputt an | ist kaputt angekommen | kaputt angekommen | beschädigt angekommen | ist beschädigt => arrived broken
nie angekommen | nicht angekommen | noch nicht angekommen | nie erhalten | nicht erhalten => never arrived
falscher artikel | falsche größe | falsches produkt => wrong item
Vereinigtes Königreich | England | Großbritannien => uk
USA | Vereinigte Staaten => usa
öffnungszeiten | geschäftszeiten | wann habt ihr geöffnet => hours
wie kann ich euch erreichen | wie erreiche ich sie | kontakt aufnehmen | kundenservice | kundendienst => contact
zahlungsarten | zahlungsmethoden | wie kann ich bezahlen => payment
rabattcode | gutscheincode | gutschein => discount code
größentabelle | größenberatung => size guide
für damen | für frauen | für sie => for women
für herren | für männer | für ihn => for men
langarm | lange ärmel => long sleeve
neu eingetroffen | neu eingetroffene | neu im sortiment | neu reingekommen | gerade reingekommen | gerade eingetroffen | neuheiten | neuigkeiten | neue produkte | neue artikel | was gibt es neues | was ist neu | neuzugänge => new arrivals
am neuesten | der neueste | die neueste | das neueste => newest
bestes preis-leistungs-verhältnis | preis-leistungs-verhältnis | bestes preis leistungs verhältnis | preisleistungsverhältnis | preis-leistung => best value
teurer als => more expensive than
günstiger als | billiger als | preiswerter als => cheaper than
bei euch | bei ihnen | bei dir =>
wer stellt | wer macht | wer produziert | wer fertigt | wer ist der hersteller | wer hat hergestellt | wer entwirft | wer hat gemacht => who makes
welche marke | von welcher marke | was für eine marke | welcher hersteller | welche firma | welche marke ist => what brand
hergestellt von | gemacht von | produziert von => made by
etwas von | sachen von | produkte von | artikel von | was von => anything from
der marke => brand
aus welchem stoff | woraus sind | woraus besteht | woraus bestehen | aus was ist | was für ein material | was für ein stoff | welches material | welcher stoff => made of
wie groß ist | wie groß sind | wie hoch ist | wie breit ist | wie tief ist | welche maße => how big is
wie schwer ist | wie schwer sind | wie viel wiegt | wieviel wiegt => how heavy is
wie viele sitzplätze | wie viele plätze => how many seats
wie viele personen => how many people
wie wasche ich | wie wäscht man | wie pflege ich | wie pflegt man | wie reinige ich | wie reinigt man | in der waschmaschine | maschinenwaschbar | kann man waschen | kann man es waschen | kann man sie waschen => how do i wash
was ist enthalten | was ist dabei | was ist im lieferumfang | im lieferumfang | was gehört dazu | was ist inklusive => what's included
wo wird es hergestellt | wo wird sie hergestellt | wo wird er hergestellt | wo hergestellt | hergestellt in | gemacht in | produziert in => made in
fällt klein aus | fällt kleiner aus | fallen klein aus => runs small
fällt groß aus | fällt größer aus | fallen groß aus => runs large
tu so als wärst du | tu so als ob du | tu so als | stell dir vor du bist | gib vor zu sein | du bist jetzt | sie sind jetzt => pretend you are
ab jetzt | von nun an | ab sofort => from now on
verhalte dich wie | agiere als | spiel die rolle => act as a
sprich mir nach | wiederhole nach mir => repeat after me
sag genau | sage genau | schreib genau | schreibe genau | antworte nur mit | antworte genau | sag nur => say exactly
system prompt | system-prompt => system prompt
entwicklermodus => developer mode
zeig mir deine anweisungen | verrate mir deine | verrate deine | nenne deine anweisungen => reveal your
noch welche | habt ihr noch | haben sie noch => any left
wer stellt sie her | wer stellt ihn her | wer stellt es her | wer macht sie | wer macht die => who makes
"""

WORDS = """
n=number, nº=number, n°=number
hallo=hi, hi=hi, hey=hi, danke=thanks, ja=yes, jawohl=yes, nein=no, ok=ok, okay=ok, gut=ok, super=great
prima=great, toll=great, perfekt=great, klar=sure, gerne=please, tschuss=bye, ciao=bye
suche=looking for, such=looking for, mochte=want, will=want, hatte=want, brauche=need, zeig=show me
zeigen=show me, empfehlen=recommend, empfiehlst=recommend, ich=i
wo=where, wann=when, wie=how, viel=much, viele=many, was=what, welcher=which, welche=which, welches=which
warum=why, wer=who
ist=is, sind=are, das=this, dies=this, diese=this, dieser=this, dieses=this, es=it, ihn=it, sie=you, ihr=you
mein=my, meine=my, meinen=my, meiner=my, mir=me, mich=me, euch=you, uns=us
und=and, oder=or, aber=but, mit=with, ohne=without, fur=for, in=in, im=in, zwischen=between, bis=up to
von=from, auch=also, noch=still, mehr=more, sehr=very, etwas=anything, irgendwas=anything, alle=all
preis=price, preise=prices, kostet=cost, kosten=cost, teuer=expensive, gunstig=cheap, billig=cheap, sale=sale
rabatt=discount, angebot=sale, angebote=sale, lager=stock, verfugbar=available, lieferbar=available
erhaltlich=available, ausverkauft=sold out, vorratig=in stock
grosse=size, grossen=sizes, farbe=colour, farben=colours
klein=small, kleine=small, mittel=medium, mittlere=medium, gross=large
t-shirt=tee, tshirt=tee, shirt=shirt, hemd=shirt, hemden=shirts, bluse=blouse, oberteil=top, top=top
jacke=jacket, jacken=jackets, lederjacke=leather jacket, lederjacken=leather jacket, mantel=coat
pullover=jumper, pulli=jumper, kapuzenpullover=hoodie, kleid=dress, rock=skirt, hose=trousers, jeans=jeans
tasche=bag, taschen=bags, handtasche=bag, ledertasche=leather bag, schuhe=shoes, turnschuhe=sneakers
sneaker=sneakers, anzug=suit, smoking=tuxedo, mutze=cap, hut=hat, schal=scarf, kleidung=clothes
leder=leather, seide=silk, wolle=wool, baumwolle=cotton, jeansstoff=denim
blau=blue, blaue=blue, blauen=blue, blaues=blue, blauer=blue, rot=red, rote=red, roten=red, rotes=red
roter=red, schwarz=black, schwarze=black, schwarzen=black, weiss=white, weisse=white, weissen=white
grun=green, grune=green, grunen=green, gelb=yellow, gelbe=yellow, gelben=yellow, grau=grey, graue=grey
rosa=pink, pink=pink, lila=purple, violett=purple, orange=orange, braun=brown, braune=brown, beige=beige
gold=gold, silber=silver, marineblau=navy, navy=navy, oliv=olive, olivgrun=olive, creme=cream
damen=women, frauen=women, frau=women, herren=men, manner=men, mann=men, kinder=kids, kind=kids
versand=shipping, versenden=ship, versendet=ship, liefern=deliver, lieferung=delivery, zustellung=delivery
bestellung=order, bestellungen=orders, bestellnummer=order number, auftrag=order, kauf=purchase
paket=package, nummer=number, e-mail=email, email=email, mail=email, emailadresse=email, e-mail-adresse=email
ankommen=arrive, kommt=arrive, tage=days, verfolgen=track, sendungsnummer=tracking number
ruckgabe=return, rucksendung=return, zuruckgeben=return, zuruckschicken=return, erstattung=refund
ruckerstattung=refund, umtausch=exchange, umtauschen=exchange, garantie=warranty, kontakt=contact
telefon=phone, telefonnummer=phone, adresse=address, laden=store, geschaft=store, shop=store
zahlung=payment, bezahlen=pay, zahlen=pay, stornieren=cancel, kostenlos=free, gratis=free
international=international, ausland=abroad
kaputt=broken, beschadigt=damaged, defekt=defective, falsch=wrong, falsche=wrong, beschwerde=complaint
betrug=scam, inakzeptabel=unacceptable, unverschamt=unacceptable, schrecklich=terrible
mensch=human, menschen=human, person=person, mitarbeiter=agent, jemand=someone, jemandem=someone
sprechen=talk, reden=talk
vergleich=compare, vergleichen=compare, vergleiche=compare, unterschied=difference, besser=better
details=details, material=material, stoff=fabric
erste=first, zweite=second, dritte=third, letzte=last
kanada=canada, mexiko=mexico, deutschland=germany, frankreich=france, spanien=spain, italien=italy
osterreich=austria, schweiz=switzerland, europa=europe, japan=japan, australien=australia
dollar=dollars, euro=euros
teuerste=most expensive, gunstigste=cheapest, billigste=cheapest, preiswerteste=cheapest, neueste=newest
neuste=newest, neu=new, neue=new, neues=new, neuer=new, produkt=product, produkte=products, artikel=item
sachen=stuff, ding=thing, dinge=things, euer=your, eure=your, euren=your, eurem=your, dein=your, deine=your
deinen=your, deiner=your, hersteller=manufacturer, marke=brand, marken=brands, herkunft=origin
herkunftsland=country of origin, masse=dimensions, abmessungen=dimensions, hohe=height, breite=width
tiefe=depth, durchmesser=diameter, fassungsvermogen=capacity, kapazitat=capacity, volumen=volume
liter=litres, sitzplatze=seats, gewicht=weight, wiegt=weighs, pflege=care, pflegen=care, waschen=wash
wascht=wash, waschbar=washable, waschmaschine=washing machine, reinigen=clean, bugeln=iron
trockner=tumble dryer, spulmaschine=dishwasher, geschirrspuler=dishwasher, lieferumfang=contents
enthalten=included, inklusive=included, passform=fit, gewahrleistung=warranty
zusammensetzung=composition, materialien=materials, gemacht=made, hergestellt=made
ignoriere=ignore, ignorier=ignore, ignorieren=ignore, vergiss=forget, vergessen=forget
anweisungen=instructions, anweisung=instruction, regeln=rules, vorherigen=previous, vorigen=previous
bisherigen=previous, systemprompt=system prompt, sag=say, sage=say
zeigt=show me, zeigst=show me, zeige=show me
wasserdicht=waterproof, wasserabweisend=water-repellent, atmungsaktiv=breathable
verstellbar=adjustable, handgemacht=handmade, bio=organic, recycelt=recycled, vegan=vegan
natur=natural, naturfarben=natural
"""

DROP = "der die das den dem des ein eine einen einem einer eines denn mal bitte doch ja nach also halt davon her hin"

ENDINGS = (("en", ""), ("n", ""), ("e", ""), ("s", ""), ("er", ""))
