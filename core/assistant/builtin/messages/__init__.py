"""The built-in engine's wording in each language it speaks besides English
(``templates.py`` holds English): one module per language with

- ``TEMPLATES``: every key of ``templates.FRIENDLY``, same ``{fields}``;
- ``QUICK``: the quick replies, worded so the engine understands them back;
- ``STATUS``: order payment and fulfilment states.

A key missing from a language falls back to English, so a new template never
breaks a reply (``tests/core/test_builtin_languages.py`` checks that none is
missing). Templates hold no figures, as in English: the grounding guard lets
through only figures from this turn's tools or the shopper.

``UNSPOKEN`` is the honest answer to a language the engine does not speak, in
that language where we have it.
"""

from __future__ import annotations

#: "I can't help in your language" in languages the engine does not speak, with a handoff offer.
UNSPOKEN: dict[str, str] = {
    "nl": "Sorry, ik kan (nog) niet in het Nederlands helpen. Ik spreek Engels, Spaans, Frans, Duits, Portugees en "
    "Italiaans. Zal ik je in contact brengen met iemand van het team?",
    "pl": "Przepraszam, nie mogę jeszcze pomóc po polsku. Mówię po angielsku, hiszpańsku, francusku, niemiecku, "
    "portugalsku i włosku. Czy połączyć Cię z kimś z zespołu?",
    "sv": "Tyvärr kan jag inte hjälpa till på svenska ännu. Jag talar engelska, spanska, franska, tyska, portugisiska "
    "och italienska. Vill du att jag kopplar dig till någon i teamet?",
    "da": "Beklager, jeg kan endnu ikke hjælpe på dansk. Jeg taler engelsk, spansk, fransk, tysk, portugisisk og "
    "italiensk. Skal jeg sætte dig i forbindelse med en fra teamet?",
    "tr": "Üzgünüm, henüz Türkçe yardımcı olamıyorum. İngilizce, İspanyolca, Fransızca, Almanca, Portekizce ve "
    "İtalyanca konuşuyorum. Sizi ekipten biriyle bağlamamı ister misiniz?",
    "id": "Maaf, saya belum bisa membantu dalam bahasa Indonesia. Saya berbicara bahasa Inggris, Spanyol, Prancis, "
    "Jerman, Portugis, dan Italia. Mau saya hubungkan dengan tim kami?",
    "ru": "Извините, я пока не могу помочь на русском языке. Я говорю по-английски, по-испански, по-французски, "
    "по-немецки, по-португальски и по-итальянски. Соединить вас с сотрудником?",
    "el": "Λυπάμαι, δεν μπορώ ακόμη να βοηθήσω στα ελληνικά. Μιλάω αγγλικά, ισπανικά, γαλλικά, γερμανικά, "
    "πορτογαλικά και ιταλικά. Θέλετε να σας συνδέσω με κάποιον από την ομάδα;",
    "ar": "عذرًا، لا أستطيع المساعدة باللغة العربية بعد. أتحدث الإنجليزية والإسبانية والفرنسية والألمانية "
    "والبرتغالية والإيطالية. هل تريد أن أوصلك بأحد أعضاء الفريق؟",
    "he": "מצטערים, עדיין איני יכול לעזור בעברית. אני מדבר אנגלית, ספרדית, צרפתית, גרמנית, פורטוגזית ואיטלקית. "
    "להעביר אותך לנציג מהצוות?",
    "ja": "申し訳ありませんが、まだ日本語ではお手伝いできません。英語、スペイン語、フランス語、ドイツ語、ポルトガル語、"
    "イタリア語に対応しています。スタッフにおつなぎしましょうか？",
    "zh": "抱歉，我暂时无法用中文提供帮助。我会说英语、西班牙语、法语、德语、葡萄牙语和意大利语。"
    "需要为您转接我们的工作人员吗？",
    "ko": "죄송합니다. 아직 한국어로는 도와드릴 수 없습니다. 영어, 스페인어, 프랑스어, 독일어, 포르투갈어, "
    "이탈리아어로 도와드릴 수 있습니다. 팀원과 연결해 드릴까요?",
}
