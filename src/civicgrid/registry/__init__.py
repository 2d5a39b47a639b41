"""四库一体 — population, legal entities and places registries: import, validation, dedup."""
