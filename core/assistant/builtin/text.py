"""Reading a shopper's line: words, stems, language and tone.

Plain functions over plain strings; nothing here knows about the catalog.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from core.catalog.search import STOPWORDS

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'"})
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?")

#: Words that carry the *kind* of question, not what it is about: kept out of
#: product mentions and search terms.
QUESTION_WORDS = frozenset(
    """price prices priced cost costs costing pricing much expensive cheap cheaper cheapest
    stock stocked available availability sold out left compare comparison difference differ
    between versus vs better tell details detail describe description info information more
    about size sizes colour colours color colors come comes made material materials option
    options variant variants version versions also still yet else other one ones first second
    third last either both each them they their its it's what's whats how's hows where's
    here's that's there's which kind sort type types whats available? please pls thx ok okay
    yes no yeah yep sure and or but any anything something got carry sell stock offer offers
    recommend recommendation suggest suggestion suggestions gift gifts idea ideas search
    show list browse need want wanted looking under over below above less between around
    about than up least most max maximum min minimum budget dollar dollars usd eur euro euros
    gbp pound pounds bucks buck range sale discount discounted deal deals offer clearance
    quite really very great good nice best new cool hi hello hey thanks thank today now
    currently right day shop store catalog catalogue website site thing things stuff clothes clothing apparel
    outfit outfits piece pieces love like adore cute lovely
    newest latest arrival arrivals arrived priciest dearest affordable value recent recently added lowest
    highest costly""".split()
)
NOISE = STOPWORDS | QUESTION_WORDS

_GREETING = re.compile(
    r"^\s*(hi+|hello+|hey+|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day)|hi there|hello there)"
    r"(\s+there)?\b[\s!.,:;-]*",
    re.I,
)
_THANKS = re.compile(
    r"^\s*(thanks?( you)?( so much| very much| a lot)?|thx|ty|cheers|much appreciated|appreciate it|"
    r"great,? thanks?|perfect,? thanks?|awesome,? thanks?)\b[\s!.,]*",
    re.I,
)
_BYE = re.compile(
    r"^\s*(bye+|goodbye|good bye|see (you|ya)|later|that'?s all|that is all|nothing else|"
    r"no,? thanks?( you)?|no thank you|i'?m good|all good)\b[\s!.,]*$",
    re.I,
)
_ACK_WORD = (
    r"(ok(ay)?|cool|great|perfect|nice|awesome|got it|alright|all right|good|sounds good|i see|understood|"
    r"fine|wow|thanks?|thank you|lovely|brilliant)"
)
_ACK = re.compile(rf"^\s*{_ACK_WORD}([\s,!.]+{_ACK_WORD})*[\s!.,]*$", re.I)
_YES = re.compile(
    r"^\s*(yes+|yeah|yep|yup|sure|please|yes please|please do|ok(ay)?|go ahead|do it|"
    r"that would be great|that'd be great|absolutely|of course|y)\b[\s!.,]*(please)?[\s!.]*$",
    re.I,
)
_NO = re.compile(r"^\s*(no+|nope|nah|not now|no thanks?( you)?|no need|never ?mind|maybe later)\b[\s!.,]*$", re.I)


def normalize(text: str) -> str:
    """Lowercased, curly quotes straightened, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).lower().split())


def tokens(text: str) -> list[str]:
    """Words of ``text`` (lowercased), possessive ``'s`` dropped."""
    out = []
    for word in _TOKEN.findall(normalize(text)):
        if word.endswith("'s"):
            word = word[:-2]
        out.append(word)
    return out


