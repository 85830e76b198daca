"""Golden fixtures for ser-metrics' `asr` module: jiwer 4.x word / character error rates
(with rapidfuzz's alignment) and openai-whisper's text normalisers.

Writes ser-metrics/tests/fixtures/asr_reference.json. Run:

    /work/venv/bin/python scripts/wer_reference.py [PATH_TO_WHISPER_NORMALIZERS_DIR]

With `--fuzz N OUT.json` it instead writes N random token soups (number words, digits,
currency, contractions, titles, hesitations, British spellings, punctuation, brackets,
non-Latin scripts, odd whitespace) with whisper's outputs and jiwer's counts, for the
ignored test `golden_asr::whisper_normalisers_fuzz` (ASR_FUZZ_JSON=OUT.json).

Needs `jiwer` (with rapidfuzz) and openai-whisper's `whisper/normalizers`. When
openai-whisper itself is not installed (it pulls in torch), pass the `whisper/normalizers`
folder of an unpacked sdist or wheel (`pip download openai-whisper --no-deps`); that folder
only needs the `regex` and `more_itertools` packages (set PYTHONPATH to where they are).
"""
import importlib.metadata
import importlib.util
import json
import os
import random
import sys
import unicodedata

import jiwer
import rapidfuzz


FUZZ = None
if "--fuzz" in sys.argv:
    i = sys.argv.index("--fuzz")
    FUZZ = (int(sys.argv[i + 1]), sys.argv[i + 2])
    del sys.argv[i : i + 3]


def load_normalizers():
    if len(sys.argv) > 1:
        folder = sys.argv[1]
        spec = importlib.util.spec_from_file_location(
            "whisper_normalizers",
            os.path.join(folder, "__init__.py"),
            submodule_search_locations=[folder],
        )
        mod = importlib.util.module_from_spec(spec)
        sys.modules["whisper_normalizers"] = mod
        spec.loader.exec_module(mod)
        return mod.EnglishTextNormalizer, mod.BasicTextNormalizer, folder
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer
    import whisper.normalizers as wn

    return EnglishTextNormalizer, BasicTextNormalizer, os.path.dirname(wn.__file__)


EnglishTextNormalizer, BasicTextNormalizer, NORM_DIR = load_normalizers()
try:
    WHISPER_VERSION = importlib.metadata.version("openai-whisper")
except importlib.metadata.PackageNotFoundError:  # normalizers folder of a download
    WHISPER_VERSION = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(NORM_DIR))))

# --- sentence pairs (reference, hypothesis) -------------------------------------------------

RAVDESS = ["Kids are talking by the door", "Dogs are sitting by the door"]
EMODB = [
    "Der Lappen liegt auf dem Eisschrank.",
    "Das will sie am Mittwoch abgeben.",
    "Heute abend könnte ich es ihm sagen.",
    "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "In sieben Stunden wird es soweit sein.",
    "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
]

