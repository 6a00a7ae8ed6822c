"""The month every monthly figure uses: 730 hours (AWS's pricing pages use the same)."""

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
