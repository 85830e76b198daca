//! Prosodic features: F0 (YIN / pYIN), voice quality, loudness. (Owned by the prosody half; being built.)
