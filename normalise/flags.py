"""Every flag a record can carry, with what it means: what was repaired or is doubtful.

A flag never stops a record; it tells the operator and the librarian what
the reader or the normaliser had to do. The test suite checks that every
flag the code can set is listed here.
"""

FLAGS: dict[str, str] = {
    # reading ISO 2709
    "leader-repaired": "bytes in the leader that are not ASCII letters or digits were blanked, or the leader had the wrong length",
    "length-repaired": "the record length in the leader disagreed with the bytes and was corrected",
    "base-address-repaired": "the base address of data in the leader was wrong and was taken from the directory's end",
    "directory-repaired": "directory entries were unreadable, too wide or pointed nowhere; fields were found by their terminators",
    "field-truncated": "the last field has no field terminator: the record was cut off",
    "record-truncated": "the file ended without a record terminator after this record",
    "indicators-repaired": "a field had more or fewer than two indicators",
    "encoding-mislabelled": "the leader says MARC-8 but the text is UTF-8 (or the reverse); read as what it is",
    "character-truncated": "a UTF-8 character cut in half at the end of a field (a byte-count limit) was dropped",
    "encoding-errors": "some bytes could not be decoded and show as U+FFFD",
    "mojibake-repaired": "UTF-8 that had been decoded as Latin-1, once or many times over, was decoded again",
    "character-references-decoded": "text held character references such as &#38; as literal text; they were decoded"
                                    " (one to U+FFFD, a character lost before export, was dropped)",
    # reading MARCXML
    "field-without-tag-dropped": "a controlfield or datafield without a tag attribute was left out",
    "subfield-code-repaired": "a subfield had no code, or a code of more than one character",
    "junk-before-xml-skipped": "bytes before the first tag of the XML file were skipped",
    "entity-reference-kept": "the text held a reference to an XML entity (&name;); it was never resolved (no file or"
                             " network is read) and is kept as the literal text",
    # linking separate holdings records
    "linked-by-position": "a holdings record without 004 was linked to the bibliographic record before it in the file",
    # normalising
    "isbn-invalid": "an ISBN in 020 $a fails its check digit; it is kept apart and marked invalid",
    "not-bibliographic": "an authority record (leader/06 z), not a bibliographic one",
}
