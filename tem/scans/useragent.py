"""Coarse browser and operating-system families from a User-Agent header.

A scan keeps only these families, never the header itself or any version: enough to
tell an inspector "12 phones, mostly Zalo on Android", too little to fingerprint anyone.
Matching is by ordered substring rules (RFC 9110 §10.1.5 gives the header no grammar
that browsers honour), most specific first:

1. bots and command-line clients, whatever they claim besides;
2. in-app browsers (Zalo, Facebook and Messenger), which carry a full Chrome or Safari
   string after their own token;
3. browsers built on Chromium that also say "Chrome/": Samsung Internet, Cốc Cốc, Edge,
   Opera;
4. Firefox (``FxiOS`` on iPhone also says "Safari/");
5. Chrome (``CriOS`` on iPhone), then Safari only when nothing above matched.
"""

from __future__ import annotations

import re
from typing import Final

# Longer headers are cut before matching: real ones are a few hundred characters, and a
# bound keeps the regular expressions' work bounded too.
MAX_LENGTH: Final = 1000

FAMILIES: Final = (
    "Zalo",
    "Facebook",
    "Samsung Internet",
    "Chrome",
    "Safari",
    "Firefox",
    "Edge",
    "Opera",
    "Cốc Cốc",
    "Bot",
    "Other",
)
OS_FAMILIES: Final = ("Android", "iOS", "Windows", "macOS", "Linux", "Other")

# "(?<!cu)bot" keeps the Android phone brand CUBOT from reading as a bot.
# facebookexternalhit and HeadlessChrome fetch pages for machines, not shoppers.
_BOT = re.compile(
    r"(?<!cu)bot|crawler|spider|curl|wget|python-requests|httpx|facebookexternalhit"
    r"|headlesschrome|slurp",
    re.IGNORECASE,
)

# (family, pattern) in the order they are tried; the first match wins.
_FAMILY_RULES: Final = (
    ("Zalo", re.compile(r"\bzalo", re.IGNORECASE)),
    ("Facebook", re.compile(r"FBAN/|FBAV/|FB_IAB/|FBIOS")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Cốc Cốc", re.compile(r"coc_coc_browser", re.IGNORECASE)),
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOPiOS/|\bOPT/|\bOpera\b")),
    ("Firefox", re.compile(r"\bFirefox/|\bFxiOS/")),
    ("Chrome", re.compile(r"\bChrome/|\bCriOS/|\bChromium/")),
)
_SAFARI = re.compile(r"\bSafari/")
_ANDROID = re.compile(r"\bAndroid\b", re.IGNORECASE)

_OS_RULES: Final = (
    # Android before Linux: every Android header also says "Linux".
    ("Android", _ANDROID),
    # iOS before macOS: every iPhone header also says "like Mac OS X".
    ("iOS", re.compile(r"\biPhone\b|\biPad\b|\biPod\b|\biOS\b|CPU OS \d")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMacintosh\b|\bMac OS X\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def family(user_agent: str | None) -> str:
    """The coarse browser family of a User-Agent header, one of :data:`FAMILIES`.

    Never returns any part of the header or a version. ``None``, an empty header and
    anything unrecognised are ``"Other"``. Raises nothing.
    """
    if not user_agent:
        return "Other"
    text = user_agent[:MAX_LENGTH]
    if _BOT.search(text):
        return "Bot"
    for name, pattern in _FAMILY_RULES:
        if pattern.search(text):
            return name
    # Safari last: every browser above says "Safari/" too. The old Android stock browser
    # says it without being Safari.
    if _SAFARI.search(text) and not _ANDROID.search(text):
        return "Safari"
    return "Other"


def os_family(user_agent: str | None) -> str:
    """The coarse operating-system family of a User-Agent header, one of :data:`OS_FAMILIES`.

    iPadOS in desktop mode says "Macintosh" and is reported as macOS: the header cannot
    tell them apart. Raises nothing.
    """
    if not user_agent:
        return "Other"
    text = user_agent[:MAX_LENGTH]
    for name, pattern in _OS_RULES:
        if pattern.search(text):
            return name
    return "Other"
