"""Domain-free helpers: database session, time, i18n, geometry, tabular files, crypto."""
