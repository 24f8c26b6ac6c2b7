"""What each member system and each broken file does to a record, on one real file per case.

Encodings (MARC-8, mislabelled UTF-8, double-encoded UTF-8), broken ISO 2709,
880 vernacular pairs, holdings from every convention (852, 952, 999, AVA, 850,
separate holdings records) and NORMARC. Expected values are read off the
records (quoted in comments), never off the normaliser's output.
"""

from __future__ import annotations

import unicodedata

import pytest

from normalise import RawRecord, ReadFailure, normalise, read_file
from settings import HoldingsMapping
from tests.conftest import shared
from tests.test_normalise_rules import norm, records

# --- encodings ----------------------------------------------------------------------------------


def test_marc8_diacritics_and_escapes_become_nfc_unicode():
    # evergreen/hebrew.marc is MARC-8 from III: 245 $aLa-Torah vela-mo<B0>adim (B0: ayn, U+02BB) and its 880
    # in the Hebrew set (ESC ( 2): "lzexd alnercim :" = לתורה בלמועדים, "xqiqi dbiepez" = רסיסי הגיונות
    record = norm("evergreen/hebrew.marc")
    assert record.title == "La-Torah vela-mo\u02bbadim : resise hegyonot"
    assert record.vernacular["245"] == ["לתורה בלמועדים : רסיסי הגיונות"]
    assert "encoding-mislabelled" not in record.flags


def test_marc8_combining_marks_are_composed():
    # lul_fre_100: 260 $aQue<E2>bec, Que<E2>. (E2: combining acute before its letter in MARC-8)
    record = norm("evergreen/lul_fre_100.mrc")
    assert record.place == "Québec, Qué" and unicodedata.is_normalized("NFC", record.place)


def test_utf8_under_a_marc8_leader_is_read_as_utf8_and_flagged():
    # FSL.marc: leader/09 blank, 245 $a Cyrillic in UTF-8 bytes
    record = norm("evergreen/FSL.marc")
    assert record.title == "Люди с чистой совестью : [Воспоминания]"
    assert "encoding-mislabelled" in record.flags


def test_the_same_record_with_and_without_its_utf8_leader_flag_reads_the_same():
    # pymarc's pair: one record, leader/09 'a' in one file and blank in the other; 240 $aDe la solitude à la communauté
    flagged, unflagged = norm("pymarc/utf8_with_leader_flag.dat"), norm("pymarc/utf8_without_leader_flag.dat")
    assert flagged.uniform_title == unflagged.uniform_title == "De la solitude à la communauté. English"
    assert "encoding-mislabelled" in unflagged.flags and "encoding-mislabelled" not in flagged.flags


def test_utf8_cut_in_the_middle_of_a_character_at_a_field_end_is_still_utf8():
    # NORMARC record 28 of the binary file: 245 $aHan vet om noe hun kan pr<C3 B8>ve, and a 6XX field that
    # ends in a lone <C3> where its exporter cut it at a byte count
    record = norm("deichman/marc2rdf/example.binary.normarc.mrc", 28)
    assert record.title == "Han vet om noe hun kan prøve : fortellinger"
    assert {"encoding-mislabelled", "character-truncated"} <= set(record.flags)


def test_utf8_decoded_as_latin1_over_and_over_is_repaired():
    # marc-broken.xml: 245 $a "Mets" + 8,000 characters of Ã/Â/C1 controls + "¤talous kaavoitusalueilla /"
    record = norm("recordmanager/marc-broken.xml")
    assert record.title == "Metsätalous kaavoitusalueilla"
    assert "mojibake-repaired" in record.flags



def test_a_character_reference_escaped_once_too_often_is_decoded():
    # NLS John Adair maps, record 2: 245 $a "The Mappe of Straithern, Stormont, &amp;#38; Cars of Gourie ..."
    # (the XML text is "&#38;", a reference to "&", not an ampersand)
    record = norm("nls/John-Adair-County-Maps/John-Adair-County-Maps-dataset-MARC.xml", "1006")
    assert record.title.startswith("The Mappe of Straithern, Stormont, & Cars of Gourie")
    assert "&#" not in record.title and "character-references-decoded" in record.flags


