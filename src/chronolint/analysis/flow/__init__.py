"""The flow analysis behind CHR301-CHR303: one forward pass per function that knows, at
each subtraction, comparison and column assignment, which values may be None and which
are naive or aware. It reports typed findings; the rules word them.

- `facts`: what is known about one value (`Value`), from annotations, calls, columns;
- `paths`: attribute paths (the state's keys) and what a block may rebind;
- `state`: one function's declared facts and its path → `Value` states;
- `interpreter`: the pass over one function, and the findings it emits;
- `module`: which functions of a module to run it over, and the module's findings.
"""

from chronolint.analysis.flow.interpreter import Finding, Mismatch, Mixed, PossiblyNone
from chronolint.analysis.flow.module import FlowOptions, flow_findings, timestamp_attributes

__all__ = ["Finding", "FlowOptions", "Mismatch", "Mixed", "PossiblyNone", "flow_findings", "timestamp_attributes"]
