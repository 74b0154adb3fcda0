"""The price-list import engine: stage the parsed goods, plan against the shop's offers, apply in batches.

`workflow` is the entry point (create, run, preview, apply); `staging` streams a parsed file into
scratch rows, `plan` diffs them with the shop's offers, `apply` writes the plan in short batches,
`sql` holds the statements both steps share, `pg_copy` the PostgreSQL bulk path and `progress` the
figures other connections watch.
"""