PAIRS = [
    # RAVDESS statements, as an ASR system might hear them
    ("Kids are talking by the door", "Kids are talking by the door"),
    ("Kids are talking by the door", "kids are talking by the door"),
    ("Kids are talking by the door", "Kids are talking by the door."),
    ("Kids are talking by the door", "Kids talking by the door"),
    ("Kids are talking by the door", "Kids are walking by the floor"),
    ("Kids are talking by the door", "The kids are talking by the door now"),
    ("Kids are talking by the door", "Kid's are talkin' by the door!"),
    ("Kids are talking by the door", ""),
    ("Kids are talking by the door", "door"),
    ("Kids are talking by the door", "Dogs are sitting by the door"),
    ("Dogs are sitting by the door", "Dogs are sitting by the door"),
    ("Dogs are sitting by the door", "Dogs sitting by a door"),
    ("Dogs are sitting by the door", "Dog's are sitting by the door."),
    ("Dogs are sitting by the door", "Docs are sitting by the store"),
    ("Dogs are sitting by the door", "dogs are sitting by the door by the door"),
    ("Dogs are sitting by the door", "Dogs, are sitting, by the door?"),
    ("Dogs are sitting by the door", "um dogs are uh sitting by the door"),
    ("Dogs are sitting by the door", "Dogs are [noise] sitting by the (cough) door"),
    ("Dogs are sitting by the door", "Kids are talking by the door"),
    ("Dogs are sitting by the door", "   Dogs   are sitting by the door  "),
    # EmoDB-like German (umlauts, ß)
    (EMODB[0], "Der Lappen liegt auf dem Eisschrank."),
    (EMODB[0], "Der Lappen liegt auf den Eisschrank"),
    (EMODB[1], "Das will sie am Mittwoch abgeben"),
    (EMODB[1], "Das wird sie am Mittwoch abgeben."),
    (EMODB[2], "Heute Abend könnte ich es ihm sagen."),
    (EMODB[2], "Heute abend konnte ich es ihm sagen."),
    (EMODB[3], "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück."),
    (EMODB[3], "Das schwarze Stück Papier befindet sich oben neben dem Holz Stück."),
    (EMODB[4], "In sieben Stunden wird es so weit sein."),
    (EMODB[4], "In 7 Stunden wird es soweit sein."),
    (EMODB[5], "Was sind denn das für Tüten, die da unter dem Tisch stehen?"),
    (EMODB[5], "Was sind denn das fur Tuten die da unter dem Tisch stehen"),
    (EMODB[6], "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter."),
    (EMODB[6], "Sie haben es gerade hoch getragen, und jetzt gehen sie wieder rüber."),
    (EMODB[7], "An den Wochenenden bin ich jetzt immer nach Hause gefahren."),
    (EMODB[8], "Ich will das eben wegbringen und dann mit Karl was trinken gehen."),
    (EMODB[8], "Ich will das eben weg bringen und dann mit Carl etwas trinken gehen."),
    (EMODB[9], "Die wird auf dem Platz sein, wo wir sie immer hinlegen."),
    (EMODB[9], ""),
    ("Die Straße ist groß und die Füße sind müde.", "Die Strasse ist gross und die Fusse sind mude."),
    ("Ärger über Öl und Übermut", "Aerger ueber Oel und Uebermut"),
    ("Grüße aus Köln, München und Düsseldorf!", "Grüsse aus Köln München und Düsseldorf"),
    ("Weißt du, wie spät es ist?", "Weisst du wie spaet es ist"),
    ("ẞ GROSSBUCHSTABE ÄÖÜ", "ß grossbuchstabe äöü"),
    # numbers
    ("I have twenty one apples", "I have 21 apples"),
    ("one hundred and five", "105"),
    ("It costs $20 million", "It costs twenty million dollars"),
    ("She came first in the race", "She came 1st in the race"),
    ("the twenty third of may", "the 23rd of May"),
    ("about fifty percent of them", "about 50% of them"),
    ("three point one four one five", "3.14159"),
    ("two thousand and twenty four", "2024"),
    ("nineteen ninety nine", "1999"),
    ("one oh one", "101"),
    ("double seven triple zero", "77000"),
    ("one and a half hours", "1.5 hours"),
    ("five dollars and seven cents", "$5.07"),
    ("minus forty degrees", "-40 degrees"),
    ("in the 1960s and the nineteen seventies", "in the sixties and the 1970s"),
    ("the 274th and the 32nd", "the two hundred seventy fourth and the thirty second"),
    ("1,000,000 people", "one million people"),
    ("it is 3:45 pm", "it is three forty five pm"),
    ("call 555-0123 now", "call five five five zero one two three now"),
    ("twelve eggs and a dozen ones", "12 eggs and a dozen 1s"),
    ("a hundred thousand", "100000"),
    ("one point five million", "1.5 million"),
    ("zero point zero five", "0.05"),
    ("he was the ninety ninth", "he was the 99th"),
    ("sixes and sevens", "6s and 7s"),
    ("version 2.0.1 is out", "version two point zero point one is out"),
    ("£3 and 50p", "three pounds fifty"),
    ("€10", "ten euros"),
    ("plus five", "+5"),
    ("positive thinking", "positive thinking"),
    ("a million and one", "1000001"),
    ("the twenties were roaring", "the 20s were roaring"),
    ("twenty twenty", "2020"),
    ("three hundred thousandth", "300000th"),
    ("i've got two hundred and fifty three pounds", "I have got £253"),
    # contractions, titles, hesitations
    ("I can't believe it won't work", "I can not believe it will not work"),
    ("Let's go, y'all!", "let us go you all"),
    ("I'm gonna do it, I wanna do it", "I am going to do it, I want to do it"),
    ("She's been there; he'd gone home", "She has been there, he had gone home"),
    ("they're here and we've left", "they are here and we have left"),
    ("you'll see what I'd do", "you will see what I would do"),
    ("it's Mr. Smith and Mrs. Jones", "It is Mister Smith and Missus Jones"),
    ("Dr Who met St Peter", "Doctor Who met Saint Peter"),
    ("Hmm, I think um we should uh go", "I think we should go"),
    ("mhm yes mmm no", "yes no"),
    ("ain't nobody gotta know", "aint nobody got to know"),
    ("ma'am, you coulda called", "madam you could have called"),
    ("Lt. Col. Jr. and Sr. Esq.", "lieutenant colonel junior and senior esquire"),
    ("Prof. Gen. Sen. Rep. Pres. Rev. Hon.", "professor general senator"),
    ("it's John 's car", "it is John is car"),
    ("i'ma imma woulda shoulda", "i am going to i am going to would have should have"),
    # British spellings
    ("The colour of the neighbour's harbour", "The color of the neighbor's harbor"),
    ("I realise the organisation apologised", "I realize the organization apologized"),
    ("the theatre centre has a programme", "the theater center has a program"),
    ("travelling to the aeroplane catalogue", "traveling to the airplane catalog"),
    ("grey behaviour and honour", "gray behavior and honor"),
    ("analysed the defence licence", "analyzed the defense license"),
    ("The Colour Of Favourite Flavours", "the color of favorite flavors"),
    # punctuation, brackets, symbols
    ("Hello, world! How are you?", "hello world how are you"),
    ("Wait... what?!", "wait what"),
    ("[MUSIC] Hello there (laughs)", "hello there"),
    ("<unk> is unknown", "is unknown"),
    ("e-mail and co-operate", "email and cooperate"),
    ("rock & roll @ 5 o'clock", "rock and roll at five o'clock"),
    ("He said \"yes\" — and left.", "he said yes and left"),
    ("a/b testing; 100% sure", "a b testing 100 percent sure"),
    ("The end.", "the end"),
    ("U.S.A. and U.K.", "USA and UK"),
    ("#hashtag *bold* _under_", "hashtag bold under"),
    ("café naïve résumé", "cafe naive resume"),
    ("Crème brûlée à la française", "Creme brulee a la francaise"),
    ("Œuvre, æther, ø, đ, ð, þ, ł", "oeuvre aether o d d th l"),
    ("ﬁnancial ﬂow ½ ²", "financial flow 1/2 2"),
    ("Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ １２３", "fullwidth text 123"),
    # other scripts / unicode
    ("Привет, как дела?", "привет как дела"),
    ("Ελληνικά κείμενα ΣΟΦΟΣ", "ελληνικα κειμενα σοφος"),
    ("これは日本語です。", "これは日本語です"),
    ("مرحبا بالعالم!", "مرحبا بالعالم"),
    ("नमस्ते दुनिया", "नमस्ते दुनिया"),
    ("emoji 😀 test 👍🏽", "emoji test"),
    ("tab\tseparated\twords", "tab separated words"),
    ("new\nline and\u00a0nbsp", "new line and nbsp"),
    ("İstanbul ISTANBUL", "istanbul istanbul"),
    # empty / degenerate
    ("", ""),
    ("", "something was said"),
    ("   ", "hello"),
    ("hello", ""),
    ("hello", "   "),
    ("a", "a"),
    ("a", "b"),
    ("a b c d e", "e d c b a"),
    ("a b a b a b", "b a b a b a"),
    ("the the the", "the"),
    ("the", "the the the the"),
    ("one two three", "one two three four five six seven"),
    ("x y z", "a b c d e f g h"),
    ("repeat repeat repeat repeat", "repeat repeat"),
    ("word", "word word"),
    ("same same", "same same"),
]

