//! Version semantics per ecosystem: parse and order versions the way each package manager does.
