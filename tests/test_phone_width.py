"""Every page fits a phone: at 390 px wide, no page scrolls sideways.

The pages come from the URLconf through tests/urlmatrix.py (with real objects seeded), so a
page added by any app is checked the day it lands. Each is opened in Chromium as a tenant
admin (who may see every page); what is not an HTML page (downloads, streams, JSON, a POST-only
action answering 405) is skipped, and the rest must be no wider than the screen. The walk
(tests/walk.py) is the one the Content-Security-Policy check reads too.
"""

from __future__ import annotations

from tests.walk import Walk


def test_every_page_fits_a_phone_screen(page_walk: Walk):
    assert len(page_walk.phone_checked) > 60, page_walk.phone_checked  # pages of every app were really opened
    assert not page_walk.phone_problems, "\n".join(page_walk.phone_problems)
