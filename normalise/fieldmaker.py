"""pymarc fields built without pymarc's constructor checks, for the readers' inner loops.

The readers have already made sure of what `Field.__init__` re-checks
(tag, indicators, subfield codes); setting the slots directly halves the
cost of reading. The slots are checked when the module loads, and pymarc's
constructor is used instead if they are not what this module expects.
"""

from __future__ import annotations

from pymarc import Field, Indicators, Subfield

new_tuple = tuple.__new__   # a namedtuple (Subfield, Indicators) without its Python-level __new__

_SLOTS = {"tag", "data", "_indicators", "subfields", "control_field"}


def _direct_data(tag: str, indicators: Indicators, subfields: list) -> Field:
    fld = Field.__new__(Field)
    fld.tag, fld.data, fld._indicators, fld.subfields, fld.control_field = tag, None, indicators, subfields, False
    return fld


def _direct_control(tag: str, data: str) -> Field:
    fld = Field.__new__(Field)
    fld.tag, fld.data, fld._indicators, fld.subfields, fld.control_field = tag, data, None, [], True
    return fld


def _direct_fields_work() -> bool:
    if not _SLOTS <= set(getattr(Field, "__slots__", ())):
        return False
    made = _direct_data("245", Indicators("1", "0"), [Subfield("a", "x")])
    usual = Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", "x")])
    control = _direct_control("001", "1")
    return (str(made) == str(usual) and made.indicator2 == "0" and control.is_control_field()
            and str(control) == str(Field(tag="001", data="1")))


if _direct_fields_work():
    data_field, control_field = _direct_data, _direct_control
else:   # a pymarc whose Field differs: take the slow, safe way
    def data_field(tag: str, indicators: Indicators, subfields: list) -> Field:
        return Field(tag=tag, indicators=indicators, subfields=subfields)

    def control_field(tag: str, data: str) -> Field:
        return Field(tag=tag, data=data)


