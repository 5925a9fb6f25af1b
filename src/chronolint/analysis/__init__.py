"""Per-file analyses that several rules share: what a receiver is (`receivers`), where a
value flows (`sinks`), which modules are migrations (`migrations`), which column is a
model's `updated_at`/`created_at` (`timestamp_columns`), and the flow interpreter (`flow`). They read the project index and
the lint context; they report nothing themselves."""
