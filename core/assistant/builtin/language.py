"""Which language a shopper writes in, per message.

A compact detector for the languages the built-in engine speaks (English,
Spanish, French, German, Portuguese, Italian), made for shoppers' lines: short,
lowercase, unaccented, full of product names. It scores each language by its
frequent words (function words and shopping words, a word shared by several
languages counting for each a share) and by the letters only some languages
use (ñ ¿ ¡ for Spanish, ß ä ö ü for German, ã õ for Portuguese ...). It also
recognises lines in other scripts (Cyrillic, Greek, Arabic, Hebrew, CJK ...)
and in a few other Latin-script languages (Dutch, Polish, Swedish, Turkish ...)
so the engine can say honestly, in that language where it can, that it does
not speak it.

Measured against py3langid (restricted to the same six languages) on
``tests/data/language/lines.tsv`` by ``bench/language.py``; the figures are
in ``bench/README.md``.

:func:`for_turn` adds the conversation: a line that says too little ("ok",
"no", "Classic Leather Jacket", "#1001") keeps the language the conversation
already speaks, else the language of the shopper's page, else the shop's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: The languages the built-in engine answers in.
SPOKEN = ("en", "es", "fr", "de", "pt", "it")
DEFAULT = "en"

_WORDS: dict[str, str] = {
    "en": """the in on is are do does did you your have has had what how my i can it for of and to this that with where
        when much there any please thanks thank hi hello hey was will would could should me we our order shipping
        ship return returns price stock size want need looking buy who which why get got show tell about cost
        costs don't doesn't isn't i'm it's what's where's how's yes yeah yep nope bye goodbye sell carry have
        available deliver delivery cheaper cheapest expensive track package talk speak person human agent from
        anything something else more less than under over between just also still again one
        these those them they if or but not no great awesome sure""",
    "es": """hola tienen tiene tienes quiero quería queria necesito busco buscando dónde donde cuánto cuanto cuánta
        cuesta cuestan precio precios envío envio envíos envios pedido pedidos gracias favor qué el los las una
        unos unas ustedes usted envían envian enviar hacen está estan están estoy mi mis para con hay puedo cómo
        como tallas talla camisa camisas camiseta camisetas chaqueta chaquetas cazadora bolso zapatillas vestido
        falda azul rojo roja negro negra blanco blanca verde amarillo gris rosa morado marrón marron mediana
        pequeña pequena grande disponible disponibles agotado agotada hablar persona alguien devolución
        devolucion devoluciones reembolso gastos cuál cual cuáles cuales algo más mas barato barata baratos
        baratas caro cara también tambien sí buenos buenas días dias tardes noches adiós adios vale perfecto
        genial muchas no mujer hombre hombres mujeres y o pero muy del al lo le se sus hasta desde entre menos
        cuándo cuando llega llegará llegara correo número numero mío mio seda cuero lana algodón algodon
        enseñas enseñame muéstrame muestrame ver tenéis teneis podría podria quisiera ayuda ayudar eres soy
        por favor
        que marca fabrica fabricante quién quien medidas quedan novedades hecho hecha lavar tela garantía garantia
        incluye peso últimas ultimas vuestras vuestros
        cuántos cuántas cuantos cuantas queda""",
    "fr": """bonjour bonsoir salut merci vous avez est ce au aux du livrez livrer livraison vestes veste je suis
        mon ma mes les des une un combien coûte coute coûtent coutent commande commandes où pour avec voudrais
        plaît plait est-ce c'est votre vos nous êtes taille tailles chemise chemises haut hauts sac chaussures
        robe jupe pull bleu bleue rouge noir noire blanc blanche vert verte jaune gris grise rose violet marron
        moyen moyenne petit petite grand grande disponible disponibles épuisé epuise épuisée parler personne
        quelqu'un retour retours remboursement frais quel quelle quels quelles moins cher chère chers plus
        aussi oui non merci! au revoir d'accord parfait super femme femmes homme hommes et ou mais très tres
        le la en pas qui que quoi quand arrive arrivera e-mail numéro numero soie cuir laine coton
        montrez montrer cherche avez-vous pouvez aide aider j'ai j'aimerais n'est ça ca
        marque fabrique fabriqué fait faite matière matiere tissu nouveautés nouveautes reste entretien laver poids
        restent reste-t-il""",
    "de": """hallo guten tag morgen abend danke bitte haben habt ich möchte moechte wo ist meine mein meinen
        bestellung bestellungen wie viel kostet kosten versand jacke jacken hemd hemden oberteil tasche schuhe
        kleid rock pullover blau blaue blauen rot rote roten schwarz schwarze weiß weiss weiße weisse grün grün
        grüne gelb gelbe grau graue rosa lila braun mittel klein kleine groß gross große verfügbar verfuegbar
        lieferbar ausverkauft sprechen mensch jemand mitarbeiter rückgabe ruckgabe rücksendung rueckgabe
        erstattung günstiger guenstiger billiger teuer teurer auch ja nein tschüss tschuss auf wiedersehen
        okay super toll perfekt damen frauen herren männer maenner und oder aber sehr der die das den dem des
        ein eine einen einer nicht gibt sie ihr größe grösse groesse größen sind kann können koennen liefern
        lieferung wann kommt ankommen bist bin nummer seide leder wolle baumwolle zeigen suche hilfe helfen in im welche
        welcher welches noch etwas was mir mich uns euch für fur zu von mit bei nach
        marke hersteller stellt waschen gewicht maße masse neuheiten teuerste teuerstes günstigste billigste
        woraus welchem euer davon
        viele wieviele übrig uebrig vorrätig vorraetig""",
    "pt": """olá ola obrigado obrigada vocês voces têm tem tenho custa custam preço preco preços precos meu minha
        meus minhas onde não nao quero queria preciso procuro procurando quanto quanta envio envios entrega
        encomenda encomendas pedido pedidos camisa camisas camiseta camisetas blusa casaco casacos jaqueta
        jaquetas bolsa sapatos vestido saia azul vermelho vermelha preto preta branco branca verde amarelo
        amarela cinzento cinza rosa roxo castanho marrom médio medio média media pequeno pequena grande
        disponível disponivel disponíveis esgotado esgotada falar pessoa alguém alguem devolução devolucao
        devoluções reembolso portes qual quais algo mais barato barata caro também tambem sim não no bom boa dia
        tarde noite tchau adeus perfeito ótimo otimo muito mulher mulheres homem homens e ou mas o os as do da dos das
        no na nos nas um uma uns umas para com há ha posso como quando chega chegar número numero seda couro
        lã algodão algodao mostrar ajuda ajudar você voce está estão és sou por favor
        que é feito feita marca fabrica quem restam novidades lavar peso inclui garantia tecido
        quantos quantas ainda resta sobram menos entre até ate abaixo acima tênis pretos pretas""",
    "it": """ciao buongiorno buonasera grazie avete avere quanto quanta costa costano prezzo prezzi spedizione
        spedizioni ordine ordini dove il della dello delle degli dei vorrei sono mio mia miei mie voglio
        cerco cercando camicia camicie maglietta magliette giacca giacche borsa scarpe vestito gonna maglione
        blu azzurro rosso rossa nero nera bianco bianca verde giallo gialla grigio grigia rosa viola marrone
        media medio piccola piccolo grande disponibile disponibili esaurito esaurita parlare persona qualcuno
        reso resi rimborso costi quale quali qualcosa più piu economico economica economici caro cara anche
        sì si no buon giorno arrivederci va bene perfetto ottimo molto donna donne uomo uomini e o ma lo gli la
        le un una uno per con c'è ce posso come quando arriva arriverà arrivera numero seta pelle lana cotone
        mostrami mostrare aiuto aiutare ho hai è che non in spedite sei
        qual marca produce produttore materiale tessuto novità arrivi lavare peso dimensioni garanzia ultimi
        quanti quante restano rimasti rimaste rimane ancora vi ci di chi""",
}
#: Letters that only some of the languages use, with the share each gets.
_LETTERS: dict[str, tuple[str, ...]] = {
    "ñ": ("es",),
    "¿": ("es",),
    "¡": ("es",),
    "í": ("es", "pt"),
    "ó": ("es", "pt", "it"),
    "á": ("es", "pt"),
    "ú": ("es", "pt"),
    "ß": ("de",),
    "ä": ("de",),
    "ö": ("de",),
    "ü": ("de",),
    "ã": ("pt",),
    "õ": ("pt",),
    "ç": ("fr", "pt"),
    "â": ("fr", "pt"),
    "ê": ("fr", "pt"),
    "ô": ("fr", "pt"),
    "œ": ("fr",),
    "è": ("fr", "it"),
    "ù": ("fr", "it"),
    "î": ("fr",),
    "û": ("fr",),
    "ë": ("fr",),
    "ï": ("fr",),
    "à": ("fr", "it", "pt"),
    "ì": ("it",),
    "ò": ("it",),
    "é": ("fr", "es", "pt", "it"),
}
#: Frequent words of Latin-script languages the engine does not speak.
_OTHER_LATIN: dict[str, frozenset[str]] = {
    "nl": frozenset(
        "hallo bedankt hebben jullie ik mijn bestelling waar hoeveel kost verzending jas een het niet "
        "heeft zijn wat hoe kunnen graag dank alstublieft jassen goedemiddag goedemorgen".split()
    ),
    "pl": frozenset(
        "dzień dobry dziękuję czy macie gdzie jest moje zamówienie ile kosztuje wysyłka jak nie tak "
        "proszę kurtka kurtki".split()
    ),
    "sv": frozenset("hej tack har ni var är min beställning hur mycket kostar frakt jacka jackor och inte".split()),
    "da": frozenset("hej tak har i hvor er min bestilling hvor meget koster fragt jakke og ikke".split()),
    "tr": frozenset("merhaba teşekkürler sipariş nerede ne kadar kargo ceket var mı misiniz lütfen".split()),
    "id": frozenset("halo terima kasih apakah ada berapa harga pesanan saya dimana pengiriman jaket".split()),
}
#: Non-Latin scripts: the first letters' Unicode name prefix -> language (or script) code.
_SCRIPTS = (
    ("CYRILLIC", "ru"),
    ("GREEK", "el"),
    ("ARABIC", "ar"),
    ("HEBREW", "he"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("CJK", "zh"),
    ("HANGUL", "ko"),
    ("THAI", "th"),
    ("DEVANAGARI", "hi"),
)

_TOKEN = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)?")
#: Emails and links say nothing about the language ("com" is Portuguese for "with").
_NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.I)


def _weights() -> dict[str, dict[str, float]]:
    """word -> {language: share}: a word several languages use counts for each a share."""
    owners: dict[str, set[str]] = {}
    for lang, words in _WORDS.items():
        for w in words.split():
            owners.setdefault(w, set()).add(lang)
    return {w: {lang: 1.0 / len(langs) for lang in langs} for w, langs in owners.items()}


_WEIGHTS = _weights()


@dataclass(frozen=True)
class Detected:
    """A line's language: one of :data:`SPOKEN`, another code ("nl", "ru" ...), or None (no clue)."""

    lang: str | None
    #: How much evidence: the winning score (a clear word counts 1).
    score: float = 0.0
    #: How far ahead of the runner-up.
    margin: float = 0.0

    @property
    def clear(self) -> bool:
        return self.lang is not None and self.score >= 1.0 and self.margin >= 0.5


