//! Integration tests of aftercare-intel on the shared real data.
