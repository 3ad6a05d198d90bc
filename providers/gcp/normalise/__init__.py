"""Pure functions from Google API JSON (camelCase, as the REST APIs answer) to entities."""
