"""Each normalisation rule, case by case, on one real record file per case.

Every expected value was read off the record itself (the field quoted in
the case's comment), not off the normaliser's output. Files are read in
place from ../shared/data; tests/data holds the one record it lacks (see
tests/data/PROVENANCE.md).
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from normalise import RawRecord, normalise, read_file
from normalise.model import Record
from tests.conftest import ROOT, shared


@lru_cache(maxsize=None)
def records(relative: str) -> tuple:
    path = ROOT / relative if relative.startswith("tests/") else shared(relative)
    return tuple(item for item in read_file(path) if isinstance(item, RawRecord))


def norm(relative: str, at: int | str = 1, **options) -> Record:
    """The normalised record of a file: the `at`-th readable one, or the one whose 001 is `at`."""
    found = records(relative)
    if isinstance(at, int):
        raw = found[at - 1]
    else:
        raw = next(r for r in found if r.record.get("001") is not None and r.record["001"].data.strip() == at)
    return normalise(raw.record, options.pop("source", "test"), flags=raw.flags, **options)


def isbns(record: Record) -> list[tuple[str, str, bool, bool]]:
    return [(i.value, i.qualifier, i.valid, i.cancelled) for i in record.identifiers if i.kind == "isbn"]


def ids(record: Record, kind: str) -> list[tuple[str, bool, bool]]:
    return [(i.value, i.valid, i.cancelled) for i in record.identifiers if i.kind == kind]


# --- identifiers ------------------------------------------------------------------------------

@pytest.mark.parametrize("relative, at, expected", [
    # 020 $a82-10-04798-1 $bib. (NORMARC: $b binding): ISBN-10 -> 978 + 821004798 + check digit 5
    ("deichman/marc2rdf/example.binary.normarc.mrc", 1, [("9788210047985", "ib.", True, False)]),
    # 020 $z0553101315175 (13 digits, no valid ISBN); $a0553204300; $a0553268473 (pbk.) :$c$6.99
    ("evergreen/badisbns.xml", "ocm25104511", [("0553101315175", "", False, True),
                                              ("9780553204308", "", True, False),
                                              ("9780553268478", "pbk.", True, False)]),
    # 020 $z978184533213X (hbk.) (X cannot end an ISBN-13); $a184533213X (hbk.); $a9781845332136 (hbk.):
    # the ISBN-10 and the ISBN-13 are one number, kept once with its qualifier
    ("evergreen/badisbns.xml", "ocm69733027", [("978184533213X", "hbk.", False, True),
                                               ("9781845332136", "hbk.", True, False)]),
    # 020 $a8901452100503: 13 digits whose check digit is wrong; kept apart, marked invalid
    ("evergreen/badisbns.xml", "mrq01239723", [("8901452100503", "", False, False)]),
    # 020 $a9780192874986 $qhardcover; $a0192874985 $qhardcover (same book)
    ("tests/data/alma_ava_9979201969103681.xml", 1, [("9780192874986", "hardcover", True, False)]),
])
def test_isbns_are_13_digits_with_qualifiers_and_invalid_ones_are_kept_apart(relative, at, expected):
    assert isbns(norm(relative, at)) == expected


def test_a_record_with_an_invalid_isbn_of_its_own_is_flagged():
    assert "isbn-invalid" in norm("evergreen/badisbns.xml", "mrq01239723").flags
    assert "isbn-invalid" not in norm("evergreen/badisbns.xml", "ocm69733027").flags   # only the $z is bad


@pytest.mark.parametrize("relative, at, kind, expected", [
    # 022 $a0140-6736 $z0023-7507; 022 $a0099-5355 (check digits 6, 7, 5 all right)
    ("trln-marc-to-argot/unc/issn1.mrc", 1, "issn", [("0140-6736", True, False), ("0023-7507", True, True),
                                                     ("0099-5355", True, False)]),
    # 024 2 $aM011406601; $aM011406605 (wrong check digit); $aM001124089 $zM001124083
    ("trln-marc-to-argot/duke/misc_id.mrc", 1, "ismn", [("9790011406601", True, False),
                                                        ("M011406605", False, False),
                                                        ("9790001124089", True, False)]),
    # 024 1 $a034571173412 (UPC-A, check digit 2); 024 1 $a111 (not a UPC)
    ("trln-marc-to-argot/unc/misc_id_upc.mrc", 1, "upc", [("034571173412", True, False), ("111", False, False)]),
    # 024 3 $a5099994946727 (EAN-13, check digit 7)
    ("evergreen/RDA/RDA_record_CD_Claudia.mrc", 1, "ean", [("5099994946727", True, False)]),
    # 035 (OCoLC)1371587684 and (OCoLC)on1371587684: one OCLC number
    ("tests/data/alma_ava_9979201969103681.xml", 1, "oclc", [("1371587684", True, False)]),
    # 001 ocn521064822 with 003 OCoLC, and 035 (OCoLC)521064822
    ("trln-marc-to-argot/ncsu/base.xml", 1, "oclc", [("521064822", True, False)]),
    # 001 DUKE002102327 under 003 OCoLC is Duke's own number, not OCLC's; 035 $a00503275 has no prefix
    ("trln-marc-to-argot/duke/oclc_leading_zeros.xml", 1, "oclc", []),
    # 010 $asf 82002015 -> LC's normalised form without the space
    ("trln-marc-to-argot/unc/issn1.mrc", 1, "lccn", [("sf82002015", True, False)]),
    # 010 $a   123 $bnuc123 $z666
    ("trln-marc-to-argot/unc/misc_id_010.mrc", 1, "lccn", [("123", True, False), ("666", True, True)]),
    # 015 $aGBC2K8046 $2bnb; 016 7 $a020816223 $2Uk
    ("tests/data/alma_ava_9979201969103681.xml", 1, "nbn", [("GBC2K8046", True, False), ("020816223", True, False)]),
    # 024 7 $a10.1007/978-3-319-23273-7 $2doi
    ("trln-marc-to-argot/nccu/physical_media1.xml", 1, "doi", [("10.1007/978-3-319-23273-7", True, False)]),
    # 024 70 $aURN:NBN:fi-fdpp2011008 $2urn
    ("recordmanager/marc_links.xml", 1, "urn", [("URN:NBN:fi-fdpp2011008", True, False)]),
    # 856 $u http://librweb.laurentian.ca/login?url=http://dx.doi.org/10.1007/978-0-387-68574-8 (a proxied DOI)
    ("evergreen/oss.marc", "978-0-387-35767-6", "doi", [("10.1007/978-0-387-68574-8", True, False)]),
])
def test_standard_and_system_numbers_are_recognised_and_checked(relative, at, kind, expected):
    assert ids(norm(relative, at), kind) == expected


def test_normarc_015_numbers_are_other_systems_numbers_named_by_their_b():
    record = norm("deichman/marc2rdf/example.binary.normarc.mrc", 6)   # 015 $a0277872$bBIBBI; $a7418945$bBibliofilID
    assert [(i.kind, i.value, i.scheme) for i in record.identifiers if i.kind in ("system", "nbn")] == [
        ("system", "0277872", "BIBBI"), ("system", "7418945", "BibliofilID")]


# --- description ------------------------------------------------------------------------------

@pytest.mark.parametrize("relative, at, attribute, expected", [
    # 245 10 $aReframing providence :$bnew perspectives from Aquinas on the divine action debate /$cSimon Maria Kopf.
    ("tests/data/alma_ava_9979201969103681.xml", 1, "title",
     "Reframing providence : new perspectives from Aquinas on the divine action debate"),
    ("tests/data/alma_ava_9979201969103681.xml", 1, "responsibility", "Simon Maria Kopf"),
    ("tests/data/alma_ava_9979201969103681.xml", 1, "edition", "First edition"),          # 250 $aFirst edition.
    # 245 14 $aThe Lancet (British ed.) -- four non-filing characters ("The ")
    ("trln-marc-to-argot/unc/issn1.mrc", 1, "title_sort", "Lancet (British ed.)"),
    # NORMARC 245 $aVår tid $broman: no ISBD punctuation in the record, so the colon is supplied
    ("deichman/marc2rdf/example.binary.normarc.mrc", 6, "title", "Vår tid : roman"),
    # 245 10 $aWilliam Shakespearen suuret draamat.$n2 /$csuom. Yrjö Jylhä.
    ("recordmanager/marc_analytical.xml", 1, "title", "William Shakespearen suuret draamat. 2"),
    ("recordmanager/marc_analytical.xml", 1, "part", "2"),
    # 130 0 $aTieliikenne.$pEsitteet ja hinnastot.
    ("recordmanager/marc_links.xml", 1, "uniform_title", "Tieliikenne. Esitteet ja hinnastot"),
    # 240 10 $aDe la solitude a` la communaute'.$lEnglish (MARC-8) in pymarc's sample
    ("pymarc/marc8.dat", 1, "uniform_title", "De la solitude à la communauté. English"),
    # 300 $axii, 306 pages ;$c24 cm.
    ("tests/data/alma_ava_9979201969103681.xml", 1, "physical", "xii, 306 pages ; 24 cm"),
    ("tests/data/alma_ava_9979201969103681.xml", 1, "pages", 306),
    ("deichman/marc2rdf/example.binary.normarc.mrc", 1, "pages", 202),            # 300 $a202 s.
    ("recordmanager/marc_analytical.xml", 1, "pages", 319),                      # 300 $a319 sivua ; 21 cm
    ("trln-marc-to-argot/unc/issn1.mrc", 1, "pages", None),                      # a serial: 300 $av.
    # 520 $aPresents an exploration of the sobering history behind Asperger's Syndrome ...
    ("trln-marc-to-argot/unc/subject1.mrc", 1, "summary", None),
])
def test_descriptive_fields(relative, at, attribute, expected):
    record = norm(relative, at)
    if attribute == "summary":
        assert record.summary.startswith("Presents an exploration of the sobering history behind Asperger's Syndrome")
        return
    assert getattr(record, attribute) == expected


@pytest.mark.parametrize("relative, at, expected", [
    # 260 \1 ... $c2014. and 264 \1 ... $c2015. and 264 \4 $c©2015: the 264 publication date wins
    ("traject/date_resort_to_264.marc", 1, ("London", "Hurst & Company", 2015)),
    # 260 $aWashington, D.C. :$bU.S. Dept. of Justice ... ,$bU.S. Dept. of Health ... ,$c1980-; 008 date 19uu
    ("traject/date_resort_to_260.marc", 1, ("Washington, D.C.", "U.S. Dept. of Justice, Drug Enforcement Administration ; "
                                            "U.S. Dept. of Health, Education and Welfare, National Institute on Drug Abuse",
                                            1980)),
    # 264 \1 $aOslo :$bAstrup Fearnley Museet,$c[2020]
    ("traject/iso639-3_lang.marc", 1, ("Oslo", "Astrup Fearnley Museet", 2020)),
    # 260 $aQuébec, Qué. :$bLe Soleil,$c1919. (MARC-8)
    ("evergreen/lul_fre_100.mrc", 1, ("Québec, Qué", "Le Soleil", 1919)),
    # 264 \1 $a[Place of publication not identified] ... ; libris: 264 \1 $bBerghs,$c2017 (no place)
    ("libris/batchimport/batch0.xml", 1, ("", "Berghs", 2017)),
])
def test_publication_from_264_before_260(relative, at, expected):
    record = norm(relative, at)
    assert (record.place, record.publisher, record.year) == expected


def test_a_264_copyright_statement_alone_still_gives_place_publisher_and_year():
    # 260 $bUniversal Studios Home Entert. (a publisher, nothing else) and 264 \4 $aUniversal City, CA :
    # $bUniversal Pictures Home Entertainment,$c[2016]$c©2016. (a copyright notice carrying the imprint).
    # The 260 publisher comes first; place and year come from the 264. Its 008 says 2016 too, so this shows
    # the year is found, not which of the two gave it; no record in the corpus tells them apart.
    record = norm("trln-marc-to-argot/unc/names01.mrc")
    assert (record.place, record.publisher, record.year) == ("Universal City, CA", "Universal Studios Home Entert", 2016)


@pytest.mark.parametrize("relative, at, expected", [
    # 100 1 $aKopf, Simon Maria,$d1989-$eauthor.
    ("tests/data/alma_ava_9979201969103681.xml", 1, [("Kopf, Simon Maria", ["aut"], ["author"], True, "1989-")]),
    # 100 1 $aBently, Peter$4aut; 700 $aLightfoot, Marta$4ill; 700 $aVidén, Eva$4trl
    ("libris/batchimport/batch0.xml", 1, [("Bently, Peter", ["aut"], ["author"], True, ""),
                                          ("Lightfoot, Marta", ["ill"], ["illustrator"], False, ""),
                                          ("Vidén, Eva", ["trl"], ["translator"], False, "")]),
    # NORMARC 700 $aJimson Jimson$eillustr. ; 700 $aConnie Contributor (no role)
    ("deichman/ls.ext/BS_external_data.xml", 1, [("Eksempelsen, Eksempel", [], [], True, "1931-"),
                                                 ("Jimson Jimson", ["ill"], ["illustrator"], False, ""),
                                                 ("Connie Contributor", [], [], False, "")]),
    # 700 1 $aJylhä, Yrjö,$ekääntäjä. (Finnish "translator"); 700 12 ... $tHamlet (a work, not a person)
    ("recordmanager/marc_analytical.xml", 1, [("Shakespeare, William", [], [], True, ""),
                                              ("Jylhä, Yrjö", ["trl"], ["translator"], False, "")]),
])
def test_authors_with_relator_codes_and_terms(relative, at, expected):
    record = norm(relative, at)
    assert [(c.name, c.role_codes, c.roles, c.main, c.dates) for c in record.contributors] == expected


def test_relator_codes_given_as_uris_and_repeated_are_one_role():
    # 700 1 $aCocteau, Jean,$d1889-1963.$4drt$4aus
    cocteau = next(c for c in norm("trln-marc-to-argot/unc/summary01.xml").contributors if c.name == "Cocteau, Jean")
    assert (cocteau.role_codes, cocteau.roles) == (["drt", "aus"], ["director", "screenwriter"])


@pytest.mark.parametrize("relative, at, expected", [
    # 440 \0 $aRecords of ante-bellum ... Civil War.$nSeries J,$pSelections from ... Chapel Hill.$nPart 7,$pAlabama ;
    #   $vreel 7:pos.3; 440 \4 $aThe Creole language library,$x0920-9026 (print);$vv. 47; then five 490s, the last
    #   with a parallel statement after its numbering ($vv. 123$l(QE295.A4) =$aBhāratīya ...) that is left out
    ("trln-marc-to-argot/unc/series_statement.mrc", 1, [
        ("Records of ante-bellum southern plantations from the Revolution through the Civil War. Series J, Selections "
         "from the Southern Historical Collection, Manuscript Department, Library of the University of North Carolina "
         "at Chapel Hill. Part 7, Alabama", "reel 7:pos.3", ""),
        ("The Creole language library", "v. 47", "0920-9026"),
        ("Miscellaneous publication", "no. 60", "0097-0212"),
        ("List / Office of Governmental and Public Affairs", "no. 11", ""),
        ("List / Office of Communications", "no. 11", ""),
        ("Statistics = Statistiques", "v. 1", "1609-6827"),
        ("Memoirs of the Geological Survey of India", "v. 123", ""),
    ]),
    # 490 1 $aDuke law journal ;$vv. 50, no. 6 and 830 0 $aDuke law journal ;$vv. 50, no. 6.
    ("trln-marc-to-argot/duke/url.mrc", 1, [("Duke law journal", "v. 50, no. 6", "")]),
    # NORMARC 440 $aElite-serien
    ("deichman/marc2rdf/example.oairesponse.xml", 1, [("Elite-serien", "", "")]),
])
def test_series_with_their_numbering(relative, at, expected):
    assert [(s.title, s.number, s.issn) for s in norm(relative, at).series_entries] == expected


def test_series_are_also_given_for_display_as_title_and_number():
    assert norm("trln-marc-to-argot/duke/url.mrc").series == ["Duke law journal ; v. 50, no. 6"]


@pytest.mark.parametrize("relative, at, expected", [
    # 600 10 Asperger, Hans.; 650 \0 (LCSH) ...; 650 \7 $2bisacsh.; 655 \4 Nonfiction.; 655 \7 $2lcgft.; 650 \2 (MeSH)
    ("trln-marc-to-argot/unc/subject1.mrc", 1, [
        ("Asperger, Hans", "lcsh", "person"),
        ("Asperger's syndrome in children -- Patients -- Austria -- Vienna -- History", "lcsh", "topic"),
        ("Asperger's syndrome in children -- Austria -- Vienna -- Diagnosis -- 20th century", "lcsh", "topic"),
        ("Asperger's syndrome in children -- Austria -- Vienna -- History -- 20th century", "lcsh", "topic"),
        ("MEDICAL / Pediatrics", "bisacsh", "topic"),
        ("Nonfiction", "", "genre"),
        ("Nonfiction", "lcgft", "genre"),
        ("Asperger Syndrome -- history", "mesh", "topic"),
    ]),
    # NORMARC: 650/600 second indicators are not thesauri; 699 $2BS names Biblioteksentralen's headings
    ("deichman/marc2rdf/example.binary.normarc.mrc", 6, [
        ("Familieforhold -- Fortellinger", "local", "topic"), ("Oppvekst -- Fortellinger", "local", "topic"),
        ("Familieforhold -- Fortellinger", "BS", "topic"), ("Oppvekst", "BS", "topic"),
    ]),
    # NORMARC 600 \0 $aLincoln, Abraham$d1809-1865$jam. ... : ind2 0 is not LCSH here
    ("deichman/marc2rdf/example.oairesponse.xml", 1, [("Lincoln, Abraham, 1809-1865", "", "person")]),
])
def test_subjects_and_genres_with_their_vocabulary(relative, at, expected):
    assert [(s.heading, s.vocabulary, s.kind) for s in norm(relative, at).subjects] == expected


@pytest.mark.parametrize("relative, at, expected", [
    ("traject/packed_041a_lang.marc", 1, ["eng", "fre", "ger", "ita", "spa", "rus"]),   # 008 eng; 041 $aengfregeritasparus
    ("traject/iso639-3_lang.marc", 1, ["nor", "eng", "nob"]),      # 008 nor; 041 1 $anor$aeng; 041 17 $anob$aeng$2iso639-3
    ("deichman/marc2rdf/example.binary.normarc.mrc", 1, ["nob"]),  # 008/35-37 nob, no 041
])
def test_languages_from_008_and_041(relative, at, expected):
    assert norm(relative, at).languages == expected


@pytest.mark.parametrize("relative, expected", [
    # 336 $btxt; 337 $bn; 338 $bnc (codes)
    ("libris/batchimport/batch0.xml", (["txt"], ["n"], ["nc"])),
    # 336 $atext; 336 $astill image; 337 $aunmediated; 338 $avolume (terms only)
    ("traject/date_resort_to_264.marc", (["txt", "sti"], ["n"], ["volume"])),
])
def test_rda_content_media_and_carrier_types_as_codes(relative, expected):
    record = norm(relative)
    assert (record.content_types, record.media_types, record.carrier_types) == expected


def test_links_keep_their_labels_and_only_http_and_https():
    # 856 4 $3Duke law journal, v. 50, no. 6 $uhttp://www.law.duke.edu/journals/dlj/index.htm, three times
    record = norm("trln-marc-to-argot/duke/url.mrc")
    assert [(link.url, link.label) for link in record.links] == [
        ("http://www.law.duke.edu/journals/dlj/index.htm", "Duke law journal, v. 50, no. 6")]
    # dc_urls.xml carries a javascript: URL among its 856s
    assert all(link.url.startswith(("http://", "https://")) for link in norm("trln-marc-to-argot/duke/dc_urls.xml").links)


def test_notes_and_host_item():
    record = norm("recordmanager/marc_analytical.xml")
    assert record.notes == ["Lisäpainokset: 2. p. 1961.", "Hamlet ; Othello."]       # 500 $a, 505 $a
    oss = norm("evergreen/oss.marc", "978-0-387-35767-6")
    assert oss.host == "Springer e-books"                                             # 773 0 $tSpringer e-books


# --- formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize("relative, at, expected", [
    ("evergreen/lul_fre_100.mrc", 1, "book"),                                   # leader/06-07 am
    ("trln-marc-to-argot/nccu/physical_media1.xml", 1, "ebook"),                # am, 008/23 o (online)
    ("evergreen/RDA/RDA_record_SERIAL_IEEE_International_conference.mrc", 1, "serial"),   # as
    ("trln-marc-to-argot/duke/access_type_01.xml", 1, "ejournal"),             # as, 008/23 o
    ("trln-marc-to-argot/duke/resource_type_03.mrc", 1, "newspaper"),           # as, 008/21 n: The New York times
    ("evergreen/oss.marc", "16-0009017", "article"),                            # leader/07 a: component part
    ("evergreen/RDA/RDA_record_MAP_2012_Enchanted_Circle.mrc", 1, "map"),       # e
    ("evergreen/RDA/RDA_record_SCORE_Wiegenlied.mrc", 1, "score"),              # c
    ("trln-marc-to-argot/ncsu/non-musical-sound-recording.xml", 1, "sound_recording"),   # i, no literary form
    ("trln-marc-to-argot/duke/resource_type_16.mrc", 1, "audiobook"),          # i, 008/30-31 spoken word
    ("evergreen/RDA/RDA_record_CD_Claudia.mrc", 1, "music_recording"),          # j
    ("evergreen/RDA/RDA_record_DVD_Jorge_Mautner.mrc", 1, "dvd"),               # g, 007/04 v
    ("evergreen/RDA/RDA_record_DVD-BLUE-RAY-MOVIE_Pineapple_express.mrc", 1, "bluray"),   # g, 007/04 s
    ("trln-marc-to-argot/duke/physical_media_vhs.mrc", 1, "vhs"),               # g, 007/04 b
    ("trln-marc-to-argot/duke/physical_media_umatic.mrc", 1, "video"),          # g, 007/04 c (U-matic)
    ("trln-marc-to-argot/ncsu/game.xml", 1, "game"),                            # m, 008/26 g
    ("marc4j/rec1.mrc", 1, "computer_file"),                                    # m
    ("evergreen/RDA/RDA_record_PHOTO_Srid_pa_ho.mrc", 1, "image"),              # k
    ("trln-marc-to-argot/duke/physical_media_flash_card.mrc", 1, "kit"),        # o
    ("trln-marc-to-argot/duke/resource_type_19.mrc", 1, "object"),              # r
    ("trln-marc-to-argot/unc/manuscript1.mrc", 1, "manuscript"),                # t
    ("trln-marc-to-argot/duke/physical_media_microfilm.mrc", 1, "microform"),   # am with 007 hd (microfilm reel)
    ("trln-marc-to-argot/duke/physical_media_microfilm_alma.xml", 1, "microform"),   # leader/06 b (obsolete), 007 h
    ("trln-marc-to-argot/duke/resource_type_05.mrc", 1, "mixed"),               # p
    ("evergreen/serials_mfhd.xml", 1, "holdings"),                              # y
    ("evergreen/auth-subset100.mrc", 1, "authority"),                           # z
    # NORMARC 019 $b: l book, ee DVD
    ("deichman/marc2rdf/example.binary.normarc.mrc", 1, "book"),
    ("deichman/ls.ext/BS_external_data_with_extent.xml", 1, "dvd"),
])
def test_format_across_leader_types(relative, at, expected):
    assert norm(relative, at).format == expected
