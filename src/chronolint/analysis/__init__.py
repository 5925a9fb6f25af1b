"""Per-file analyses that several rules share: what a receiver is (`receivers`), where a
value flows (`sinks`), and the flow interpreter (`flow`). They read the project index and
the lint context; they report nothing themselves."""
