"""Pure functions from Azure SDK models (or ARM JSON) to inventory entities."""
