"""Evidence that stands on its own: canonical encoding, Merkle proofs, signatures, trusted
timestamps, chain anchors, case bundles and their offline verification.

Nothing in `canonical`, `merkle`, `signing`, `tsa` and `verify` imports the database layer: a
bundle is checked with them alone (`prokai evidence verify-bundle`).
"""
