"""Names for the codes records carry: languages (ISO 639-2), formats and RDA carriers, in the interface language.

A language code is looked up in pycountry's ISO 639 tables (bibliographic
codes such as "ger" and "fre" as well as "deu" and "fra"). A language with a
two-letter code is named from CLDR through Babel, the names a reader of that
interface language expects ("polski", "svenska"); one without (Old French,
"fro") from pycountry's own translations of ISO 639-3; where neither has the
interface language, in English. A code no table knows stays as it is.
Formats and carriers are unioncat's own strings, translated in
web/translations. The API keeps the codes.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

from babel import Locale
from babel.core import UnknownLocaleError
from flask_babel import lazy_gettext as _l

FORMAT_LABELS = {
    "book": _l("Book"), "ebook": _l("E-book"), "serial": _l("Journal"), "ejournal": _l("E-journal"),
    "newspaper": _l("Newspaper"), "article": _l("Article"), "map": _l("Map"), "score": _l("Score"),
    "sound_recording": _l("Sound recording"), "music_recording": _l("Music recording"),
    "audiobook": _l("Audiobook"), "video": _l("Video"), "dvd": _l("DVD"), "bluray": _l("Blu-ray"),
    "vhs": _l("VHS"), "computer_file": _l("Computer file"), "game": _l("Game"), "image": _l("Image"),
    "kit": _l("Kit"), "object": _l("Object"), "manuscript": _l("Manuscript"), "microform": _l("Microform"),
    "mixed": _l("Mixed materials"), "unknown": _l("Other"),
}
# RDA carrier types (MARC 338 $b) that libraries' records commonly give
CARRIER_LABELS = {
    "nc": _l("Volume"), "nb": _l("Sheet"), "no": _l("Card"), "nr": _l("Object"), "cr": _l("Online resource"),
    "cd": _l("Computer disc"), "ck": _l("Computer card"), "sd": _l("Audio disc"), "ss": _l("Audiocassette"),
    "st": _l("Audiotape reel"), "vd": _l("Videodisc"), "vf": _l("Videocassette"), "he": _l("Microfiche"),
    "hd": _l("Microfilm reel"), "hj": _l("Microfilm roll"), "gs": _l("Slide"), "gf": _l("Filmstrip"),
    "mr": _l("Film reel"), "zu": _l("Unspecified carrier"),
}
# pycountry's gettext catalogues are named by locale; Norwegian Bokmål's is nb_NO
_PYCOUNTRY_LOCALES = {"nb": "nb_NO"}


def format_name(code: str) -> str:
    """A format code ("microform") as its name in the interface language."""
    return str(FORMAT_LABELS.get(code, code))


def carrier_name(code: str) -> str:
    """An RDA carrier code ("nc") as its name in the interface language; an unknown code as it is."""
    return str(CARRIER_LABELS.get(code, code))


def language_name(code: str, locale: str) -> str:
    """An ISO 639-2 (or 639-3) code as the language's name in `locale`, capitalised as a label."""
    name = _language_name(code, locale)
    return name[:1].upper() + name[1:] if name else code


@lru_cache(maxsize=4096)
def _language_name(code: str, locale: str) -> str | None:
    language = _language(code)
    if language is None:
        return None
    two_letters = getattr(language, "alpha_2", None)
    if two_letters:
        try:
            name = Locale.parse(two_letters).get_display_name(locale)
            if name:
                return name
        except (UnknownLocaleError, ValueError):
            pass            # a code CLDR does not know: ISO's own names below
    return _translations(locale).gettext(language.name)


def _language(code: str):
    import pycountry

    code = (code or "").strip().lower()
    if len(code) != 3 or not code.isalpha():
        return None
    return pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)


@lru_cache(maxsize=None)
def _translations(locale: str) -> gettext.NullTranslations:
    import pycountry

    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, fallback=True,
                               languages=[_PYCOUNTRY_LOCALES.get(locale, locale)])
