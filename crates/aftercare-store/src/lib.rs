//! Storage adapter: the SQLite and PostgreSQL schema, migrations and queries behind one API.
