"""Serialized stamps: print runs, issuance in crash-safe chunks, tokens, voiding."""