def test_a_reference_to_a_character_lost_before_export_is_dropped():
    # NCSU base.xml, T112032: 245 $a "... pendant la R&amp;#xFFFD;evolution de France: po&amp;#xFFFD;eme ..."
    # (U+FFFD where the exporter lost a combining accent)
    record = norm("trln-marc-to-argot/ncsu/base.xml", "T112032")
    assert "pendant la Revolution de France: poeme en cinq chants" in record.title
    assert "Societe Typographique Francoise" in record.publisher
    assert "character-references-decoded" in record.flags

def test_decomposed_utf8_is_composed():
    # nepali.marc: 100 1 $aS<U+0301>a<U+0304>ha, Vi<U+0304>rendravikram. (combining acute and macrons)
    names = [c.name for c in norm("evergreen/nepali.marc").contributors]
    assert "Śāha, Vīrendravikram" in names
    assert all(unicodedata.is_normalized("NFC", name) for name in names)


# --- broken records -----------------------------------------------------------------------------

def test_broken_leaders_and_directories_are_repaired_or_reported_with_a_reason():
    # pymarc's bad_records.mrc: one record eight times, each broken differently
    items = list(read_file(shared("pymarc/bad_records.mrc")))
    read = [i for i in items if isinstance(i, RawRecord)]
    assert {normalise(i.record).title for i in read} == {"The pragmatic programmer : from journeyman to master"}
    assert "base-address-repaired" in read[1].flags          # 2nd: base address 99937 in a 127-byte record
    failures = {i.position: i.reason for i in items if isinstance(i, ReadFailure)}
    assert set(failures) == {5, 7}                            # 5th: "245\xc3\xb9..." in the directory; 7th: no fields
    assert "directory" in failures[5] and "no fields" in failures[7]


def test_a_record_over_99999_bytes_with_six_digit_offsets_is_read_whole():
    # datos-20161010-slice.mrc: leader length 99999 for 214,803 bytes; late directory entries use 6-digit offsets
    record = norm("marc4j/datos-20161010-slice.mrc")
    assert record.title == "Calculadora graficadora TI-nspirecx CAS"
    assert "directory-repaired" in record.flags
    # a Koha export with hundreds of 952 item fields ("  $00$10$2..." with a $p barcode), most past byte 99,999
    pieces = records("marc4j/datos-20161010-slice.mrc")[0].raw.split(b"\x1e")
    items = sum(1 for piece in pieces if piece.startswith(b"  \x1f0") and b"\x1fp" in piece)
    assert sum(h.items for h in record.holdings) == items > 900


def test_a_corrupted_copy_reads_like_the_clean_one_where_only_lengths_and_directories_were_broken():
    # marc4j ships the same 383 records, in the same order, clean and with many errors (lengths, directories,
    # escaped text); every corrupted one is read, and pairs with its clean twin by control number
    clean = list(read_file(shared("marc4j/pride-and-prejudice-fixed.mrc")))
    broken = list(read_file(shared("marc4j/pride-and-prejudice-with-many-errors.mrc")))
    assert len(broken) == len(clean) and all(isinstance(r, RawRecord) for r in broken)
    twins = [(c, b) for c, b in zip(clean, broken) if str(c.record.get("001")) == str(b.record.get("001"))]
    assert len(twins) >= 0.95 * len(clean)
    same = sum(str(c.record.get("245")) == str(b.record.get("245")) for c, b in twins)
    assert same >= 0.8 * len(twins)       # the rest differ in the data itself (&amp; for &, for one)


# --- 880 vernacular -----------------------------------------------------------------------------

