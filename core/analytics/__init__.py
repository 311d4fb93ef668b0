"""What chat is worth to a shop: events recorded on the server and from the widget,
rolled up into one row per shop and day, read by the admin's dashboard and A/B tests.

- ``record``: the widget's events (``POST /widget/v1/events``) and the kinds of event.
- ``attribution``: which orders a conversation earned, within the shop's window.
- ``rollup``: a day's figures from events, conversations and messages (RQ job, CLI).
- ``metrics``: a range of days read back and merged; its JSON schema.
- ``histogram``, ``gaps``, ``stats``: response-time percentiles, content-gap
  grouping, confidence intervals.
- ``experiments``: A/B tests: validation, the widget's ``ab`` config, results.
- ``charts``: SVG charts drawn on the server.
- ``traffic``: a scripted session of shopper traffic for the demo.
"""
