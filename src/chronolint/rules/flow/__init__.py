"""Flow rules (CHR301–CHR303): None-unsafe timestamp arithmetic and naive/aware mixing.
The analysis is `chronolint.analysis.flow` (one forward pass per function, shared by the
three rules); each rule words its own typed findings."""
