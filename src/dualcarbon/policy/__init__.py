"""Policy packs (rule packs per jurisdiction) stored and versioned in the platform: list, show, validate, import."""
