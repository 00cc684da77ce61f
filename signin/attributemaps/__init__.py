"""pysaml2's attribute maps for the service provider: the names of what GakuNin releases."""
