"""Leadership dashboards: read-only pages of how each mission and policy is being pursued.

``filters`` reads what the reader filtered by and narrows every page's records to it,
``selectors`` holds the queries (the figures of goal trees among them), ``tables`` the tables
shown and downloaded, ``views`` the pages, ``cache`` the rendered pages kept until the records
change, ``urls`` their addresses.
"""
