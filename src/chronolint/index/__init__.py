"""The project index: cross-file ORM facts (models, tables, timestamp columns) that the
column, lifecycle and flow rules share. Built once per run, cached on disk."""