# whisper-normaliser-only strings (numbers and edge cases)
NORMALIZE_ONLY = [
    "twenty one", "one hundred and five", "ninety nine thousand nine hundred ninety nine",
    "two million three hundred thousand", "a quarter past three", "one thousand one",
    "first second third fourth fifth", "eleventh twelfth thirteenth", "twentieth thirtieth",
    "hundredth thousandth millionth", "ones twos threes", "tens twenties thirties",
    "hundreds thousands millions", "three quarters", "point five", "five point",
    "seven point two five", "seven point twenty five", "four double oh seven",
    "triple nine", "double trouble", "minus five", "negative twelve point five",
    "plus or minus", "five percent", "five per cent", "ten per year",
    "twenty dollars", "twenty dollars and fifty cents", "fifty cents", "a dollar",
    "one dollar", "zero dollars", "$0.50", "$1.05", "$3 and ¢5", "£12.99", "€100",
    "$20 million", "1,234,567", "1,23", "3.5", "3.50", "10.0.0.1", "1st 2nd 3rd 4th",
    "the 1990s", "in 2 days", "2nd", "one", "ones", "1", "1s", "11", "one one one",
    "nineteen eighty four", "twenty twenty one", "two thousand one", "oh oh seven",
    "zero zero seven", "hundred", "a hundred", "thousand and one nights",
    "and a half", "two and a half", "hundred and a half", "cat and a half",
    "one and a half and a half", "zero point five", "0 point 5",
    "twelve hundred", "fifteen hundred and six", "one two three four", "sixty four k",
    "five million dollars", "5 million $", "$5", "5$", "10%", "ten %", "% ten",
    "mr smith", "st. john's wood", "it's gone", "he's got", "they'd done",
    "don't isn't wasn't shouldn't", "o'clock", "rock'n'roll", "rock 'n' roll",
    "'quoted' words", "the '90s", "nineteen-ninety", "twenty-five", "forty-two",
    "Hmmm uhh umm", "hmm-hmm", "[inaudible]", "(laughter) yes", "a (b) c [d] e <f> g",
    "unclosed [bracket", "unclosed (paren", "nested ((a) b)", "()", "[]",
    "A.B.C.", "3.", "3.x", ".5", "e.g. i.e.", "etc.", "www.example.com",
    "fish & chips", "5 + 5 = 10", "x^2", "100°C", "©2023 ™", "~tilde~", "…", "—",
    "colour COLOUR Colour", "favourite favourites", "realise", "programme programmes",
    "aeroplanes", "cheque", "tyres", "kerb", "mum", "whilst", "amongst",
    "ΣΟΦΟΣ", "Straße", "ǅemal", "ﬀ ﬃ", "Ⅻ", "①②③", "x²", "H₂O", "¼ cup",
    "naïve café", "façade", "Ångström", "Zürich", "Øresund", "Łódź",
    "", " ", "  leading and trailing  ", "multiple   spaces\t\ttabs\n\nnewlines",
    "mixed 12abc34 tokens", "4x4", "a1b2c3", "3rd-party", "covid-19",
    "one two", "uh-huh", "mm-hmm", "i'm i've i'd i'll", "can't won't shan't",
    "gov't", "ol' man", "'tis", "y'know",
]