def detect(text: str) -> Detected:
    """The language of ``text`` alone."""
    text = _NOT_WORDS.sub(" ", text)
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return Detected(None)
    foreign_script = [c for c in letters if ord(c) >= 0x250]
    if len(foreign_script) * 2 > len(letters):
        return Detected(_script(foreign_script), 9.0, 9.0)
    lowered = unicodedata.normalize("NFC", text.lower().replace("\u2019", "'"))
    words = _TOKEN.findall(lowered)
    scores = dict.fromkeys(SPOKEN, 0.0)
    for w in words:
        for lang, share in _WEIGHTS.get(w, {}).items():
            scores[lang] += share
        # The lexicons know more words (plurals, colours, garments): half a point, shared.
        knowing = [lang for lang in SPOKEN[1:] if _knows(lang, w)]
        for lang in knowing:
            scores[lang] += 0.5 / len(knowing)
    for ch in lowered:
        for lang in _LETTERS.get(ch, ()):
            scores[lang] += 0.6 / len(_LETTERS[ch])
    others = {lang: sum(1.0 for w in words if w in vocab) for lang, vocab in _OTHER_LATIN.items()}
    best_other = max(others, key=lambda k: others[k])
    ranked = sorted(scores, key=lambda k: -scores[k])
    best, second = ranked[0], ranked[1]
    if others[best_other] >= 2 and others[best_other] > scores[best]:
        return Detected(best_other, others[best_other], others[best_other] - scores[best])
    if scores[best] == 0:
        return Detected(None)
    return Detected(best, scores[best], scores[best] - scores[second])


