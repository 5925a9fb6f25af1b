"""Everything a rule module imports from chronolint itself, in one place: the `Rule` class
and its examples, the `Context` it reports through, the pre-filter's needle types, and
the plain data of a fix. A rule's own family helpers and the shared analyses
(`chronolint.analysis`) it imports directly."""

from chronolint.engine.context import Context
from chronolint.engine.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from chronolint.engine.prefilter import AllOf, AnyCase, AnyOf, WholeWords
from chronolint.rules.base import DOC_SECTIONS, Invalid, Rule, Valid

__all__ = [
    "AllOf", "AnyCase", "AnyOf", "Applicability", "Context", "DOC_SECTIONS", "Diagnostic", "Edit", "Fix", "Invalid", "Location",
    "Rule", "Valid", "WholeWords",
]
