"""Key store (encrypted at rest), endorsement, revocation and the trust list."""
