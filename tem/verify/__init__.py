"""Pure verification: a token or statement plus trust anchors (and history) give a verdict.

No database, no HTTP, no clock: the caller passes ``now``. The API, the public
page and the CLI all call :func:`tem.verify.verifier.verify_token`.
"""
