"""Italian."""

PHRASES = """
numero d'ordine | numero dell'ordine | numero ordine | numero del mio ordine => order number
dov'è il mio ordine | dove è il mio ordine | dove si trova il mio ordine | dov'è il mio pacco | dove è il mio pacco | dov'è l'ordine => where is my order
stato del mio ordine | stato dell'ordine | a che punto è il mio ordine => status of my order
tracciare il mio ordine | tracciamento del mio ordine | seguire il mio ordine => track my order
il mio ordine è stato spedito | avete spedito il mio ordine | è partito il mio ordine => has my order shipped
il mio ordine | mio ordine => my order
non lo so | non so | non ricordo | non mi ricordo | non trovo | non ho => i don't know
avete | ce l'avete | c'è | ci sono | vendete | avete per caso => do you have
è disponibile | sono disponibili | disponibile in | è in magazzino | in magazzino | in stock | è in stock => in stock
è esaurito | è esaurita | sono esauriti | esaurito => is sold out
ne avete ancora | ne rimangono | ce ne sono ancora => any left
quanti ne avete | quanti ne rimangono | quanti pezzi => how many
quanto costa | quanto costano | qual è il prezzo | quanto viene | quanto vengono | che prezzo ha | a quanto => how much is
che taglie | quali taglie | in che taglie | in quali taglie => what sizes
che colori | quali colori | in che colori | in quali colori => what colours
c'è in | ce l'avete in | l'avete in | esiste in | è disponibile in | viene in => do you have it in
parlami di | mi parli di | dimmi di più su | più informazioni su | più dettagli su | dettagli su | informazioni su => tell me about
di cosa è fatto | di cosa è fatta | in che materiale | di che materiale => made of
più economico | più economica | più economici | più economiche | meno caro | meno cara => cheaper
qualcosa di più economico | qualcosa di meno caro => anything cheaper
il più economico | la più economica | i più economici | le più economiche | il meno caro => cheapest
il più caro | la più cara | i più cari | le più care | il più costoso => most expensive
quale costa meno | quale è più economico | qual è più economico | quale dei due costa meno => which one is cheaper
i primi due | le prime due => the first two
il primo | la prima => the first one
il secondo | la seconda => the second one
il terzo | la terza => the third one
l'ultimo | l'ultima => the last one
l'altro | l'altra => the other one
in saldo | in saldi | in offerta | in sconto | scontati | scontato => on sale
meno di | sotto i | sotto => under
più di | sopra i => over
fino a | al massimo => up to
circa | intorno a => around
mostrami altro | mostrami di più | fammi vedere altro => show me more
parlare con una persona | parlare con qualcuno | parlare con un operatore | parlare con un umano | parlare con un essere umano | con una persona | con un operatore | una persona vera => talk to a person
parlare con => talk to
sei un bot | sei un robot | sei umano | sei una persona | è un bot | sto parlando con un bot => are you a bot
buon giorno | buona sera | buonasera | buongiorno | salve => hello
grazie mille | molte grazie | grazie tante => thanks
è tutto | nient'altro | basta così => that's all
a presto | ci vediamo | buona giornata => bye
per favore | per piacere => please
costi di spedizione | costo della spedizione | spese di spedizione | quanto costa la spedizione | quanto costa spedire | prezzo della spedizione => shipping cost
spedizione gratuita | spedizione gratis => free shipping
spedite in | spedite a | spedite negli | fate spedizioni in | consegnate in | spedite => do you ship to
quanto tempo ci vuole | quanto ci vuole | quanto tempo | tempi di consegna | tempo di consegna | quando arriva => how long does delivery take
politica di reso | politica dei resi | condizioni di reso => returns policy
come faccio un reso | come posso restituire | come restituisco | come fare il reso | come rendere => how do i return
voglio un rimborso | voglio i miei soldi | rivoglio i miei soldi => i want a refund
è arrivato rotto | è arrivata rotta | arrivato rotto | arrivato danneggiato | è arrivato danneggiato => arrived broken
mai arrivato | non è mai arrivato | non è arrivato | non è ancora arrivato | non ho ricevuto => never arrived
articolo sbagliato | prodotto sbagliato | taglia sbagliata => wrong item
Regno Unito | Inghilterra => uk
Stati Uniti => usa
orari di apertura | orario di apertura | orari | orario => hours
come vi contatto | come contattarvi | come posso contattarvi | servizio clienti | assistenza clienti => contact
metodi di pagamento | modalità di pagamento => payment
carta di credito => credit card
codice sconto | codice promozionale | buono sconto | coupon => discount code
guida alle taglie | tabella taglie | tabella delle taglie => size guide
per donna | per donne | da donna | per lei => for women
per uomo | per uomini | da uomo | per lui => for men
manica lunga | maniche lunghe => long sleeve
novità | ultime novità | ultimi arrivi | nuovi arrivi | appena arrivati | appena arrivato | appena arrivata | nuovi prodotti | prodotti nuovi | cosa c'è di nuovo | ultimi prodotti => new arrivals
miglior rapporto qualità-prezzo | miglior rapporto qualità prezzo | migliore rapporto qualità-prezzo | il più conveniente | la più conveniente | più conveniente => best value
più caro di | più cara di | più cari di | più care di => more expensive than
più economico di | più economica di | meno caro di | meno cara di => cheaper than
chi produce | chi fa | chi fabbrica | chi è il produttore | chi è il fabbricante | chi disegna | chi lo produce | chi la produce | chi li produce => who makes
che marca | di che marca | quale marca | di quale marca | qual è la marca => what brand
prodotto da | prodotta da | prodotti da | fatto da | fatta da | realizzato da => made by
qualcosa di | prodotti di | articoli di | cose di => anything from
della marca | di marca => brand
di che tessuto | in che tessuto | di cosa sono fatti | di che cosa è fatto | di che cosa è fatta | com'è fatto | fatto di | fatta di | fatti di | fatte di => made of
quanto è grande | quanto sono grandi | quanto misura | quanto misurano | che dimensioni => dimensions
quanto pesa | quanto pesano => how heavy is
quanti posti | quanti posti a sedere => how many seats
quante persone => how many people
come si lava | come lavarlo | come lavarla | come lo lavo | come la lavo | si può lavare | si lava | va in lavatrice | in lavatrice | come si pulisce | come pulirlo | come pulirla => how do i wash
cosa include | cosa è incluso | cosa c'è nella confezione | cosa contiene | nella confezione => what's included
viene con | vengono con => comes with
dove è prodotto | dove è fatto | dov'è prodotto | dov'è fatto | fatto in | realizzato in => made in
veste piccolo | veste stretto => runs small
veste grande | veste largo | veste abbondante => runs large
quante ne avete | quanti ne restano | quante ne restano | quante ne rimangono => how many
fai finta di essere | fai finta che sei | fingi di essere | immagina di essere | ora sei | adesso sei => pretend you are
da adesso in poi | da ora in poi | d'ora in poi | d'ora in avanti | da questo momento => from now on
comportati come | agisci come | recita la parte di => act as a
ripeti dopo di me | ripeti con me => repeat after me
prompt di sistema | messaggio di sistema | istruzioni di sistema => system prompt
modalità sviluppatore => developer mode
rispondi solo | rispondi soltanto | scrivi solo | scrivi esattamente | rispondi esattamente => say exactly
fatto a mano | fatta a mano | fatti a mano => handmade
chi le produce | chi lo fa | chi la fa | chi li fa | chi le fa | chi le fabbrica | chi lo fabbrica | chi la fabbrica => who makes
"""