def random_pairs(n, seed=7):
    rng = random.Random(seed)
    vocab = ["a", "b", "c", "d", "e", "f"]
    out = []
    for _ in range(n):
        lr, lh = rng.randint(0, 12), rng.randint(0, 12)
        ref = " ".join(rng.choice(vocab) for _ in range(lr))
        hyp = " ".join(rng.choice(vocab) for _ in range(lh))
        out.append((ref, hyp))
    return out


def word_case(ref, hyp, chars=True):
    o = jiwer.process_words(ref, hyp)
    case = {
        "reference": ref,
        "hypothesis": hyp,
        "wer": float(o.wer),
        "mer": float(o.mer),
        "wil": float(o.wil),
        "wip": float(o.wip),
        "hits": o.hits,
        "substitutions": o.substitutions,
        "deletions": o.deletions,
        "insertions": o.insertions,
        "chunks": [
            [a.type, a.ref_start_idx, a.ref_end_idx, a.hyp_start_idx, a.hyp_end_idx]
            for a in o.alignments[0]
        ],
    }
    text = jiwer.visualize_alignment(o, show_measures=False)
    # without "=== SENTENCE 1 ==="; jiwer draws nothing for error-free sentences
    case["text"] = text[text.index("\n\n") + 2 :] if text else ""
    # tokens only where jiwer's differ from a plain split on " "
    if o.references[0] != [w for w in ref.split(" ") if w]:
        case["ref_words"] = o.references[0]
    if o.hypotheses[0] != [w for w in hyp.split(" ") if w]:
        case["hyp_words"] = o.hypotheses[0]
    if chars:
        c = jiwer.process_characters(ref, hyp)
        case["cer"] = float(c.cer)
        case["char_counts"] = [c.substitutions, c.deletions, c.insertions, c.hits]
    return case