def test_880_fields_are_paired_with_their_romanised_fields():
    # 100 $6880-01 $aRatsabi, Shalom. <-> 880 $6100-01/(2/r $aרצבי, שלום.
    # 245 $6880-02 $aAnarkhizm be-"Tsiyon" :... <-> 880 $6245-02/(2/r $aאנרכיזם ב״ציון״ :...
    record = norm("traject/hebrew880s.marc")
    pairs = {(v.tag, v.latin.split(" ")[0], v.text.split(" ")[0], v.script, v.right_to_left) for v in record.vernacular_fields}
    assert ("100", "Ratsabi,", "רצבי,", "hebrew", True) in pairs
    assert ("245", "Anarkhizm", "אנרכיזם", "hebrew", True) in pairs
    assert len(record.vernacular_fields) == 3


def test_cjk_880s_of_a_trln_member_pair_with_name_and_title():
    # unc/vern_title1.mrc: 100 $6880-01$aHosokawa, Toshio. <-> 880 $6100-01/$1$a細川俊夫.
    #                      245 $6880-02$aUrbilder ;$b... <-> 880 $6245-02/$1$a原像 ;$b開花 ; ...
    record = norm("trln-marc-to-argot/unc/vern_title1.mrc")
    by_tag = {v.tag: v for v in record.vernacular_fields}
    assert (by_tag["100"].text, by_tag["100"].latin, by_tag["100"].script) == ("細川俊夫", "Hosokawa, Toshio", "cjk")
    assert by_tag["245"].text.startswith("原像 ; 開花") and by_tag["245"].latin.startswith("Urbilder ; Blossoming")
    assert not by_tag["245"].right_to_left


def test_an_880_without_its_linkage_is_kept_unpaired():
    # the 110's 880 has $7110-01/(N where $6 belongs; the 245's 880 has $6245-02/(N
    record = norm("traject/880_with_no_6.utf8.marc")
    unpaired = [v for v in record.vernacular_fields if not v.tag]
    assert [v.text for v in unpaired] == ["Soviet Union. Главное архивное управление"]
    title = next(v for v in record.vernacular_fields if v.tag == "245")
    assert title.script == "cyrillic" and title.latin.startswith("Lichnye arkhivnye fondy")


# --- holdings -----------------------------------------------------------------------------------

def holdings(record):
    return [(h.library, h.location, h.call_number, h.items, h.available) for h in record.holdings]


def test_852_holdings_in_the_bibliographic_record():
    # duke/items.mrc: 852 0 $bPERKN$cPK$hDF229.T6$iC8 1969; 852 1 $bPERKN$cPKU$h888.2$iC816T
    assert holdings(norm("trln-marc-to-argot/duke/items.mrc")) == [
        ("PERKN", "PK", "DF229.T6 C8 1969", 1, None), ("PERKN", "PKU", "888.2 C816T", 1, None)]



DUKE_ALEPH = HoldingsMapping("852", {"library": "b", "location": "c", "call_number": "hi"}, items_from=("940", "b", "c"))


def test_copies_listed_in_a_field_of_their_own_are_counted_per_holding():
    # DUKE001378390: 852 $bSCL$cPRBD and 852 $bSCL$cPRL; 940 (Aleph items) $bSCL$cPRBD c.2, $bSCL$cPRBD c.3, $bSCL$cPRL
    record = norm("trln-marc-to-argot/duke/DUKE001378390.xml", holdings=DUKE_ALEPH)
    assert [(h.library, h.location, h.items) for h in record.holdings] == [("SCL", "PRBD", 2), ("SCL", "PRL", 1)]
    # items.mrc: one 940 for PERKN/PK (its $c is " PK "), none for PERKN/PKU, which stays one copy
    record = norm("trln-marc-to-argot/duke/items.mrc", holdings=DUKE_ALEPH)
    assert [(h.location, h.items) for h in record.holdings] == [("PK", 1), ("PKU", 1)]

def test_koha_952_items_say_which_copies_are_on_loan():
    # ls.ext/marc.xml: 952 per item with $a home branch; 'from' has $q 2015-... (due date), the others none
    record = norm("deichman/ls.ext/marc.xml")
    by_library = {h.library: h for h in record.holdings}
    assert by_library["from"].available == 0 and by_library["from"].availability.startswith("on loan")
    item_fields = records("deichman/ls.ext/marc.xml")[0].record.get_fields("952")
    assert sum(h.items for h in record.holdings) == len(item_fields)


