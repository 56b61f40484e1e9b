//! Throwaway PostgreSQL for tests (see issue 5).