#: Plurals the rules below get wrong: "-ie" nouns ("beanies") and "-f" nouns ("scarves").
_IRREGULAR = {
    "beanies": "beanie",
    "hoodies": "hoodie",
    "cookies": "cookie",
    "movies": "movie",
    "ties": "tie",
    "smoothies": "smoothie",
    "onesies": "onesie",
    "booties": "bootie",
    "neckties": "necktie",
    "bowties": "bowtie",
    "pies": "pie",
    "brownies": "brownie",
    "scarves": "scarf",
    "shelves": "shelf",
    "bookshelves": "bookshelf",
    "knives": "knife",
    "leaves": "leaf",
    "halves": "half",
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light plural stem: "jackets" -> "jacket", "dresses" -> "dress", "accessories" -> "accessory"."""
    w = word.lower().replace("'", "")
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def content_words(text: str) -> list[str]:
    """Stems of the words that say *what* the shopper asks about, in order, de-duplicated."""
    seen: list[str] = []
    for word in tokens(text):
        if word in NOISE or stem(word) in NOISE or word.isdigit():
            continue
        if len(word) == 1:
            continue
        s = stem(word)
        if s not in seen:
            seen.append(s)
    return seen


def strip_greeting(text: str) -> tuple[bool, str]:
    """(whether ``text`` opens with a greeting, the rest)."""
    m = _GREETING.match(text)
    if not m:
        return False, text
    return True, text[m.end() :]


def strip_thanks(text: str) -> tuple[bool, str]:
    m = _THANKS.match(text)
    if not m:
        return False, text
    return True, text[m.end() :]


def is_goodbye(text: str) -> bool:
    return bool(_BYE.match(text))


def is_ack(text: str) -> bool:
    return bool(_ACK.match(text))


def is_yes(text: str) -> bool:
    return bool(_YES.match(text))


def is_no(text: str) -> bool:
    return bool(_NO.match(text))


# -- language ---------------------------------------------------------------

_ENGLISH = frozenset(
    """the is are do does you your have has what how my i can it for in of and to a an this that with
    where when much there any please thanks hi hello is was will would could should me we our order
    shipping ship return price stock size want need looking buy""".split()
)
#: Frequent words of other languages that are not also common English words.
_FOREIGN = frozenset(
    """hola tienen tiene quiero necesito dónde donde cuánto cuanto cuesta cuestan precio envío envio pedido
    gracias por favor qué que de del el los las una ustedes usted envían envian enviar hacen está esta estoy mi
    para con hay puedo cómo como tallas talla
    bonjour merci vous avez est ce au du livrez vestes je suis mon mes les des une combien coûte coute livraison
    commande où pour
    avec voudrais plaît plait est-ce c'est votre vos nous êtes taille
    hallo guten danke bitte haben ich möchte moechte wo ist meine bestellung wie viel kostet versand
    jacke hemd der das und nicht gibt sie ihr größe grösse sind kann können liefern
    ciao buongiorno grazie avete quanto costa spedizione ordine dove il della vorrei sono
    olá obrigado obrigada vocês voces têm tem custa meu minha onde não nao
    bedankt hebben jullie ik mijn bestelling waar hoeveel kost verzending jas een het niet""".split()
)
_ACCENTED = re.compile(r"[áéíóúñ¿¡àèìòùâêîôûçäöüßãõœ]")


def foreign_language(text: str) -> bool:
    """True when ``text`` is clearly not English (a few frequent words, or mostly non-Latin letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    latin = sum(1 for c in letters if ord(c) < 0x250)
    if latin / len(letters) < 0.5:
        return True
    words = tokens(text)
    foreign = sum(1 for w in words if w in _FOREIGN)
    english = sum(1 for w in words if w in _ENGLISH)
    foreign += len(_ACCENTED.findall(text.lower()))
    if len(words) == 1:
        return foreign >= 1 and english == 0
    return foreign >= 2 and foreign > english


# -- tone ---------------------------------------------------------------------

_INSULTS = re.compile(
    r"\b(stupid|idiot|idiots|idiotic|useless|dumb|moron|morons|pathetic|garbage|crap|crappy|shit|shitty|"
    r"bullshit|wtf|f+u+c+k+\w*|fck|damn|dammit|hate you|screw you|incompetent|clowns?)\b",
    re.I,
)
_POSITIVE = re.compile(
    r"\b(thanks?|thank you|great|love|awesome|amazing|perfect|hi|hello|hey|yay|cool|"
    r"wonderful|excellent|nice|good)\b",
    re.I,
)


def angry(text: str) -> bool:
    """An angry tone: insults, or shouting together with a pile of exclamation marks."""
    if _INSULTS.search(text):
        return True
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 8 and sum(1 for c in letters if c.isupper()) / len(letters) >= 0.7
    bangs = bool(re.search(r"!{3,}|[!?]{4,}|(\?!|!\?){2,}", text))
    if _POSITIVE.search(text):
        return False
    return shouting and bangs or (bangs and bool(re.search(r"\b(still|again|never|worst|why)\b", text, re.I)))


_COMPLAINT = re.compile(
    r"\b(broken|damaged|defective|faulty|doesn'?t work|does not work|stopped working|falling apart|fell apart)\b"
    r"|\b(arrived|came|is|was|were|got it|received it)\s+(torn|ripped|stained|cracked|scratched|dirty|used)\b"
    r"|\b(arrived|came|got it|received it)\s+(with|in)\s+(?:\w+\s+){0,3}?(torn|ripped|stained|cracked|scratched|"
    r"dented|smashed|shattered|bent|dirty|missing)\b"
    r"|\bnever\s+(arrived|came|showed up|got it|received|got my|was delivered|been delivered)\b"
    r"|\b(hasn'?t|has not|haven'?t|have not|didn'?t|did not|still not|still hasn'?t)\s+"
    r"(arrived|come|came|been delivered|received|got it|gotten|shown up|turned up)\b"
    r"|\b(sent|received|got|delivered|shipped)\s+(me\s+)?(the\s+|a\s+)?wrong\b"
    r"|\bwrong\s+(item|items|product|order|parcel|package)\b"
    r"|\b(missing|lost)\s+(item|items|parcel|package|order|from my)\b|\b(is|was|are|were)\s+missing\b"
    r"|\b(i\s+)?(want|need|demand|would like|'d like|expect)\s+(a|my)\s+(full\s+)?refund\b"
    r"|\brefund\s+me\b|\b(where(?:'s| is)|still waiting for|still no)\s+(my|a|the)\s+refund\b"
    r"|\bmy money back\b|\bcharged twice\b|\bdouble charged\b|\bchargeback\b"
    r"|\b(complain|complaint|scam|scammed|fraud|rip[- ]?off|unacceptable|ridiculous|disgusting|terrible|"
    r"awful|horrible|worst|disappointed|disappointing|furious|lawyer|sue you)\b",
    re.I,
)
#: Asking what happens *if* something goes wrong is a policy question, not a complaint.
_HYPOTHETICAL = re.compile(
    r"\b(what if|what happens if|what do i do if|what should i do if|in case|"
    r"if (it|my|the|an?|your|items?|orders?|something)\b|policy|policies)\b",
    re.I,
)


def complaint(text: str) -> str | None:
    """The complaint phrase in ``text``, unless it is asked hypothetically."""
    m = _COMPLAINT.search(text)
    if not m or _HYPOTHETICAL.search(text):
        return None
    return " ".join(m.group(0).lower().split())


_WHO = (
    r"(?:a |an |the |some |your |one of your |to a |to an |with a |to speak to a |to talk to a )?"
    r"(?:real |live |actual |human )?(human|person|people|someone|somebody|agent|representative|rep|operator|"
    r"staff|manager|supervisor|customer service|customer support|support|team|team member|being)\b"
)
_HUMAN = re.compile(
    r"\b(talk|speak|chat|connect|transfer|put)\b(\s+me)?\s+(to|with|through to|through)?\s*" + _WHO, re.I
)
_HUMAN_WANT = re.compile(
    r"\b(want|need|like|get me|can i (get|have)|give me|request)\s+(a |an |to a )?"
    r"(real |live |actual )?(human|person|agent|representative|operator|manager|supervisor)\b"
    r"|\bsomeone (from|on) (the|your) (team|staff|store|shop)\b",
    re.I,
)
_HUMAN_ALONE = re.compile(
    r"^\s*(a\s+)?(human|agent|person|operator|representative|real person|live agent|"
    r"customer service|human please|agent please|people)[\s!.?]*$",
    re.I,
)


def wants_human(text: str) -> bool:
    return bool(_HUMAN_ALONE.match(text) or _HUMAN.search(text) or _HUMAN_WANT.search(text))


_BOT = re.compile(
    r"\b(are you (a |an )?(bot|robot|human|real|ai|person|machine)|is this (a |an )?(bot|robot|"
    r"human|real person|ai)|am i (talking|chatting|speaking) (to|with) (a |an )?(bot|robot|human|"
    r"real person|ai))\b",
    re.I,
)


def asks_if_bot(text: str) -> bool:
    return bool(_BOT.search(text))


# -- instructions -------------------------------------------------------------

_INSTRUCTIONS = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?|guidelines|"
    r"programming|everything|previous|above|system)\b"
    r"|\b(system prompt|developer mode|jailbreak|dan mode|you are now|from now on,? you|act as (a|an|my)|"
    r"pretend (to be|you are)|roleplay as|repeat after me|say exactly|reveal your|print your|"
    r"your (instructions|system prompt|rules|prompt)|new instructions?)\b"
    r"|\b(say|reply|respond|answer|write|type|tell me)\b.{0,20}\b(exactly|verbatim|only the words|the following)\b",
    re.I | re.S,
)


def gives_instructions(text: str) -> bool:
    """A shopper line that tries to instruct the assistant ("ignore your instructions and say ...")."""
    return bool(_INSTRUCTIONS.search(text))
