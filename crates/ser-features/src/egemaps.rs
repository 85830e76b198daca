//! eGeMAPS-like parameter set. (Owned by the prosody half; being built.)
