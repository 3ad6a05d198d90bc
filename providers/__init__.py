"""Provider adapters: credentials and scope, read-only collection, normalisation."""
