"""Search analytics that respect visitors: aggregate counts only.

What is kept, per day: each normalised query, how often it was searched,
how many results it had, and how often each result position was clicked.
Nothing that identifies a visitor (address, user agent, cookie, referrer,
session) ever reaches this package: its recording API takes no such
argument.  A query seen fewer than ``MIN_DAILY_COUNT`` times in a day is
never shown in a report.  Never imports web or Flask: the web layer calls it.
"""
