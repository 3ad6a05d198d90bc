"""Pure functions from raw AWS API records to inventory entities."""