def test_symphony_999_items_checked_out_are_not_available():
    # buildingTests a575946: 999 $aCB3 .A6 SUPPL. V.31 ... $kCHECKEDOUT$lSTACKS$mGREEN, and V.32 the same
    record = norm("stanford-searchworks/mrc_pre_2023-09-04/buildingTests.mrc", "a575946")
    assert holdings(record) == [("GREEN", "STACKS", "CB3 .A6 SUPPL. V.31", 1, 0), ("GREEN", "STACKS", "CB3 .A6 SUPPL. V.32", 1, 0)]
    assert {h.availability for h in record.holdings} == {"checkedout"}


def test_sierra_999_items_are_grouped_per_location_with_their_status():
    # unc holdings5.xml (1697070): 999 9 1 per item; $s '-' available, 'o' library use only; $q "|aK23 .U681"
    raw = records("trln-marc-to-argot/unc/holdings5.xml")[0].record
    items = [f for f in raw.get_fields("999") if (f.indicator1, f.indicator2) == ("9", "1")]
    record = norm("trln-marc-to-argot/unc/holdings5.xml", source="unc")
    ksta = [h for h in record.holdings if h.location == "ksta"]
    assert [(h.call_number, h.items, h.available, h.availability) for h in ksta] == [
        ("K23 .U681", sum(f.get("l") == "ksta" for f in items), sum(f.get("l") == "ksta" for f in items),
         "library use only")]
    assert sum(h.items for h in record.holdings) == len(items)
    assert {h.library for h in record.holdings} == {"unc"}        # one library: the source itself


def test_alma_ava_gives_library_name_location_call_number_and_availability():
    # AVA $bVanPeltLib $cStacks $dBT135 .K67 2023 $eavailable $f1 $g0 $qVan Pelt Library
    record = norm("tests/data/alma_ava_9979201969103681.xml", source="penn",
                  record_url="https://franklin.library.upenn.edu/catalog/FRANKLIN_{id}")
    holding, = record.holdings
    assert (holding.library, holding.library_name, holding.location, holding.call_number) == (
        "VanPeltLib", "Van Pelt Library", "Stacks", "BT135 .K67 2023")
    assert (holding.items, holding.available, holding.availability) == (1, 1, "available")
    assert holding.url == record.record_url == "https://franklin.library.upenn.edu/catalog/FRANKLIN_9979201969103681"


def test_a_configured_mapping_is_used_with_the_availability_rules_of_its_system():
    # the UNC configuration in config.yaml: 999 with indicators 91, location $l, call number $q
    mapping = HoldingsMapping("999", {"location": "l", "call_number": "q"}, indicators="91")
    configured = norm("trln-marc-to-argot/unc/holdings5.xml", source="unc", holdings=mapping)
    detected = norm("trln-marc-to-argot/unc/holdings5.xml", source="unc")
    assert holdings(configured) == holdings(detected)


def test_separate_holdings_records_name_their_library_and_summary_holdings():
    # serials_mfhd.xml record 3: leader/06 y; 852 $bDESMARAIS$cDESM-PER; 853/863 captions and issues, no 004
    record = norm("evergreen/serials_mfhd.xml", 3)
    assert record.format == "holdings" and holdings(record) == [("DESMARAIS", "DESM-PER", "", 1, None)]
    # record 4: 852 $bDESMARAIS$cDESM-PER$hHD 9698 C2 A314 Per.; 866 $a2000/2001 - 2003/2004
    fourth = norm("evergreen/serials_mfhd.xml", 4)
    assert fourth.holdings[0].call_number == "HD 9698 C2 A314 Per" and fourth.holdings[0].note == "2000/2001 - 2003/2004"


