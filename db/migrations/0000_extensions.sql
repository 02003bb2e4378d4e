-- Trigram matching for partial, accent-insensitive customer name search.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
