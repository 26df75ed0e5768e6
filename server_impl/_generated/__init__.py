"""generated/models (`make generate`, never edited by hand) as this package's own: `models` is a
link to it, so the wheel carries the models under server_impl rather than as a top-level
`generated` that another distribution could also claim."""