def _knows(lang: str, word: str) -> bool:
    from core.assistant.builtin.translate import known

    return known(lang, word)


def _script(chars: list[str]) -> str:
    counts: dict[str, int] = {}
    for c in chars:
        name = unicodedata.name(c, "")
        for prefix, code in _SCRIPTS:
            if name.startswith(prefix):
                counts[code] = counts.get(code, 0) + 1
                break
    if counts.get("ja") and counts.get("zh"):
        return "ja"  # Japanese mixes kanji with kana
    return max(counts, key=lambda k: counts[k]) if counts else "und"


def supported(tag: str | None) -> str | None:
    """The spoken language of a locale tag ("es-MX" -> "es"), or None."""
    head = re.split(r"[-_]", (tag or "").strip().lower(), maxsplit=1)[0]
    return head if head in SPOKEN else None


def for_turn(text: str, previous: str | None = None, page: str | None = None, shop: str | None = None) -> str:
    """The language to answer ``text`` in.

    A clear line decides. A line that says too little keeps the conversation's
    language (``previous``); in a new conversation a faint lean of the line
    decides, else the page's language, else the shop's, else English.
    """
    found = detect(text)
    if found.clear:
        return found.lang  # type: ignore[return-value]
    if previous:
        return previous
    if found.lang is not None and found.score >= 1.0 and found.margin >= 0.25:
        return found.lang
    for tag in (page, shop):
        if (lang := supported(tag)) is not None:
            return lang
    return DEFAULT