def test_holdings_records_that_follow_their_bibliographic_record_are_linked_to_it():
    # LIBRIS batch15.xml: bibliographic record 20203738, then three holdings records (852 $bSods, $bLi, $bG)
    # with neither 001 nor 004
    found = [normalise(r.record, "libris", flags=r.flags) for r in records("libris/batchimport/batch15.xml")]
    bib, *held = found
    assert [(h.holdings_of, h.holdings[0].library) for h in held] == [(bib.local_id, "Sods"), (bib.local_id, "Li"),
                                                                     (bib.local_id, "G")]
    assert len({r.local_id for r in found}) == 4 and all("linked-by-position" in h.flags for h in held)
    # Stanford's MHLD: the holdings record repeats its bibliographic 001 (a111) and carries 852 $blib1$cloc1
    stanford = [normalise(r.record, "sul") for r in records("stanford-searchworks/mrc_pre_2023-09-04/mhldDisplayEasy2.mrc")]
    assert (stanford[1].format, stanford[1].holdings_of, stanford[1].local_id != stanford[0].local_id) == (
        "holdings", stanford[0].local_id, True)


def test_the_link_survives_a_second_reading_of_the_stored_bytes():
    from normalise import normalise_raw
    raw = records("libris/batchimport/batch15.xml")[1]
    again = normalise_raw(raw.raw, raw.format, "libris")
    assert (again.holdings_of, again.local_id) == ("20203738", "20203738-h1")


def test_a_record_without_holdings_fields_is_held_by_its_source():
    record = norm("pymarc/marc8.dat", source="pym", source_name="pymarc samples")
    assert [(h.source, h.library, h.library_name) for h in record.holdings] == [("pym", "pym", "pymarc samples")]


# --- NORMARC ------------------------------------------------------------------------------------

@pytest.mark.parametrize("relative, dialect", [
    ("deichman/marc2rdf/example.binary.normarc.mrc", "normarc"),       # 019 $bl$dR, 090 $cBac
    ("deichman/marc2rdf/example.oairesponse.xml", "normarc"),          # Bibliofil OAI, marcxchange
    ("deichman/ls.ext/marc.xml", "normarc"),                           # Koha record of NORMARC data: 019 $bl
    ("deichman/ls.ext/upload-files/Fargelegg byen!.mrc", "marc21"),   # the National Library's MARC 21: no 019
    ("trln-marc-to-argot/duke/access_type_01.xml", "marc21"),          # OCLC's 019 $a holds merged OCLC numbers
])
def test_normarc_is_recognised(relative, dialect):
    assert norm(relative).dialect == dialect


def test_normarc_850_branches_with_the_090_shelf_mark_and_the_996_link():
    # 090 $bu$c921$dLin; 850 $aNO-2030000 with $b Barne- og ungdomsavdelingen ($cu), Grünerløkka filial. (twice, $cu),
    # Torshov filial ($cBiografier), Røa filial ($cu); 996 $uhttp://www.deich.folkebibl.no/cgi-bin/websok?tnr=103215&...
    record = norm("deichman/marc2rdf/example.oairesponse.xml", "103215", source="deichman")
    assert [(h.library, h.location, h.call_number, h.items) for h in record.holdings] == [
        ("Barne- og ungdomsavdelingen", "u", "u 921 Lin", 1), ("Grünerløkka filial", "u", "u 921 Lin", 2),
        ("Torshov filial", "Biografier", "u 921 Lin", 1), ("Røa filial", "u", "u 921 Lin", 1)]
    assert record.record_url == "http://www.deich.folkebibl.no/cgi-bin/websok?tnr=103215&sourceid=OAI"


def test_normarc_binary_850_branch_codes_count_copies():
    # record 1: 850 $afbjo four times among 35 850s
    record = norm("deichman/marc2rdf/example.binary.normarc.mrc")
    raw = records("deichman/marc2rdf/example.binary.normarc.mrc")[0].record
    codes = [f.get("a") for f in raw.get_fields("850")]
    assert {h.library: h.items for h in record.holdings}["fbjo"] == codes.count("fbjo") == 4
    assert sum(h.items for h in record.holdings) == len(codes)
    assert {h.call_number for h in record.holdings} == {"Bac"}          # 090 $cBac