def corpus_case(pairs, start=None):
    """`start` set: the pairs are words[start:start+len(pairs)] (not repeated in the file)."""
    refs = [r for r, _ in pairs]
    hyps = [h for _, h in pairs]
    o = jiwer.process_words(refs, hyps)
    c = jiwer.process_characters(refs, hyps)
    where = (
        {"words_range": [start, start + len(pairs)]}
        if start is not None
        else {"pairs": [[r, h] for r, h in pairs]}
    )
    return {
        **where,
        "wer": float(o.wer),
        "mer": float(o.mer),
        "wil": float(o.wil),
        "wip": float(o.wip),
        "hits": o.hits,
        "substitutions": o.substitutions,
        "deletions": o.deletions,
        "insertions": o.insertions,
        "cer": float(c.cer),
    }


FUZZ_TOKENS = (
    "zero oh o one two three four five six seven eight nine ten eleven twelve thirteen "
    "nineteen twenty thirty forty fifty ninety hundred thousand million billion point and "
    "a half double triple minus plus negative positive dollar dollars cent cents pound "
    "pounds euro euros percent per first second third fourth fifth ninth twelfth twentieth "
    "sixties hundreds thousandth ones sixes 0 1 5 12 20 99 100 1000 3.5 0.5 1,000 1,234,567 "
    "$5 $0 £3 €10 ¢7 10% 1st 2nd 3rd 4th 1960s 90s 's can't won't it's i'd you'll they're "
    "we've i'm ain't gonna wanna y'all ma'am mr mrs dr st prof jr um uh hmm mm mhm mmm "
    "colour theatre realise programme aeroplane grey travelling kids are talking by the door "
    "dogs sitting Der Lappen liegt Straße Grüße café naïve ΣΟΦΟΣ Привет 日本語 😀 ½ ² ﬁ "
    ". , ! ? ' \" ( ) [ ] < > - — … & @ # % $ € £ ¢ / : ;"
).split(" ")
FUZZ_SEPARATORS = [" ", " ", " ", " ", "", "  ", "\t", "\n", "\u00a0"]


