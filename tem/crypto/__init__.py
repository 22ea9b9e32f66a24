"""Pure cryptography: deterministic CBOR, COSE_Sign1, Ed25519 key ids, Base32 tokens.

Nothing in this package touches a database, the network or the clock.
"""
