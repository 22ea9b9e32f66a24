"""Scans of serialized stamps, and the pure rules that catch copied stamps from them.

``rules`` holds the clone-detection rules (see ``docs/clone-rules.md``), ``wording`` what
their findings say in the shopper's words (from the catalogue, ``tem.words``), ``places`` a small
offline gazetteer of Vietnam's provinces for coarse places, and ``useragent`` a parser that
keeps only a browser's coarse family. Nothing here reads a database, the network or the clock.
"""