def fuzz(n, out_path):
    rng = random.Random(1234)
    english = EnglishTextNormalizer()
    basic = BasicTextNormalizer()
    basic_diacritics = BasicTextNormalizer(remove_diacritics=True)
    cases = []
    for _ in range(n):
        k = rng.randint(0, 12)
        text = ""
        for j in range(k):
            tok = rng.choice(FUZZ_TOKENS)
            if rng.random() < 0.15:
                tok = tok.capitalize()
            text += (rng.choice(FUZZ_SEPARATORS) if j else "") + tok
        case = {"text": text}
        for key, norm in [
            ("english", english),
            ("basic", basic),
            ("basic_remove_diacritics", basic_diacritics),
        ]:
            try:
                case[key] = norm(text)
            except Exception as e:  # whisper's own asserts / ValueErrors
                case[key] = None
                case[key + "_error"] = repr(e)
        cases.append(case)
    # word error rates between consecutive fuzz texts (raw and normalised)
    pairs = []
    for a, b in zip(cases, cases[1:]):
        pairs.append(word_case(a["text"], b["text"]))
        if a["english"] is not None and b["english"] is not None:
            pairs.append(word_case(a["english"], b["english"], chars=False))
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"normalizers": cases, "words": pairs}, f, ensure_ascii=False)
    print(f"wrote {out_path}: {len(cases)} texts, {len(pairs)} pairs")


def main():
    if FUZZ is not None:
        fuzz(*FUZZ)
        return
    english = EnglishTextNormalizer()
    basic = BasicTextNormalizer()
    basic_diacritics = BasicTextNormalizer(remove_diacritics=True)

    pairs = list(PAIRS)
    # RAVDESS / EmoDB sentences against each other, so every statement appears
    for r in RAVDESS + EMODB:
        for h in RAVDESS + EMODB:
            if (r, h) not in pairs:
                pairs.append((r, h))

    words = [word_case(r, h) for r, h in pairs]
    alignment = [word_case(r, h, chars=False) for r, h in random_pairs(250)]

    # whisper-style evaluation: normalise both sides, then jiwer
    normalized_wer = []
    for r, h in pairs:
        nr, nh = english(r), english(h)
        normalized_wer.append(word_case(nr, nh, chars=False))

    corpora = [
        corpus_case(pairs[:2], 0),
        corpus_case(pairs[:20], 0),
        corpus_case(pairs[20:44], 20),
        corpus_case(pairs, 0),
        corpus_case([("", "")]),
        corpus_case([("", "a b"), ("", "c")]),
        corpus_case([("", ""), ("", "")]),
        corpus_case([("", "a b"), ("x y", "x y")]),
        corpus_case([("a b c", ""), ("", "d")]),
    ]

    texts = []
    for r, h in pairs:
        for t in (r, h):
            if t not in texts:
                texts.append(t)
    for t in NORMALIZE_ONLY:
        if t not in texts:
            texts.append(t)
    normalizers = [
        {
            "text": t,
            "english": english(t),
            "basic": basic(t),
            "basic_remove_diacritics": basic_diacritics(t),
        }
        for t in texts
    ]

    out = {
        "generator": "scripts/wer_reference.py",
        "jiwer": importlib.metadata.version("jiwer"),
        "rapidfuzz": rapidfuzz.__version__,
        "python": sys.version.split()[0],
        "unicodedata": unicodedata.unidata_version,
        "whisper": WHISPER_VERSION,
        "words": words,
        "alignment": alignment,
        "normalized_wer": normalized_wer,
        "corpora": corpora,
        "normalizers": normalizers,
    }
    path = os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        "..",
        "crates",
        "ser-metrics",
        "tests",
        "fixtures",
        "asr_reference.json",
    )
    with open(path, "w", encoding="utf-8") as f:
        # one case per line: small, diff-friendly
        f.write("{\n")
        items = list(out.items())
        for i, (k, v) in enumerate(items):
            f.write(json.dumps(k) + ": ")
            if isinstance(v, list):
                f.write("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in v) + "\n]")
            else:
                f.write(json.dumps(v, ensure_ascii=False))
            f.write(",\n" if i + 1 < len(items) else "\n")
        f.write("}\n")
    print(
        f"wrote {path}: {len(words)} pairs, {len(alignment)} random alignments, "
        f"{len(corpora)} corpora, {len(normalizers)} normaliser texts"
    )


if __name__ == "__main__":
    main()