WORDS = """
n=number, nº=number, n°=number
ciao=hi, salve=hello, grazie=thanks, si=yes, sì=yes, no=no, ok=ok, va=ok, bene=ok, certo=sure
perfetto=great, ottimo=great, fantastico=great, arrivederci=bye
cerco=looking for, cercando=looking for, voglio=i want, vorrei=i want, desidero=i want, ho=i have
bisogno=need, mostrami=show me, fammi=show me, consigli=recommend, consigliate=recommend, suggerite=suggest
dove=where, quando=when, quanto=how much, quanta=how much, quanti=how many, quante=how many, cosa=what
che=what, quale=which, quali=which, come=how, perche=why, chi=who
è=is, e=and, sono=are, questo=this, questa=this, quello=that, quella=that, lo=it, la=it, li=them
mio=my, mia=my, miei=my, mie=my, tuo=your, vostro=your, mi=me, io=i, lei=you, voi=you
o=or, ma=but, con=with, senza=without, per=for, in=in, tra=between, fra=between, da=from
anche=also, piu=more, meno=less, molto=very, qualcosa=anything, qualche=any, tutto=all, altro=other
prezzo=price, prezzi=prices, costa=cost, costano=cost, caro=expensive, cara=expensive, costoso=expensive
economico=cheap, economica=cheap, saldi=sale, offerta=sale, offerte=sale, sconto=discount, sconti=discount
disponibile=available, disponibili=available, esaurito=sold out, esaurita=sold out, magazzino=stock
restano=left, resta=left, rimangono=left, rimane=left, rimasti=left, rimaste=left, vi=you, ci=there
taglia=size, taglie=sizes, misura=size, colore=colour, colori=colours
piccola=small, piccolo=small, media=medium, medio=medium, grande=large
maglietta=tee, t-shirt=tee, tshirt=tee, camicia=shirt, camicie=shirts, camicetta=blouse, top=top
maglia=top, giacca=jacket, giacche=jackets, giubbotto=jacket, giubbino=jacket, cappotto=coat
maglione=jumper, felpa=hoodie, vestito=dress, abito=dress, gonna=skirt, pantaloni=trousers, jeans=jeans
borsa=bag, borse=bags, scarpe=shoes, sneakers=sneakers, completo=suit, smoking=tuxedo, cappellino=cap
cappello=hat, sciarpa=scarf, vestiti=clothes, abbigliamento=clothes
pelle=leather, cuoio=leather, seta=silk, lana=wool, cotone=cotton, jeans=denim
blu=blue, azzurro=blue, azzurra=blue, rosso=red, rossa=red, rossi=red, rosse=red, nero=black, nera=black
bianco=white, bianca=white, verde=green, verdi=green, giallo=yellow, gialla=yellow, grigio=grey
grigia=grey, rosa=pink, viola=purple, arancione=orange, marrone=brown, beige=beige, oro=gold
argento=silver, blu navy=navy, oliva=olive, crema=cream
donna=women, donne=women, signora=women, uomo=men, uomini=men, bambini=kids, bambino=kids
spedizione=shipping, spedizioni=shipping, spedire=ship, spedite=ship, consegna=delivery, consegne=delivery
ordine=order, ordini=orders, acquisto=purchase, pacco=package, numero=number, email=email, e-mail=email
mail=email, arriva=arrive, arrivare=arrive, giorni=days, tracciare=track, tracciamento=tracking
reso=return, resi=returns, restituire=return, rimborso=refund, cambio=exchange, cambiare=exchange
garanzia=warranty, contatto=contact, contatti=contact, contattare=contact, telefono=phone
indirizzo=address, negozio=store, pagamento=payment, pagare=pay, annullare=cancel, gratis=free
gratuita=free, internazionale=international
rotto=broken, rotta=broken, danneggiato=damaged, danneggiata=damaged, difettoso=defective, sbagliato=wrong
reclamo=complaint, truffa=scam, inaccettabile=unacceptable, vergognoso=unacceptable, pessimo=terrible
persona=person, umano=human, operatore=agent, qualcuno=someone, parlare=talk
confronta=compare, confrontare=compare, paragona=compare, differenza=difference, meglio=better
dettagli=details, materiale=material, tessuto=fabric, fatto=made
primo=first, secondo=second, terzo=third, ultimo=last
canada=canada, messico=mexico, germania=germany, francia=france, spagna=spain, italia=italy
svizzera=switzerland, europa=europe, estero=abroad, giappone=japan, australia=australia
dollari=dollars, euro=euros
qual=which, prodotto=product, prodotti=products, articolo=item, articoli=items, cose=things
marca=brand, marche=brands, produttore=manufacturer, fabbricante=manufacturer, fatta=made, fatti=made
dimensioni=dimensions, misure=measurements, altezza=height, larghezza=width, lunghezza=length
profondita=depth, diametro=diameter, capacita=capacity, capienza=capacity, litri=litres, posti=seats
peso=weight, pesa=weighs, lavare=wash, lavaggio=washing, lavatrice=washing machine, pulire=clean
stirare=iron, lavastoviglie=dishwasher, asciugatrice=tumble dryer, cura=care, manutenzione=care
include=includes, incluso=included, inclusa=included, inclusi=included, compreso=included
contenuto=contents, vestibilita=fit, origine=origin, provenienza=origin, composizione=composition
nuovo=new, nuova=new, nuovi=new, nuove=new, recente=recent, ancora=still, tue=your, tuoi=your, sei=you are
ignora=ignore, ignorare=ignore, ignorate=ignore, dimentica=forget, dimenticare=forget, dimenticate=forget
istruzioni=instructions, istruzione=instruction, regole=rules, precedenti=previous, scrivi=write
rispondi=answer, esattamente=exactly
vedere=see, vedi=see, mostra=show me, mostrate=show me, fatemi=show me
impermeabile=waterproof, traspirante=breathable, regolabile=adjustable, lavabile=washable
biologico=organic, biologica=organic, riciclato=recycled, riciclata=recycled, vegano=vegan, vegana=vegan
naturale=natural
"""

DROP = (
    "il lo la i gli le un uno una un' l' del dello della dei degli delle di al allo alla ai agli alle ne ci allora beh"
)

ENDINGS = (("i", "o"), ("e", "a"), ("he", "a"), ("i", "e"))

#: Comparatives an article before them makes superlatives ("la chaqueta más barata"): see translate.py.
SUPERLATIVES = """
più caro | più cara | più cari | più care | più costoso | più costosa | più costosi | più costose => most expensive
più economico | più economica | più economici | più economiche | meno caro | meno cara | meno cari | meno care | meno costoso | meno costosa => cheapest
più nuovo | più nuova | più nuovi | più nuove | più recente | più recenti => newest
"""
ARTICLES = "il lo la i gli le l'"
#: Verbs that end the phrase an article opened ("la Zipped Jacket es más barata" compares).
BREAKS = "è sono sta stanno costa costano viene vengono era sarebbe"
